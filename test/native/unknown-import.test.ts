import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: imports', () => {
  it.each(['lodash', './local.js', 'std', 'os', 'qjs:std', 'node:child_process'])('refuses to import %s', async (specifier) => {
    w = new NativeWorker();
    const m = await w.init(`import x from '${specifier}'; export default () => new Response('x')`);
    expect(m.payload).toMatchObject({ code: 'BUNDLE_LOAD_ERROR' });
    expect(m.payload['message']).toMatch(/Cannot find module/);
  });

  it('rejects dynamic imports of anything else with a clear error', async () => {
    w = await ready(`export default async () => { try { await import('qjs:os') } catch (e) { return new Response(e.message) } }`);
    expect(bodyText(await w.invoke())).toMatch(/^Cannot find module 'qjs:os'/);
  });
});
