import * as variantModule from '@jitl/quickjs-ng-wasmfile-release-sync';
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSSyncVariant,
} from 'quickjs-emscripten-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostFunctions } from '../../../lib/workers/wasm/host-functions.js';

const variant = (variantModule as unknown as { default: QuickJSSyncVariant }).default;

/**
 * The direct dispatch of host functions (host-functions.ts) replaces the
 * library's path for the sandbox's own functions. It reads members the
 * library does not publish, so the first test pins that it is in effect with
 * the installed version (a version that moved them would otherwise fall back
 * silently, and every host call would cost 7 µs again); the others, that a
 * host function behaves as through the library's path.
 */
describe('quickjs-wasm host functions', () => {
  let rt: QuickJSRuntime;
  let ctx: QuickJSContext;
  let functions: HostFunctions;
  const seen: unknown[][] = [];

  const run = (code: string): unknown => {
    const r = ctx.evalCode(code);
    if (r.error) {
      const error = ctx.dump(r.error) as unknown;
      r.error.dispose();
      return { threw: error };
    }
    const value = ctx.dump(r.value) as unknown;
    r.value.dispose();
    return value;
  };

  const install = (
    name: string,
    impl: (...args: QuickJSHandle[]) => ReturnType<Parameters<HostFunctions['fn']>[1]>,
    viaLibrary = false,
  ): void => {
    const f = viaLibrary ? ctx.newFunction(name, (...args) => impl(...args) as QuickJSHandle | undefined) : functions.fn(name, impl);
    ctx.setProp(ctx.global, name, f);
    f.dispose();
  };

  beforeAll(async () => {
    const module = await newQuickJSWASMModuleFromVariant(variant);
    rt = module.newRuntime();
    ctx = rt.newContext();
    functions = new HostFunctions(rt, ctx);
    install('record', (...args) => {
      seen.push(args.map((a) => ctx.dump(a) as unknown));
      return undefined;
    });
    install('twice', (n) => ctx.newNumber(2 * ctx.getNumber(n!)));
    install('constant', () => ctx.true);
    install('refuse', () => ({
      error: ctx.newError({ name: 'TypeError', message: 'refused here' }),
    }));
    install('fails', () => {
      throw new RangeError('a host error');
    });
    install('echo', (s) => ctx.newString(`${ctx.getString(s!)}!`));
    install('viaLibrary', (n) => ctx.newNumber(ctx.getNumber(n!) + 1), true);
  });

  afterAll(() => {
    ctx.dispose();
    rt.dispose();
  });

  it('is dispatched directly with the installed quickjs-emscripten', () => {
    expect(functions.direct).toBe(true);
  });

  it('reads its arguments, however many the engine passes', () => {
    seen.length = 0;
    expect(run('record(1, "a", null, [2], {b: 3}); record(); record(undefined, true)')).toBeUndefined();
    expect(seen).toEqual([[1, 'a', null, [2], { b: 3 }], [], [undefined, true]]);
  });

  it('returns values to the engine, owned handles and the context constants alike', () => {
    expect(run('twice(21) + twice(0.5)')).toBe(43);
    expect(run('constant() === true')).toBe(true);
    expect(run('echo("hé")')).toBe('hé!');
    // Many calls: a returned handle that were not freed, or an argument freed twice, would show here.
    expect(run('let t = 0; for (let i = 0; i < 20000; i++) t += twice(i) + echo("x").length; t')).toBe(2 * ((19999 * 20000) / 2) + 40000);
  });

  it('throws in the engine what it returns as an error, and what it throws', () => {
    expect(run('try { refuse() } catch (e) { [e.name, e.message] }')).toEqual(['TypeError', 'refused here']);
    expect(run('try { fails() } catch (e) { [e.name, e.message] }')).toEqual(['RangeError', 'a host error']);
    expect(run('refuse()')).toMatchObject({
      threw: { name: 'TypeError', message: 'refused here' },
    });
  });

  it('leaves functions made through the library on its path, in the same context', () => {
    expect(run('viaLibrary(1) + twice(1)')).toBe(4);
  });
});
