import {
  Lifetime,
  StaticLifetime,
  type JSContextPointer,
  type JSValueConstPointer,
  type JSValuePointer,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
} from 'quickjs-emscripten-core';
import { pointerOf } from './pending-jobs.js';

/** A host function: borrowed argument handles in; a handle of the context, `{ error }` (thrown in the engine) or undefined out. */
export type HostFunction = (...args: QuickJSHandle[]) => QuickJSHandle | { error: QuickJSHandle } | undefined;

type Dispatch = (
  ctx: JSContextPointer,
  thisPtr: JSValueConstPointer,
  argc: number,
  argv: JSValueConstPointer,
  fnId: number,
) => JSValuePointer | 0;

/** The members of QuickJSContext (quickjs-emscripten-core 0.32) the direct dispatch reads: not public API. */
interface ContextInternals {
  cToHostCallbacks?: { callFunction?: Dispatch };
  getFunction?: (fnId: number) => unknown;
}

/**
 * Makes host functions of one context cheap to call from the engine.
 *
 * quickjs-emscripten runs every call from the engine to a host function
 * through a generator-based scope (its asyncify support), a disposable
 * wrapper per argument and per `this`, and a copy of each: about 7 µs a
 * call here before any work, against 0.3 µs for what the call needs
 * (measured in one process, 20 000 calls from an engine loop). A warm
 * hello makes one such call (respond), a JSON body three, a handler that
 * logs one per line. The sync build never suspends, so the functions made
 * here are dispatched directly: arguments borrowed as the engine's own
 * constant pointers for the duration of the call (no copy, nothing to
 * free; none of these functions keeps an argument past its return), the
 * result duplicated for the engine, errors thrown as the library throws
 * them. Functions made otherwise keep the library's path.
 *
 * The dispatch reads two members the library does not publish; when they
 * are absent (another version), `fn` falls back to `ctx.newFunction` and
 * `direct` is false.
 */
export class HostFunctions {
  readonly direct: boolean;
  readonly #ctx: QuickJSContext;
  readonly #mine = new WeakSet<object>();

  constructor(rt: QuickJSRuntime, ctx: QuickJSContext) {
    this.#ctx = ctx;
    const internals = ctx as unknown as ContextInternals;
    const callbacks = internals.cToHostCallbacks;
    const original = callbacks?.callFunction;
    const getFunction = internals.getFunction;
    if (callbacks === undefined || original === undefined || typeof getFunction !== 'function') {
      this.direct = false;
      return;
    }
    this.direct = true;
    const ffi = ctx.getMemory(pointerOf(rt)).ffi;
    const mine = this.#mine;
    callbacks.callFunction = (ctxPtr, thisPtr, argc, argv, fnId) => {
      const fn = getFunction.call(ctx, fnId);
      if (typeof fn !== 'function' || !mine.has(fn)) return original(ctxPtr, thisPtr, argc, argv, fnId);
      const args = new Array<QuickJSHandle>(argc);
      for (let i = 0; i < argc; i++) args[i] = new StaticLifetime(ffi.QTS_ArgvGetJSValueConstPointer(argv, i));
      let thrown: QuickJSHandle;
      try {
        const result = (fn as HostFunction)(...args);
        if (result === undefined) return 0;
        if (!('error' in result)) {
          const dup = ffi.QTS_DupValuePointer(ctxPtr, result.value);
          result.dispose();
          return dup;
        }
        thrown = result.error;
      } catch (error) {
        thrown = error instanceof Lifetime ? (error as QuickJSHandle) : ctx.newError(error as Error);
      }
      const exception = ffi.QTS_Throw(ctxPtr, thrown.value);
      thrown.dispose();
      return exception;
    };
  }

  /** A function value of the context that calls `impl`; the caller disposes it. */
  fn(name: string, impl: HostFunction): QuickJSHandle {
    // The library's own path is given a wrapper: the direct path would get the impl itself.
    if (!this.direct) return this.#ctx.newFunction(name, (...args) => impl(...args) as QuickJSHandle | undefined);
    const call = (...args: QuickJSHandle[]): ReturnType<HostFunction> => impl(...args);
    this.#mine.add(call);
    return this.#ctx.newFunction(name, call as never);
  }
}
