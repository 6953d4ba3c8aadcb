import { afterEach, describe, expect, it } from 'vitest';
import { profiles, type Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

/**
 * The QuickJS prelude denies eval when it is evaluated, before it knows the
 * pool (in the fork server, once for all workers), and configure() lifts the
 * denial for a pool that allows eval. What the handler then sees must be the
 * engine's own intrinsics, with the property attributes the language gives
 * them (AsyncFunction.prototype.constructor is not writable), as on Bun.
 */
describe.each(RUNTIMES)('%s: with allowEval the compiling intrinsics are the engine\'s own', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('Function, eval and the function constructors compile, with their own descriptors', async () => {
    p = pool(
      runtime,
      `export default { fetch() {
        const d = (o, k) => { const x = Object.getOwnPropertyDescriptor(o, k); return x && [x.writable, x.enumerable, x.configurable, typeof x.value]; };
        const protos = [Function.prototype, Object.getPrototypeOf(async function () {}), Object.getPrototypeOf(function* () {}), Object.getPrototypeOf(async function* () {})];
        return Response.json({
          fn: new Function('a', 'return a + 1')(41),
          ev: eval('6 * 7'),
          gen: [...new (Object.getPrototypeOf(function* () {}).constructor)('yield 1; yield 2')()],
          globals: [d(globalThis, 'Function'), d(globalThis, 'eval')],
          constructors: protos.map((p) => d(p, 'constructor')),
          names: protos.map((p) => p.constructor.name),
          same: Function.prototype.constructor === Function,
        });
      } }`,
      { capabilities: profiles.custom('test-project', { allowEval: true }) },
    );
    expect((await p.invoke({ path: '/' })).json()).toEqual({
      fn: 42,
      ev: 42,
      gen: [1, 2],
      globals: [
        [true, false, true, 'function'],
        [true, false, true, 'function'],
      ],
      constructors: [
        [true, false, true, 'function'],
        [false, false, true, 'function'],
        [false, false, true, 'function'],
        [false, false, true, 'function'],
      ],
      names: ['Function', 'AsyncFunction', 'GeneratorFunction', 'AsyncGeneratorFunction'],
      same: true,
    });
  });
});
