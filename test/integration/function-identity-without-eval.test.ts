import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

/**
 * With allowEval false the Function constructors refuse to compile, but they
 * stay the constructors of the same prototype objects: libraries that reach the
 * intrinsics through Function.prototype (call-bind, get-intrinsic) must load.
 */
describe.each(RUNTIMES)('%s: the refused Function constructor keeps its identities', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('Function.prototype, call/bind, instanceof, toString and constructor names are intact', async () => {
    p = pool(
      runtime,
      `export default { fetch() {
        const AsyncFunction = (async function () {}).constructor;
        const GeneratorFunction = (function* () {}).constructor;
        return Response.json({
          call: typeof Function.prototype.call,
          bind: Function.prototype.bind.call(function (a) { return this.x + a; }, { x: 40 })(2),
          apply: Math.max.apply(null, [1, 5, 3]),
          instance: (function () {}) instanceof Function && (async () => {}) instanceof Function && Math.max instanceof Function,
          asyncInstance: (async function () {}) instanceof AsyncFunction,
          generatorInstance: (function* () {}) instanceof GeneratorFunction,
          sameProto: Function.prototype === Object.getPrototypeOf(Math.max) && Function.prototype.constructor === Function,
          nativeToString: /\\[native code\\]/.test(Function.prototype.toString.call(Math.max)),
          names: [Function.name, AsyncFunction.name, GeneratorFunction.name],
          userToString: /^function f.a. .\\s*return a;\\s*.$/.test(Function.prototype.toString.call(function f(a) { return a; })),
        });
      } }`,
    );
    expect((await p.invoke({ path: '/' })).json()).toEqual({
      call: 'function',
      bind: 42,
      apply: 5,
      instance: true,
      asyncInstance: true,
      generatorInstance: true,
      sameProto: true,
      nativeToString: true,
      names: ['Function', 'AsyncFunction', 'GeneratorFunction'],
      userToString: true,
    });
  });

  it('calling it is still refused, with CAPABILITY_DENIED and a denied event', async () => {
    p = pool(runtime, `export default { fetch() { return new Response(String(Function.prototype.constructor('return 1')())) } }`);
    const denials: string[] = [];
    p.on('denied', (d) => denials.push(d.capability));
    await expect(p.invoke({ path: '/' })).rejects.toMatchObject({ code: 'CAPABILITY_DENIED' });
    expect(denials).toEqual(['eval']);
  });
});
