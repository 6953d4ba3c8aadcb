import { afterEach, describe, expect, it } from 'vitest';
import { NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: lifecycle', () => {
  it('exits 0 when fd 3 reaches end-of-file', async () => {
    w = await ready(`export default () => new Response('x')`);
    expect(await w.close()).toEqual({ code: 0, signal: null });
  });

  it('finishes and exits 0 on shutdown', async () => {
    w = await ready(`export default () => new Response('x')`);
    w.send({ id: 0, type: 'shutdown', payload: {} });
    expect(await w.exited).toEqual({ code: 0, signal: null });
  });

  it('exits 42 on an init it cannot use', async () => {
    w = new NativeWorker();
    w.send({ id: 0, type: 'init', payload: { protocol: 1, source: 'export default () => 1', capabilities: { projectId: 'x' } } });
    expect(await w.exited).toEqual({ code: 42, signal: null });
    expect(w.stderr).toMatch(/capabilities\.allowFilesystem/);
  });
});
