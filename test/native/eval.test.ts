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
    const res = await w.invoke();
    const out = JSON.parse(bodyText(res));
    for (const k of ['eval', 'indirect', 'Function', 'ctor', 'async', 'generator']) expect(out[k]).toBe('denied:EvalError');
    const denied = w.messagesFor(res.id, 'denied').map((m) => m.payload);
    expect(denied).toHaveLength(6);
    expect(denied[0]).toEqual({ capability: 'eval', target: 'eval', rule: 'allowEval is false' });
    expect(denied.map((d) => d.target)).toEqual(['eval', 'eval', 'Function', 'Function', 'AsyncFunction', 'GeneratorFunction']);
  });

  it('still has no compiler once the handler strips the wrappers that report denials', async () => {
    w = await ready(`
      export default () => {
        const protos = [function () {}, async function () {}, function* () {}].map(Object.getPrototypeOf);
        for (const p of protos) delete p.constructor;
        delete globalThis.Function;
        delete globalThis.eval;
        const out = [];
        for (const p of protos) {
          let c = p.constructor;
          try { out.push(typeof c === 'function' ? String(c('return 1')) : 'none') } catch (e) { out.push(e.name) }
        }
        return Response.json(out);
      }`);
    const out = JSON.parse(bodyText(await w.invoke())) as string[];
    for (const r of out) expect(r).not.toMatch(/^function|^1$/);
  });

  it('keeps Function identities intact for ordinary code', async () => {
    w = await ready(`export default () => Response.json([(function () {}).constructor === Function, (() => 1) instanceof Function, Function.prototype.constructor === Function, Function.name, typeof Function.prototype.call])`);
    expect(JSON.parse(bodyText(await w.invoke()))).toEqual([true, true, true, 'Function', 'function']);
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
