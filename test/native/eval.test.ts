import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

const PROBE = `
  export default () => {
    const tries = {
      eval: () => eval('1 + 1'),
      indirect: () => (0, globalThis['ev' + 'al'])('1 + 1'),
      Function: () => Function('return 2')(),
      ctor: () => (function () {}).constructor('return 2')(),
      async: () => typeof (async function () {}).constructor('return 2'),
      generator: () => typeof (function* () {}).constructor('yield 2'),
    };
    const out = {};
    for (const [k, f] of Object.entries(tries)) {
      try { out[k] = 'ok:' + f() } catch (e) { out[k] = 'denied:' + e.name }
    }
    return Response.json(out);
  }`;

describe('native worker: eval capability', () => {
  it('has no compiler at run time without allowEval, whatever the handler tries', async () => {
    w = await ready(PROBE, { allowEval: false });
    const out = JSON.parse(bodyText(await w.invoke()));
    for (const k of ['eval', 'indirect', 'Function', 'ctor', 'async', 'generator']) expect(out[k]).toMatch(/^denied:/);
  });

  it('cannot get the compiler back by restoring eval from another realm-ish path', async () => {
    w = await ready(`export default () => { delete globalThis.eval; let r; try { r = String(globalThis.eval) } catch (e) { r = e.name } return new Response(r) }`);
    expect(bodyText(await w.invoke())).toBe('undefined');
  });

  it('allows eval and Function with allowEval', async () => {
    w = await ready(PROBE, { allowEval: true });
    const r = await w.waitFor((m) => m.type === 'ready');
    expect(r.payload['features']).toContain('eval');
    const out = JSON.parse(bodyText(await w.invoke()));
    expect(out).toMatchObject({ eval: 'ok:2', indirect: 'ok:2', Function: 'ok:2', ctor: 'ok:2', async: 'ok:function', generator: 'ok:function' });
  });
});
