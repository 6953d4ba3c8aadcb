import { threadId, type MessagePort } from 'node:worker_threads';
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten-core';
import type { LogLevel, WorkerErrorCode } from '../../protocol/index.js';
import type { Engine } from './engine.js';
import { parseFetchArgs, parseHead } from './guest-input.js';
import { EarliestDeadline } from '../earliest-deadline.js';
import { SpinWait } from '../spin-wait.js';
import { FastLane } from './fast-lane.js';
import { FOR_OF_YIELD_FAILURE, hoistYieldFromForOf, knownRewrite } from './for-of-yield.js';
import { HostFiles } from './host-files.js';
import { HostFunctions } from './host-functions.js';
import { LeftoverCpu } from './leftover-cpu.js';
import { growthPayer, setGrowthPayer, type GrowthPayer } from './memory-growth.js';
import { runPendingJobs } from './pending-jobs.js';
import type { CallResult, FromSandbox, SandboxSettings, SandboxTask, ToSandbox } from './messages.js';
import { SandboxClock, type ClockTimer } from './sandbox-clock.js';
import { SeededRandom } from './seeded-random.js';
import { markActive } from './thread-activity.js';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'log', 'warn', 'error'];
/** Not streaming, so one of each serves every call: [replacing, fatal]. */
const UTF8_DECODERS = [new TextDecoder('utf-8', { ignoreBOM: true }), new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })] as const;
/** Engine stack for the handler's code, as the native worker's QW_MAX_STACK_BYTES. */
const MAX_STACK_BYTES = 1024 * 1024;
/** While the handler's code runs without pause, its memory is measured this often. */
const MEMORY_CHECK_MS = 20;

/** A runtime and context with the binding and the prelude loaded, no handler code yet. */
interface Prepared {
  rt: QuickJSRuntime;
  ctx: QuickJSContext;
  /** The binding's entry object, or the error the load ended with. */
  entry: QuickJSHandle | undefined;
  error: QuickJSHandle | undefined;
}

interface Invocation {
  id: number;
  /** performance.now() deadline, 0 = none. */
  deadline: number;
  timeoutMs: number;
  /** CPU budget in ms, 0 = none. */
  cpuMs: number;
  /** Time spent in the handler's code so far (closed entries). */
  usedMs: number;
  /** Log bytes sent for it so far. */
  logBytes: number;
}

/** Why the engine was interrupted: the answer has been sent, the sandbox ends. */
interface Interruption {
  code: 'CPU_LIMIT' | 'TIMEOUT' | 'STOPPED' | 'LOAD_CPU_LIMIT';
}

/**
 * One quickjs-wasm "worker": a QuickJS-NG runtime and context inside the
 * thread's WebAssembly module, running one handler bundle, answering the
 * session on the other end of its MessagePort. The thread-side twin of
 * native/runtime.c: the same prelude over the JS binding (guest-binding.js),
 * the same limits (memory through the engine's allocator limit, CPU and
 * deadlines through the interrupt handler).
 */
export class Sandbox implements GrowthPayer {
  readonly closed: Promise<void>;
  readonly #settings: SandboxSettings;
  readonly #engine: Engine;
  #port: SandboxTask['port'] | undefined;
  /** On a thread, every message to the session goes through the lane (it keeps both ways in order). */
  #lane: FastLane<FromSandbox, ToSandbox> | undefined;
  /** After an answer, with nothing else in flight, the sandbox polls the lane for its next call a while (SpinWait). */
  #spin: SpinWait | undefined;
  /** Messages sent before the sandbox was attached to a session (a spare's), sent on attach. */
  #outbox: [FromSandbox, ArrayBuffer[] | undefined][] = [];
  #stop = new Int32Array(new SharedArrayBuffer(4));
  #source = '';
  #filename = '';
  /** isolation 'invocation': the next invocation's context, prepared while the sandbox was idle. */
  #next: Prepared | undefined;
  #preparing: NodeJS.Immediate | undefined;
  /** The binding and the prelude are loading (`#prepare`): the library's own code, not checked by the interrupt handler. */
  #inPrelude = false;
  #rt: QuickJSRuntime;
  #ctx: QuickJSContext;
  readonly #clock: SandboxClock;
  readonly #random: SeededRandom | undefined;
  readonly #files: HostFiles;
  readonly #leftover: LeftoverCpu;
  readonly #invocations = new Map<number, Invocation>();
  readonly #timers = new Map<number, ClockTimer>();
  /**
   * Fires at the earliest deadline in flight (`#onDeadlines`); a millisecond
   * late, since the loop's clock, which times timers, may run behind performance.now().
   */
  readonly #deadlines = new EarliestDeadline(() => this.#onDeadlines(), 1);
  #entry: QuickJSHandle | undefined;
  /** The entry's methods the host calls, read once per entry object: a lookup by name costs a string made in the engine per call. */
  readonly #entryMethods = new Map<string, QuickJSHandle>();
  #ready = false;
  /** The current context has its handler (it loaded, top-level await included). */
  #handlerSet = false;
  /** An invocation ran in the current context (isolation 'invocation' renews it before the next). */
  #used = false;
  #done = false;
  #resolveClosed!: () => void;
  /** The invocation the code now running belongs to (0 = none). */
  #currentId = 0;
  #enteredAt = 0;
  #loadStartedAt = 0;
  #interrupted: Interruption | undefined;
  #nextCall = 1;
  #nextTimer = 1;
  /** The thread's WebAssembly memory size when this sandbox last measured itself. */
  #seenWasmBytes = 0;
  #lastMemoryCheck = 0;
  /** Engine time since the heap was last measured (closed entries). */
  #ranSinceCheckMs = 0;
  /** How long the last measurement of the heap took. */
  #memoryCheckCostMs = 0;
  #memoryBytes = 0;
  /** How much this sandbox grew the thread's WebAssembly memory, over its whole life (memory never shrinks). */
  #grownBytes = 0;
  /** A growth was refused: the sandbox reached maxMemory, whatever the engine's figures say. */
  #growthRefused = false;

  /**
   * Creates the sandbox's engine runtime and context and loads the binding
   * and the prelude: everything but the handler, so a sandbox can be made
   * ahead of time, as a spare (spares.ts), before it is `attach`ed to a
   * session. Nothing of it depends on the handler's source.
   */
  constructor(engine: Engine, settings: SandboxSettings) {
    this.#engine = engine;
    this.#settings = settings;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#clock = new SandboxClock(settings.fakeClock);
    this.#random = settings.randomSeed === null ? undefined : new SeededRandom(settings.randomSeed);
    this.#files = new HostFiles(settings.capabilities, settings.capabilities.maxFileDescriptors);
    this.#leftover = new LeftoverCpu(settings.capabilities.maxCpu);
    const prepared = this.#prepare();
    [this.#rt, this.#ctx, this.#entry] = [prepared.rt, prepared.ctx, prepared.entry];
    if (prepared.error !== undefined) this.#failLoad(prepared.error);
  }

  /**
   * Gives the sandbox its session (the task's port and stop flag) and loads
   * the handler; answers `ready` or BUNDLE_LOAD_ERROR. `settings` must equal
   * the constructor's but for the source and file name (spares.ts keys them).
   */
  attach(task: SandboxTask): void {
    this.#port = task.port;
    this.#stop = new Int32Array(task.stop);
    this.#source = task.settings.source;
    this.#filename = task.settings.filename;
    if (task.lane !== undefined) {
      const lane = new FastLane<FromSandbox, ToSandbox>(task.lane, 'sandbox', task.port as MessagePort, 'response', (message) => this.#onMessage(message));
      this.#lane = lane;
      this.#spin = new SpinWait(task.spinUs ?? 0, () => !this.#done && this.#invocations.size === 0, lane);
      task.port.on('message', (message: ToSandbox) => lane.fromPort(message));
    } else {
      task.port.on('message', (message: ToSandbox) => this.#onMessage(message));
    }
    task.port.on('close', () => this.#close(0));
    this.#post({ type: 'thread', id: 0, payload: { threadId } });
    for (const [message, transfer] of this.#outbox.splice(0)) this.#post(message, transfer);
    if (this.#done) {
      task.port.close();
      return;
    }
    this.#loadHandler();
  }

  /** Frees a spare that no session took. */
  discard(): void {
    this.#close(0);
  }

  /** A new runtime and context with the binding and the prelude loaded (the part of a start that is the same for every handler). */
  #prepare(): Prepared {
    const rt = this.#engine.module.newRuntime();
    rt.setMaxStackSize(MAX_STACK_BYTES);
    rt.setInterruptHandler(() => this.#shouldInterrupt());
    rt.setModuleLoader((name) => this.#loadModule(name));
    const ctx = rt.newContext();
    this.#installHost(rt, ctx);
    this.#inPrelude = true;
    try {
      for (const [code, name] of [
        [this.#engine.binding, 'binding.js'],
        [this.#engine.prelude, 'prelude.js'],
      ] as const) {
        const r = ctx.evalCode(code, name);
        if (r.error) return { rt, ctx, entry: undefined, error: r.error };
        r.value.dispose();
      }
    } finally {
      this.#inPrelude = false;
    }
    const global = ctx.global;
    const entry = ctx.getProp(global, '__qw_entry');
    ctx.setProp(global, '__qw_entry', ctx.undefined);
    const r = ctx.evalCode('delete globalThis.__qw_entry');
    if (r.error) r.error.dispose();
    else r.value.dispose();
    const maxMemory = this.#settings.capabilities.maxMemory;
    if (maxMemory > 0) rt.setMemoryLimit(maxMemory);
    // The heap with the prelude loaded, the baseline of peakMemoryBytes: measured here, off a start's path when this is a spare.
    this.#memoryBytes = Math.max(this.#memoryBytes, this.#measureHeap(rt, ctx));
    return { rt, ctx, entry, error: undefined };
  }

  /**
   * isolation 'invocation': the next invocation gets a new runtime and
   * context with the prelude and the handler loaded anew; nothing of the
   * previous one survives (its timers are dropped, its pending host work is
   * answered into the void). The new context's prelude is usually loaded
   * already (`#prepareNext`, while the sandbox was idle).
   */
  #renew(): boolean {
    const next = this.#next ?? this.#prepare();
    this.#next = undefined;
    try {
      this.#disposeEntry();
      this.#ctx.dispose();
      this.#rt.dispose();
    } catch {
      // As in #dispose: an engine abort while freeing must not end the thread's other sandboxes.
    }
    this.#clock.clearTimers();
    this.#timers.clear();
    [this.#rt, this.#ctx, this.#entry] = [next.rt, next.ctx, next.entry];
    this.#handlerSet = false;
    this.#used = false;
    if (next.error !== undefined) {
      this.#failLoad(next.error);
      return false;
    }
    this.#loadHandler();
    this.#drain(0);
    return this.#handlerSet && !this.#done;
  }

  /**
   * isolation 'invocation': loads the next invocation's prelude once the
   * sandbox is idle (after the answers went out), so a call that comes later
   * starts with only its handler to load.
   */
  #prepareNext(): void {
    if (this.#settings.isolation !== 'invocation' || this.#next !== undefined || this.#preparing !== undefined) return;
    this.#preparing = setImmediate(() => {
      this.#preparing = undefined;
      if (this.#done || this.#next !== undefined || this.#invocations.size > 0) return;
      this.#next = this.#prepare();
    });
  }

  #loadHandler(): void {
    const ctx = this.#ctx;
    this.#enter(0);
    this.#loadStartedAt = performance.now();
    this.#source = knownRewrite(this.#source) ?? this.#source;
    let loaded = ctx.evalCode(this.#source, this.#filename, { type: 'module' });
    if (loaded.error && this.#refusedForOfYield(loaded.error)) {
      const rewritten = hoistYieldFromForOf(this.#source);
      if (rewritten !== this.#source) {
        // Refused at compile time, before any of it ran: loading the rewrite is the first run.
        loaded.error.dispose();
        this.#source = rewritten;
        loaded = ctx.evalCode(this.#source, this.#filename, { type: 'module' });
      }
    }
    this.#leave();
    if (loaded.error) {
      this.#failLoad(loaded.error);
      return;
    }
    const state = ctx.getPromiseState(loaded.value);
    if (state.type === 'pending') {
      // Top-level await: settle it through the job queue and the timers.
      const ns = loaded.value;
      const then = ctx.newFunction('loaded', (value) => {
        this.#setHandler(value);
      });
      const caught = ctx.newFunction('failed', (error) => {
        this.#failLoad(error.dup());
      });
      const chained = ctx.callMethod(ns, 'then', [then, caught]);
      then.dispose();
      caught.dispose();
      ns.dispose();
      if (chained.error) this.#failLoad(chained.error);
      else chained.value.dispose();
      this.#drain(0);
      return;
    }
    if (state.type === 'rejected') {
      loaded.value.dispose();
      this.#failLoad(state.error);
      return;
    }
    if (state.notAPromise !== true) loaded.value.dispose();
    this.#setHandler(state.value);
    state.value.dispose();
  }

  /** Whether the engine refused the bundle for a `yield` in a for…of's iterable (for-of-yield.ts). */
  #refusedForOfYield(error: QuickJSHandle): boolean {
    const ctx = this.#ctx;
    if (ctx.typeof(error) !== 'object') return false;
    const name = ctx.getProp(error, 'name');
    const message = ctx.getProp(error, 'message');
    const refused = ctx.typeof(name) === 'string' && ctx.getString(name) === 'InternalError' &&
      ctx.typeof(message) === 'string' && FOR_OF_YIELD_FAILURE.test(ctx.getString(message));
    name.dispose();
    message.dispose();
    return refused;
  }

  #setHandler(ns: QuickJSHandle): void {
    if (this.#done || this.#handlerSet) return;
    const ctx = this.#ctx;
    const r = ctx.callMethod(this.#entry!, 'setHandler', [ns]);
    this.#evalVoid('delete globalThis.__qw_fs');
    if (r.error) {
      this.#failLoad(r.error);
      return;
    }
    const problem = ctx.typeof(r.value) === 'string' ? ctx.getString(r.value) : undefined;
    r.value.dispose();
    if (problem !== undefined) {
      this.#send({ type: 'error', id: 0, payload: { code: 'BUNDLE_LOAD_ERROR', name: 'Error', message: problem } });
      this.#close(0);
      return;
    }
    this.#handlerSet = true;
    if (this.#ready) return;
    this.#ready = true;
    const caps = this.#settings.capabilities;
    const features = [];
    if (caps.allowNetwork) features.push('fetch');
    if (caps.allowFilesystem) features.push('fs');
    if (caps.allowEval) features.push('eval');
    this.#send({
      type: 'ready',
      id: 0,
      payload: {
        runtime: 'quickjs-wasm',
        version: this.#engine.version,
        pid: process.pid,
        features,
        // No OS layer: the sandbox is a runtime inside a thread of the host process.
        sandbox: { os: 'none', isolation: 'webassembly' },
      },
    });
  }

  #failLoad(error: QuickJSHandle): void {
    const info = this.#interrupted?.code === 'LOAD_CPU_LIMIT' ? undefined : this.#errorInfo(error);
    error.dispose();
    if (this.#done) return;
    if (info !== undefined) {
      this.#send({ type: 'error', id: 0, payload: { code: info.oom ? 'MEMORY_LIMIT' : 'BUNDLE_LOAD_ERROR', ...info.fields } });
    }
    this.#close(0);
  }

  // ---- messages from the session ---------------------------------------------

  #onMessage(message: ToSandbox): void {
    markActive();
    if (this.#done) return;
    switch (message.type) {
      case 'invoke':
        return this.#invoke(message.id, message.payload);
      case 'cancel':
        if (!this.#invocations.has(message.id)) return;
        return this.#callEntry(message.id, 'cancel', (ctx) => [ctx.newNumber(message.id)]);
      case 'result':
        return this.#onResult(message.id, message.payload);
      case 'advanceTime':
        this.#clock.advance(message.ms);
        this.#send({ type: 'advanced', id: 0, payload: {} });
        return;
      case 'shutdown':
        this.#close(0);
        return;
    }
  }

  #invoke(id: number, p: Extract<ToSandbox, { type: 'invoke' }>['payload']): void {
    if (!this.#ready || this.#invocations.has(id)) {
      this.#send({ type: 'error', id, payload: { code: 'HANDLER_ERROR', name: 'Error', message: this.#ready ? 'duplicate invocation id' : 'invoke before ready' } });
      return;
    }
    if (this.#settings.isolation === 'invocation' && this.#used && this.#invocations.size === 0 && !this.#renew()) {
      if (!this.#done) {
        this.#send({ type: 'error', id, payload: { code: 'HANDLER_ERROR', name: 'Error', message: 'the handler did not load in a fresh context' } });
      }
      return;
    }
    this.#used = true;
    this.#leftover.started(this.#invocations.size === 0);
    const now = performance.now();
    this.#invocations.set(id, { id, deadline: p.timeoutMs > 0 ? now + p.timeoutMs : 0, timeoutMs: p.timeoutMs, cpuMs: p.cpuMs, usedMs: 0, logBytes: 0 });
    // Answered by the timer when the handler is waiting; a busy handler is stopped by the interrupt check.
    if (p.timeoutMs > 0) this.#deadlines.arm(now + p.timeoutMs);
    // Method, URL and headers as one JSON text (it has no NUL, so a C string carries it whole): one string made in the engine, not three.
    this.#callEntry(id, 'invoke', (ctx) => [
      ctx.newNumber(id),
      ctx.newString(JSON.stringify([p.method, p.url, p.headers])),
      p.body === null ? ctx.null : ctx.newArrayBuffer(ownBuffer(p.body)),
    ]);
  }

  /** The earliest deadline came: every invocation past its own is answered TIMEOUT; the timer is armed for the next. */
  #onDeadlines(): void {
    const now = performance.now();
    let next = Infinity;
    for (const inv of this.#invocations.values()) {
      if (inv.deadline === 0 || this.#done) continue;
      if (inv.deadline <= now) this.#sendLimit(inv, 'TIMEOUT');
      else if (inv.deadline < next) next = inv.deadline;
    }
    if (next !== Infinity && !this.#done) this.#deadlines.arm(next);
  }

  #onResult(id: number, result: CallResult): void {
    const { body, json } =
      result.ok
        ? { body: result.value.body, json: JSON.stringify({ ok: true, value: { ...result.value, body: null } }) }
        : { body: null, json: JSON.stringify(result) };
    this.#callEntry(id, 'result', (ctx) => [
      ctx.newNumber(result.call),
      ctx.newString(json),
      body === null || body.byteLength === 0 ? ctx.null : ctx.newArrayBuffer(ownBuffer(body)),
    ]);
  }

  // ---- entering the engine ----------------------------------------------------

  /** Calls `entry[method](...args)` on behalf of invocation `id`, then drains the job queue. */
  #callEntry(id: number, method: string, makeArgs: (ctx: QuickJSContext) => QuickJSHandle[]): void {
    if (this.#done) return;
    markActive();
    const ctx = this.#ctx;
    const args = makeArgs(ctx);
    this.#enter(id);
    const r = ctx.callFunction(this.#entryMethod(method), this.#entry!, args);
    for (const a of args) if (a.alive && a !== ctx.null) a.dispose();
    this.#settleCall(r, id);
    this.#drain(id);
  }

  #entryMethod(name: string): QuickJSHandle {
    let method = this.#entryMethods.get(name);
    if (method === undefined) {
      method = this.#ctx.getProp(this.#entry!, name);
      this.#entryMethods.set(name, method);
    }
    return method;
  }

  #disposeEntry(): void {
    for (const method of this.#entryMethods.values()) method.dispose();
    this.#entryMethods.clear();
    this.#entry?.dispose();
  }

  #settleCall(r: ReturnType<QuickJSContext['callFunction']>, id: number): void {
    if (r.error) this.#reportException(r.error, id);
    else r.value.dispose();
  }

  /** Runs pending promise jobs on behalf of `id`, as the native worker does after each entry. */
  #drain(id: number): void {
    // runPendingJobs runs the queue dry unless a job throws; asking first is a plain call,
    // where an empty run still allocates and reads back a result (a warm call made two runs).
    while (!this.#done && this.#rt.hasPendingJob()) {
      this.#enter(id);
      const error = runPendingJobs(this.#rt, this.#ctx, this.#engine.jobSlot);
      this.#leave();
      if (error !== undefined) this.#reportException(error, id);
    }
    this.#leave();
    this.#interrupted = undefined;
    if (!this.#done && this.#settings.capabilities.maxMemory > 0 && this.#overMemory()) this.#memoryExceeded(id);
    if (!this.#done && this.#ready && !this.#invocations.has(id)) this.#leftoverBroke(performance.now());
    if (!this.#done && this.#used && this.#invocations.size === 0) this.#prepareNext();
    if (this.#done) this.#dispose();
  }

  #enter(id: number): void {
    if (this.#enteredAt !== 0 && this.#currentId === id) return;
    this.#leave();
    this.#currentId = id;
    this.#enteredAt = performance.now();
    setGrowthPayer(this);
  }

  #leave(): void {
    if (growthPayer() === this) setGrowthPayer(undefined);
    if (this.#enteredAt === 0) return;
    const now = performance.now();
    const inv = this.#invocations.get(this.#currentId);
    if (inv !== undefined) inv.usedMs += now - this.#enteredAt;
    this.#leftover.add(this.#enteredAt, now, this.#invocations.size === 0);
    this.#ranSinceCheckMs += now - Math.max(this.#enteredAt, this.#lastMemoryCheck);
    this.#enteredAt = 0;
  }

  /** Invocation `id` is answered (a response, an error, a limit): what it leaves running is leftover work. */
  #answered(id: number): void {
    const inv = this.#invocations.get(id);
    if (inv === undefined) return;
    this.#invocations.delete(id);
    this.#leftover.answered(inv.deadline);
    if (this.#invocations.size === 0) this.#deadlines.idle();
  }

  /**
   * Leftover work broke maxCpu or ran past every deadline (leftover-cpu.ts):
   * the session hears it as the process watchdog's finding, and the sandbox
   * ends, which stops that work. Returns true when it did.
   */
  #leftoverBroke(now: number): boolean {
    const breach = this.#leftover.check(now, this.#enteredAt, this.#invocations.size === 0);
    if (breach === undefined) return false;
    this.#interrupted ??= { code: 'STOPPED' };
    this.#send({ type: 'overrun', id: 0, payload: breach });
    this.#close(0);
    return true;
  }

  #reportException(error: QuickJSHandle, id: number): void {
    if (this.#interrupted !== undefined) {
      // A limit fired: the answer went out from the interrupt check.
      error.dispose();
      return;
    }
    const info = this.#errorInfo(error);
    error.dispose();
    if (info.oom) {
      this.#sendError(id, 'MEMORY_LIMIT', {
        name: 'InternalError',
        message: 'The handler ran out of memory: it reached the maxMemory limit of the capability profile. The worker is discarded because its heap can no longer be trusted.',
      });
      this.#close(0);
      return;
    }
    if (this.#invocations.has(id)) {
      this.#answered(id);
      this.#sendError(id, 'HANDLER_ERROR', info.fields);
    } else {
      const text = info.fields.stack ?? `${info.fields.name}: ${info.fields.message}`;
      this.#send({ type: 'log', id, payload: { level: 'error', message: `Uncaught ${text}`, time: this.#clock.now() } });
    }
  }

  #errorInfo(error: QuickJSHandle): { oom: boolean; fields: { name: string; message: string; stack?: string } } {
    const ctx = this.#ctx;
    const read = (key: string): string | undefined => {
      if (ctx.typeof(error) !== 'object') return undefined;
      const h = ctx.getProp(error, key);
      const v = ctx.typeof(h) === 'string' ? ctx.getString(h) : undefined;
      h.dispose();
      return v;
    };
    let name = read('name');
    let message = read('message');
    let stack = read('stack');
    if (message === undefined) {
      const s = ctx.typeof(error) === 'string' ? ctx.getString(error) : String(ctx.dump(error));
      message = s;
      name ??= 'NonErrorThrown';
    }
    name ??= 'Error';
    if (stack !== undefined && stack.startsWith('    at ')) stack = `${name}: ${message}\n${stack}`;
    // Once its memory could not grow, whatever the handler throws is the limit's doing: the
    // engine throws null when even its "out of memory" error cannot be allocated.
    const oom = (name === 'InternalError' && message === 'out of memory') || this.#growthRefused;
    return { oom, fields: stack === undefined || stack === '' ? { name, message } : { name, message, stack } };
  }

  // ---- limits -----------------------------------------------------------------

  /** Runs every few thousand engine ticks. Returning true throws an uncatchable error in the handler. */
  #shouldInterrupt(): boolean {
    if (this.#inPrelude) return false;
    if (this.#interrupted !== undefined) return true;
    if (Atomics.load(this.#stop, 0) !== 0) {
      this.#interrupted = { code: 'STOPPED' };
      this.#close(0);
      return true;
    }
    if (this.#settings.capabilities.maxMemory > 0 && this.#overMemory()) {
      this.#memoryExceeded(this.#currentId);
      return true;
    }
    const now = performance.now();
    const maxCpu = this.#settings.capabilities.maxCpu;
    if (!this.#ready && this.#loadStartedAt > 0 && maxCpu > 0 && now - this.#loadStartedAt >= maxCpu) {
      this.#interrupted = { code: 'LOAD_CPU_LIMIT' };
      this.#sendError(0, 'BUNDLE_LOAD_ERROR', {
        name: 'RangeError',
        message: `The module's top-level code used more than ${maxCpu} ms of CPU time (maxCpu); it was interrupted.`,
      });
      this.#close(0);
      return true;
    }
    const inv = this.#invocations.get(this.#currentId);
    if (inv === undefined) {
      // Code no invocation in flight owns (a timer, a promise chain left behind).
      return this.#ready && this.#leftoverBroke(now);
    }
    if (inv.deadline > 0 && now >= inv.deadline) return this.#sendLimit(inv, 'TIMEOUT');
    if (inv.cpuMs > 0 && inv.usedMs + (this.#enteredAt > 0 ? now - this.#enteredAt : 0) >= inv.cpuMs) {
      return this.#sendLimit(inv, 'CPU_LIMIT');
    }
    return false;
  }

  #sendLimit(inv: Invocation, code: 'TIMEOUT' | 'CPU_LIMIT'): true {
    this.#answered(inv.id);
    this.#interrupted = { code };
    this.#sendError(
      inv.id,
      code,
      code === 'TIMEOUT'
        ? { name: 'TimeoutError', message: `The invocation did not finish within its timeout of ${inv.timeoutMs} ms (timeoutMs); it was interrupted.` }
        : { name: 'RangeError', message: `The handler used more than ${inv.cpuMs} ms of CPU time (the cpuMs/maxCpu limit); it was interrupted.` },
    );
    return true;
  }

  // ---- the host functions behind the binding ------------------------------------

  #installHost(rt: QuickJSRuntime, ctx: QuickJSContext): void {
    const s = this.#settings;
    const host = ctx.newObject();
    const functions = new HostFunctions(rt, ctx);
    const fn = (name: string, impl: (...args: QuickJSHandle[]) => QuickJSHandle | undefined): void => {
      const f = functions.fn(name, impl);
      ctx.setProp(host, name, f);
      f.dispose();
    };
    const str = (h: QuickJSHandle | undefined): string => (h === undefined ? '' : ctx.getString(h));
    const strings = this.#engine.strings;
    // Text that may hold any code unit, NUL included (engine-strings.ts; the binding's toHost/fromHost).
    const text = (h: QuickJSHandle | undefined): string => {
      if (h === undefined) return '';
      if (ctx.typeof(h) === 'string') return strings !== undefined ? strings.fromEngine(ctx, h) : ctx.getString(h);
      const json = ctx.getProp(h, 0);
      const s = ctx.typeof(json) === 'string' ? String(JSON.parse(ctx.getString(json))) : '';
      json.dispose();
      return s;
    };
    const textValue = (s: string): QuickJSHandle => {
      if (strings !== undefined) return strings.toEngine(ctx, s);
      if (!s.includes('\0')) return ctx.newString(s);
      const wrapped = ctx.newArray();
      const json = ctx.newString(JSON.stringify(s));
      ctx.setProp(wrapped, 0, json);
      json.dispose();
      return wrapped;
    };
    const num = (h: QuickJSHandle | undefined): number => (h === undefined ? 0 : ctx.getNumber(h));
    const bytes = (h: QuickJSHandle | undefined): Uint8Array | null => {
      // The binding passes absent bytes as undefined (null also has the type 'object').
      if (h === undefined || ctx.typeof(h) !== 'object') return null;
      const view = ctx.getArrayBuffer(h);
      const copy = view.value.slice();
      view.dispose();
      return copy;
    };
    const buffer = (b: Uint8Array): QuickJSHandle => ctx.newArrayBuffer(ownBuffer(b));
    const caps = s.capabilities;

    fn('options', () => {
      const o = ctx.newObject();
      const set = (k: string, v: QuickJSHandle): void => {
        ctx.setProp(o, k, v);
        v.dispose();
      };
      set('env', ctx.newString(JSON.stringify(s.env)));
      set('allowEval', caps.allowEval ? ctx.true : ctx.false);
      set('allowFilesystem', caps.allowFilesystem ? ctx.true : ctx.false);
      set('projectId', ctx.newString(caps.projectId));
      set('engineVersion', ctx.newString(this.#engine.version));
      set('maxBodyBytes', ctx.newNumber(s.limits.maxBodyBytes));
      set('fakeClock', s.fakeClock === null ? ctx.false : ctx.true);
      set('randomSeed', s.randomSeed === null ? ctx.null : ctx.newNumber(s.randomSeed));
      set('exactStrings', strings !== undefined ? ctx.true : ctx.false);
      return o;
    });
    fn('currentId', () => ctx.newNumber(this.#currentId));
    fn('respond', (id, head, body) => {
      // Measured before it is copied out: a body over the limit is never copied into the host.
      let out: Uint8Array | number | null = null;
      if (body !== undefined && ctx.typeof(body) === 'object') {
        const view = ctx.getArrayBuffer(body);
        out = view.value.byteLength > s.limits.maxBodyBytes ? view.value.byteLength : view.value.slice();
        view.dispose();
      }
      this.#respond(num(id), str(head), out);
      return undefined;
    });
    fn('fail', (id, code, name, message, stack) => {
      const n = num(id);
      if (!this.#invocations.has(n)) return undefined;
      this.#answered(n);
      const fields: { name: string; message: string; stack?: string } = { name: text(name), message: text(message) };
      if (stack !== undefined && ctx.typeof(stack) !== 'undefined') fields.stack = text(stack);
      const oom = (fields.name === 'InternalError' && fields.message === 'out of memory') || this.#growthRefused;
      const named = str(code);
      const kept = named === 'CAPABILITY_DENIED' || named === 'RESPONSE_TOO_LARGE' ? named : 'HANDLER_ERROR';
      this.#sendError(n, oom ? 'MEMORY_LIMIT' : kept, fields);
      if (oom) this.#close(0);
      return undefined;
    });
    fn('log', (level, message) => {
      const inv = this.#invocations.get(this.#currentId);
      // Past maxLogBytes the session keeps nothing more of this invocation's logs: such a
      // line is not even copied out (a flood of 100 MB would cost the thread seconds).
      // The session stays the one that counts and cuts; this only spares it what it drops.
      if (inv !== undefined && inv.logBytes > s.limits.maxLogBytes) return undefined;
      const line = text(message);
      if (inv !== undefined) inv.logBytes += Buffer.byteLength(line);
      const l = str(level) as LogLevel;
      this.#send({
        type: 'log',
        id: this.#currentId,
        payload: { level: LOG_LEVELS.includes(l) ? l : 'log', message: line, time: this.#clock.now() },
      });
      return undefined;
    });
    fn('timer', (delay, repeat) => {
      const id = this.#nextTimer++;
      const owner = this.#currentId;
      const ms = num(delay);
      const isRepeat = repeat !== undefined && ctx.dump(repeat) === true;
      const handle = this.#clock.schedule(ms, isRepeat, () => {
        if (!isRepeat) this.#timers.delete(id);
        this.#callEntry(owner, 'fire', (c) => [c.newNumber(id)]);
      });
      this.#timers.set(id, handle);
      return ctx.newNumber(id);
    });
    fn('clearTimer', (id) => {
      const n = num(id);
      const handle = this.#timers.get(n);
      if (handle !== undefined) this.#clock.cancel(handle);
      this.#timers.delete(n);
      return undefined;
    });
    fn('now', () => ctx.newNumber(this.#clock.now()));
    fn('utf8Encode', (s1) =>
      buffer(strings !== undefined && s1 !== undefined && ctx.typeof(s1) === 'string' ? strings.utf8FromEngine(ctx, s1) : Buffer.from(text(s1), 'utf8')),
    );
    fn('utf8Decode', (b, fatal) => {
      if (b === undefined || ctx.typeof(b) !== 'object') return textValue('');
      const view = ctx.getArrayBuffer(b);
      let decoded: string;
      try {
        // Copied out of the engine's memory before the engine allocates again (that may move it).
        const ascii = strings?.asciiToEngine(ctx, view.value);
        if (ascii !== undefined) return ascii;
        decoded = UTF8_DECODERS[num(fatal) === 1 ? 1 : 0].decode(view.value);
      } catch {
        throw new TypeError('The encoded data was not valid for encoding utf-8');
      } finally {
        view.dispose();
      }
      return textValue(decoded);
    });
    fn('base64Encode', (b) => ctx.newString(Buffer.from(bytes(b) ?? new Uint8Array(0)).toString('base64')));
    fn('base64Decode', (s1) => {
      const text = str(s1);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) throw new TypeError('invalid base64 data');
      return buffer(Buffer.from(text, 'base64'));
    });
    fn('random', (n) => {
      const out = new Uint8Array(num(n));
      if (this.#random !== undefined) this.#random.fill(out);
      else crypto.getRandomValues(out);
      return buffer(out);
    });
    fn('loadLazy', (name) => {
      const part = str(name);
      const code = this.#engine.lazy.get(part);
      if (code === undefined) throw new TypeError('no such lazy prelude part');
      // Parsing the prelude is the library's work, not the handler's: it is not charged to the
      // invocation's CPU (the first `new URL()` of a sandbox cost 300 ms on a loaded machine,
      // Intl or WebCrypto seconds, and ended handlers with CPU_LIMIT). The deadline still runs.
      const owner = this.#currentId;
      const entered = this.#enteredAt !== 0;
      if (entered) this.#leave();
      const r = ctx.evalCode(code, `prelude-${part}.js`);
      if (entered) this.#enter(owner);
      if (r.error) return { error: r.error } as unknown as QuickJSHandle;
      r.value.dispose();
      return undefined;
    });
    fn('denyEval', (what) => {
      this.#send({ type: 'denied', id: this.#currentId, payload: { capability: 'eval', target: str(what), rule: 'allowEval is false' } });
      return undefined;
    });
    fn('call', (op, argsJson) => {
      if (str(op) !== 'fetch') throw new TypeError(`unknown host call ${str(op)}`);
      const checked = parseFetchArgs(str(argsJson));
      if (!checked.ok) {
        this.#violation(checked.reason);
        return undefined;
      }
      const args = checked.value;
      if (!caps.allowNetwork) {
        this.#send({ type: 'denied', id: this.#currentId, payload: { capability: 'network', target: String(args.url), rule: 'allowNetwork is false' } });
        return this.#throwDenied('TypeError', 'fetch is not allowed: the capability profile does not allow the network (allowNetwork: false).');
      }
      const call = this.#nextCall++;
      const body = args.body === null ? null : new Uint8Array(Buffer.from(args.body, 'base64'));
      this.#send({ type: 'call', id: this.#currentId, payload: { call, op: 'fetch', args: { ...args, body } } }, body === null ? undefined : [body.buffer as ArrayBuffer]);
      return ctx.newNumber(call);
    });
    fn('fs', (op, path, data, a, b) => {
      const owner = this.#currentId;
      const started = this.#files.start(num(op), str(path), bytes(data), ctx.dump(a) === true, ctx.dump(b) === true);
      if (!started.ok) {
        if (started.denial !== undefined) {
          this.#send({ type: 'denied', id: owner, payload: { capability: 'filesystem', ...started.denial } });
        }
        return this.#throwDenied(started.name, started.message, started.props);
      }
      const opId = started.id;
      void started.done.then((outcome) => {
        this.#callEntry(owner, 'fsDone', (c) => [
          c.newNumber(opId),
          outcome.ok ? c.true : c.false,
          outcome.json === null ? c.null : c.newString(outcome.json),
          outcome.bytes === null ? c.null : buffer(outcome.bytes),
        ]);
      });
      return ctx.newNumber(opId);
    });
    ctx.setProp(ctx.global, '__qw_host', host);
    host.dispose();
  }

  /** Makes the host function throw an error object built inside the sandbox. */
  #throwDenied(name: string, message: string, props: Record<string, string | number> = { code: 'CAPABILITY_DENIED' }): QuickJSHandle {
    const ctx = this.#ctx;
    const error = ctx.newError({ name, message });
    for (const [k, v] of Object.entries(props)) {
      const h = typeof v === 'number' ? ctx.newNumber(v) : ctx.newString(v);
      ctx.setProp(error, k, h);
      h.dispose();
    }
    return { error } as unknown as QuickJSHandle;
  }

  /** `body` is the size alone of a body over maxBodyBytes, which is refused without being copied. */
  #respond(id: number, head: string, body: Uint8Array | number | null): void {
    const inv = this.#invocations.get(id);
    if (inv === undefined) return;
    this.#answered(id);
    const maxBody = this.#settings.limits.maxBodyBytes;
    const size = typeof body === 'number' ? body : body === null ? 0 : body.byteLength;
    if (typeof body === 'number' || size > maxBody) {
      this.#sendError(id, 'RESPONSE_TOO_LARGE', {
        name: 'RangeError',
        message: `The response body has ${size} bytes, more than limits.maxBodyBytes (${maxBody}).`,
      });
      return;
    }
    const checked = parseHead(head);
    if (!checked.ok) {
      this.#violation(checked.reason);
      return;
    }
    const { status, statusText, headers } = checked.value;
    const used = inv.usedMs + (this.#enteredAt > 0 && this.#currentId === id ? performance.now() - this.#enteredAt : 0);
    this.#send(
      {
        type: 'response',
        id,
        payload: { status, statusText, headers, body, cpuMs: used, peakMemoryBytes: this.#memoryBytes },
      },
      body === null ? undefined : [body.buffer as ArrayBuffer],
    );
  }

  /**
   * The engine's allocator limit (setMemoryLimit) does not count every
   * allocation in this build (large strings and array buffers pass it), so
   * the runtime's memory is also measured. Measuring walks the whole heap,
   * which for a large heap (Intl's data) costs milliseconds, so it is paced:
   * after every MEMORY_CHECK_MS of engine time at most, and never more than a
   * tenth of the engine's time; and whenever the thread's WebAssembly memory grew by
   * enough to carry this sandbox past maxMemory since it last measured.
   * Returns true when over maxMemory.
   */
  #overMemory(): boolean {
    const max = this.#settings.capabilities.maxMemory;
    if (this.#growthRefused) return true;
    const wasmBytes = this.#engine.module.getWasmMemory().buffer.byteLength;
    const now = performance.now();
    const grewPastLimit = max > 0 && this.#memoryBytes + (wasmBytes - this.#seenWasmBytes) > max;
    // Engine time, not wall time: a sandbox that ran nothing since its last measurement has nothing new to measure.
    const ran = this.#ranSinceCheckMs + (this.#enteredAt > 0 ? now - Math.max(this.#enteredAt, this.#lastMemoryCheck) : 0);
    const due = ran >= Math.max(MEMORY_CHECK_MS, 10 * this.#memoryCheckCostMs);
    if (!grewPastLimit && !due) return false;
    this.#memoryBytes = Math.max(this.#memoryBytes, this.#measureHeap(this.#rt, this.#ctx));
    this.#memoryCheckCostMs = this.#lastMemoryCheck - now;
    return max > 0 && this.#memoryBytes > max;
  }

  /** The heap of `rt` in bytes (memory_used_size); notes when and at what WebAssembly memory size it was measured. */
  #measureHeap(rt: QuickJSRuntime, ctx: QuickJSContext): number {
    this.#seenWasmBytes = this.#engine.module.getWasmMemory().buffer.byteLength;
    const usage = rt.computeMemoryUsage();
    const used = ctx.getProp(usage, 'memory_used_size');
    const bytes = ctx.getNumber(used);
    used.dispose();
    usage.dispose();
    this.#lastMemoryCheck = performance.now();
    this.#ranSinceCheckMs = 0;
    return bytes;
  }

  /**
   * Called from inside an allocation (memory-growth.ts): must not enter the
   * engine. Refusing makes that allocation fail; the sandbox is then over its
   * limit for good, and ends at the next interrupt check or when its code returns.
   */
  chargeGrowth(bytes: number): boolean {
    const max = this.#settings.capabilities.maxMemory;
    if (max > 0 && this.#grownBytes + bytes > max) {
      this.#growthRefused = true;
      return false;
    }
    this.#grownBytes += bytes;
    return true;
  }

  /** The handler's context broke the protocol: the session kills this worker with PROTOCOL_ERROR, as for a process. */
  #violation(reason: string): void {
    this.#interrupted ??= { code: 'STOPPED' };
    this.#send({ type: 'violation', id: 0, payload: { reason } });
    this.#close(0);
  }

  #memoryExceeded(id: number): void {
    this.#interrupted ??= { code: 'STOPPED' };
    this.#sendError(id, 'MEMORY_LIMIT', {
      name: 'InternalError',
      message: `The handler used more than ${this.#settings.capabilities.maxMemory} bytes of memory (${this.#memoryBytes} measured, ${this.#grownBytes} of WebAssembly memory grown for it; maxMemory). The worker is discarded.`,
    });
    this.#close(0);
  }

  #loadModule(name: string): string | { error: Error } {
    if (name !== 'node:fs/promises' && name !== 'fs/promises') {
      return {
        error: new Error(
          `Cannot find module '${name}': a handler can import only 'node:fs/promises' (when the profile allows the filesystem). Bundle other dependencies into the handler source.`,
        ),
      };
    }
    if (!this.#settings.capabilities.allowFilesystem) {
      this.#send({ type: 'denied', id: this.#currentId, payload: { capability: 'filesystem', target: name, rule: 'allowFilesystem is false' } });
      return {
        error: new TypeError(
          `Cannot import '${name}': the capability profile does not allow the filesystem (allowFilesystem: false). [CAPABILITY_DENIED]`,
        ),
      };
    }
    const ctx = this.#ctx;
    const fs = ctx.callMethod(this.#entry!, 'fsModule', []);
    if (fs.error) {
      fs.error.dispose();
      return { error: new Error('the filesystem module is unavailable') };
    }
    ctx.setProp(ctx.global, '__qw_fs', fs.value);
    fs.value.dispose();
    // The module takes the object off the global as it is evaluated, whenever the import comes.
    return 'const fs = globalThis.__qw_fs; delete globalThis.__qw_fs; export const { readFile, writeFile, readdir, stat, mkdir, rm } = fs; export default fs;';
  }

  #evalVoid(code: string): void {
    const r = this.#ctx.evalCode(code);
    if (r.error) r.error.dispose();
    else r.value.dispose();
  }

  // ---- output and teardown ------------------------------------------------------

  #sendError(id: number, code: WorkerErrorCode, fields: { name: string; message: string; stack?: string }): void {
    this.#send({ type: 'error', id, payload: { code, ...fields } });
  }

  #send(message: FromSandbox, transfer?: ArrayBuffer[]): void {
    if (this.#done && message.type !== 'exit') return;
    if (this.#port === undefined) {
      this.#outbox.push([message, transfer]);
      return;
    }
    this.#post(message, transfer);
    // Answered with nothing else in flight: the next call may be on its way.
    if ((message.type === 'response' || message.type === 'error') && message.id !== 0) this.#spin?.start();
  }

  #post(message: FromSandbox, transfer?: ArrayBuffer[]): void {
    if (this.#lane !== undefined) this.#lane.send(message, transfer);
    else this.#port?.postMessage(message, transfer);
  }

  /** Ends the sandbox: the session hears `exit`; the engine is freed once no code of it runs. */
  #close(code: number): void {
    if (this.#done) return;
    this.#done = true;
    // A sandbox that ends while it pays for growth must not pay for the next one's prelude.
    if (growthPayer() === this) setGrowthPayer(undefined);
    this.#clock.stop();
    this.#timers.clear();
    this.#deadlines.stop();
    clearImmediate(this.#preparing);
    this.#send({ type: 'exit', id: 0, payload: { code } });
    this.#port?.close();
    this.#resolveClosed();
    if (this.#enteredAt === 0) this.#dispose();
  }

  #disposed = false;

  #dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    // The engine may be mid-call when a limit closes the sandbox: free it once that call returned.
    queueMicrotask(() => {
      try {
        if (this.#next !== undefined) {
          (this.#next.entry ?? this.#next.error)?.dispose();
          this.#next.ctx.dispose();
          this.#next.rt.dispose();
        }
        this.#disposeEntry();
        this.#ctx.dispose();
        this.#rt.dispose();
      } catch {
        // JS_FreeRuntime aborts the engine (thrown here as a RuntimeError, printed on stderr) when an
        // object of the runtime is still referenced; that runtime's memory then stays in the thread's
        // module. Runtimes stopped by a limit free cleanly (their calls have returned by now); the one
        // known cause, a stray context made by the job runner, is gone (pending-jobs.ts). Caught so
        // that the thread's other sandboxes keep being served.
      }
    });
  }
}

/** The buffer holding exactly `bytes` (newArrayBuffer copies a whole buffer into the engine): theirs when it is theirs alone, else a copy. */
function ownBuffer(bytes: Uint8Array): ArrayBufferLike {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}
