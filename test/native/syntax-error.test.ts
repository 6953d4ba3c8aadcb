import { afterEach, describe, expect, it } from 'vitest';
import { NativeWorker } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: syntax errors', () => {
  it('reports a syntax error as BUNDLE_LOAD_ERROR and exits 0', async () => {
    w = new NativeWorker();
    const m = await w.init('export default { fetch() { return 1 + } }');
    expect(m).toMatchObject({ id: 0, type: 'error', payload: { code: 'BUNDLE_LOAD_ERROR', name: 'SyntaxError' } });
    expect(m.payload['stack']).toMatch(/handler\.js:1/);
    expect(await w.exited).toEqual({ code: 0, signal: null });
  });
});
