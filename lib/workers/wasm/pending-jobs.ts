import type { JSContextPointerPointer, JSRuntimePointer, Lifetime, QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten-core';

/**
 * Runs `rt`'s pending jobs until the queue is empty or a job throws, and
 * returns what it threw as a handle of `ctx` (undefined when none threw).
 * Call it only when `rt.hasPendingJob()`: at least one job then runs.
 *
 * Used instead of QuickJSRuntime.executePendingJobs (quickjs-emscripten-core
 * 0.32), which reads the last job's context back through an Int32Array made
 * before the jobs ran. A job that grows the WebAssembly memory detaches
 * that view; the pointer then reads as undefined, and the library wraps
 * "the context at undefined" by creating a new JSContext, which nothing
 * owns or frees. It outlived the sandbox's own context, and JS_FreeRuntime
 * aborted on its objects (`Assertion failed: list_empty(&rt->gc_obj_list)`),
 * leaving that runtime's memory behind in the thread's module. Jobs grow
 * the memory whenever a handler's promise work outgrows the heap: thousands
 * of file promises settled at once, a response head of megabytes.
 *
 * Only the sandbox's context runs code in its runtime, so the job's context
 * is not read back at all: a value of the runtime is valid in any of its
 * contexts.
 */
export function runPendingJobs(rt: QuickJSRuntime, ctx: QuickJSContext, slot: number): QuickJSHandle | undefined {
  const rtPointer = pointerOf(rt);
  const memory = ctx.getMemory(rtPointer);
  const result = memory.ffi.QTS_ExecutePendingJob(rtPointer, -1, slot as JSContextPointerPointer);
  const value = memory.heapValueHandle(result);
  // A count of the jobs run, or what the last one threw (the library tells them apart the same way).
  if (ctx.typeof(value) !== 'number') return value;
  value.dispose();
  return undefined;
}

/**
 * The word of the module's memory where `runPendingJobs` lets the engine
 * write the last job's context, allocated once per thread when the engine
 * loads: in `runPendingJobs` the allocation would be charged to the sandbox
 * running (memory-growth.ts) and could be refused. `rt` and `ctx` are any
 * runtime and context of the module.
 */
export function allocateJobSlot(rt: QuickJSRuntime, ctx: QuickJSContext): number {
  const slot = ctx.getMemory(pointerOf(rt)).module._malloc(4);
  if (slot === 0) throw new RangeError('quickjs-wasm: the engine could not allocate the job queue slot');
  return slot;
}

/** The runtime's JSRuntime*, a protected field of QuickJSRuntime (also read by host-functions.ts). */
export function pointerOf(rt: QuickJSRuntime): JSRuntimePointer {
  return (rt as unknown as { rt: Lifetime<JSRuntimePointer> }).rt.value;
}
