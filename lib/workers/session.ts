import { EventEmitter } from 'eventemitter3';
import {
  BundleLoadError,
  CpuLimitError,
  FunctionsError,
  MemoryLimitError,
  ProtocolError,
  SandboxUnavailableError,
  TimeoutError,
  WorkerCrashedError,
  createError,
  withInvocation,
} from '../errors.js';
import { HostCallBudget, type HostCallTicket } from '../host-calls/budget.js';
import { IdTable } from '../id-table.js';
import { EXIT_BAD_SETTINGS, EXIT_FENCE_INCOMPLETE } from '../protocol/index.js';
import { missingLayers } from '../sandbox/fence-report.js';
import { EarliestDeadline } from './earliest-deadline.js';
import { InvocationLogs } from './invocation-logs.js';
import { LeftoverWork } from './leftover-work.js';
import { SpinWait } from './spin-wait.js';
import type { SessionMessage, Transport, TransportExit, WatcherFinding } from './transport.js';
import type {
  InvocationDone,
  InvokeOptions,
  LogEntry,
  ReadyInfo,
  RuntimeName,
  WireRequest,
  Worker,
  WorkerContext,
  WorkerEvents,
} from './worker.js';

interface Invocation {
  id: number;
  done: InvocationDone;
  /** False once the caller has been answered (or gave up): late messages are then ignored. */
  open: boolean;
  /** Past its deadline and not yet answered: the worker takes nothing new until it answers or is killed. */
  overdue: boolean;
  /** Made at the first log line: most invocations log nothing. */
  logs: InvocationLogs | undefined;
  denials: number;
  coldStart: boolean;
  /** performance.now() when the session's deadline timer acts on it (`#overrun`); Infinity: never. */
  checkAt: number;
  /** The caller's whole deadline (ms, for messages) and the time it spent queued (ms). */
  deadlineMs: number;
  grace: number;
  /** The kill after `grace`, once the invocation is overdue (rare: one timer of its own). */
  timer: NodeJS.Timeout | undefined;
  /** Host calls in flight; made at the first one. */
  calls: Set<AbortController> | undefined;
  /** performance.now() at the end of the handler's whole budget on this worker; Infinity without a deadline. */
  until: number;
}

/**
 * One worker as the pool sees it, whatever carries its messages: the table
 * of invocations in flight, host calls, logs and denials, deadlines, and the
 * mapping from a worker's exit to the rejection of what it was running. Every
 * runtime is this class over its own `Transport` (transport.ts).
 */
export class InvocationSession extends EventEmitter<WorkerEvents> implements Worker {
  readonly id: number;
  readonly runtime: RuntimeName;
  readonly #context: WorkerContext;
  readonly #transport: Transport;
  /** Keyed by invocation id (ids only grow on a worker, so ascending is the order they were sent in). */
  readonly #invocations = new IdTable<Invocation>();
  readonly #spin: SpinWait;
  readonly #hostCalls: HostCallBudget;
  #info: ReadyInfo | undefined;
  #nextId = 1;
  #served = 0;
  #overdue = 0;
  #exited = false;
  /** Set once the worker is being stopped or killed: it is sent nothing new. */
  #dying = false;
  #killReason: { error: FunctionsError; invocationId: number } | undefined;
  #startError: FunctionsError | undefined;
  #start: { resolve: (info: ReadyInfo) => void; reject: (e: FunctionsError) => void } | undefined;
  #startPromise: Promise<ReadyInfo> | undefined;
  #sentNone = true;
  #exitPromise: Promise<void>;
  #resolveExit!: () => void;
  readonly #emitFree = (): void => {
    this.emit('free');
  };
  #openedAt = 0;
  readonly #leftover: LeftoverWork;
  /** Why the worker is to be recycled once nothing is in flight. */
  #recycleReason: string | undefined;
  /** Fires at the earliest deadline in flight (`#onDeadline`). */
  readonly #deadlines = new EarliestDeadline(() => this.#onDeadline());

  constructor(runtime: RuntimeName, context: WorkerContext, transport: Transport) {
    super();
    this.id = context.id;
    this.runtime = runtime;
    this.#context = context;
    this.#transport = transport;
    this.#exitPromise = new Promise((resolve) => (this.#resolveExit = resolve));
    this.#hostCalls = new HostCallBudget(context.options.hostFetch);
    this.#leftover = new LeftoverWork(context.options.maxLogBytes, (reason) => this.#recycle(reason));
    // A lone call in flight: several answer back to back without polling (see SpinWait).
    this.#spin = new SpinWait(context.options.spinWaitUs, () => this.#invocations.size === 1 && !this.#exited, transport.polled);
  }

  get pid(): number | undefined {
    return this.#transport.pid;
  }
  get info(): ReadyInfo | undefined {
    return this.#info;
  }
  get inFlight(): number {
    return this.#invocations.size;
  }
  get served(): number {
    return this.#served;
  }
  get exited(): boolean {
    return this.#exited;
  }
  get accepting(): boolean {
    return this.#info !== undefined && !this.#exited && !this.#dying && this.#overdue === 0;
  }

  start(): Promise<ReadyInfo> {
    this.#startPromise ??= this.#open();
    return this.#startPromise;
  }

  #open(): Promise<ReadyInfo> {
    this.#openedAt = performance.now();
    const promise = new Promise<ReadyInfo>((resolve, reject) => {
      this.#start = { resolve, reject };
    });
    this.#transport.open({
      message: (message) => this.#onMessage(message),
      violation: (reason) => this.#violation(reason),
      output: (level, line) => this.#log({ level, message: line, time: Date.now() }, this.#soleInvocation()),
      overrun: (finding, detail) => this.#onOverrun(finding, detail),
      exit: (exit) => this.#onExit(exit),
    });
    const startTimeoutMs = this.#context.options.startTimeoutMs;
    const startTimer = setTimeout(() => {
      this.#kill(new WorkerCrashedError(`The ${this.runtime} worker did not become ready within ${startTimeoutMs} ms (startTimeoutMs)`), 0);
    }, startTimeoutMs);
    promise.then(
      () => clearTimeout(startTimer),
      () => clearTimeout(startTimer),
    );
    return promise;
  }

  invoke(request: WireRequest, options: InvokeOptions, done: InvocationDone): void {
    // Ids come from the pool, unique across its workers; they only ever grow on one worker.
    const id = options.invocationId;
    if (!this.accepting || id < this.#nextId) {
      const refused = withInvocation(new WorkerCrashedError('The worker is not taking invocations'), { invocationId: id });
      queueMicrotask(() => done(refused));
      return;
    }
    const coldStart = this.#sentNone;
    this.#nextId = id + 1;
    this.#sentNone = false;
    // Time the call already spent queued: the handler gets it back before its worker is killed.
    const grace = options.timeoutMs > 0 ? Math.max(0, options.deadlineMs - options.timeoutMs) : 0;
    const now = performance.now();
    const invocation: Invocation = {
      id,
      done,
      open: true,
      overdue: false,
      logs: undefined,
      denials: 0,
      coldStart,
      checkAt: options.timeoutMs > 0 ? now + options.timeoutMs : Infinity,
      deadlineMs: options.deadlineMs,
      grace,
      timer: undefined,
      calls: undefined,
      until: options.timeoutMs > 0 ? now + options.timeoutMs + grace : Infinity,
    };
    this.#invocations.set(id, invocation);
    if (options.timeoutMs > 0) this.#deadlines.arm(invocation.checkAt);
    this.#transport.send({
      id,
      type: 'invoke',
      payload: {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: request.body,
        cpuMs: this.#context.capabilities.maxCpu,
        // The worker's own deadline is the handler's whole budget, as is the host's kill below.
        timeoutMs: options.timeoutMs === 0 ? 0 : options.timeoutMs + grace,
      },
    });
    this.#transport.busy?.(options.timeoutMs > 0);
    this.#spin.start();
  }

  /** The earliest deadline came (or a little before it: timers run on the loop's cached clock). */
  #onDeadline(): void {
    const now = performance.now();
    let next = Infinity;
    for (const invocation of this.#invocations.values()) {
      if (invocation.checkAt <= now) {
        invocation.checkAt = Infinity;
        this.#overrun(invocation, invocation.deadlineMs, invocation.grace);
      } else if (invocation.checkAt < next) {
        next = invocation.checkAt;
      }
    }
    if (next !== Infinity && !this.#exited) this.#deadlines.arm(next);
  }

  cancel(invocationId: number, error: FunctionsError): void {
    const invocation = this.#invocations.get(invocationId);
    if (invocation === undefined || !invocation.open) return;
    this.#reject(invocation, error);
    // The slot stays taken until the worker answers or the deadline kills it:
    // a handler that ignores cancellation must not get a fresh invocation beside it.
    this.#transport.send({ id: invocationId, type: 'cancel' });
  }

  async terminate(reason = 'terminated by the pool', graceMs = this.#context.options.shutdownTimeoutMs): Promise<void> {
    this.#dying = true;
    if (this.#exited) return;
    this.#killReason ??= { error: new WorkerCrashedError(`The worker was stopped: ${reason}`), invocationId: 0 };
    if (this.#startPromise === undefined) {
      this.#onExit({ code: null, signal: null });
      return;
    }
    this.#transport.send({ id: 0, type: 'shutdown' });
    this.#transport.close(graceMs);
    await this.#exitPromise;
  }

  /**
   * The caller's deadline passed. A handler that ran for its whole
   * `timeoutMs` here is killed with its worker now. One that started late,
   * having waited in the queue (behind a hung one, say), is answered TIMEOUT
   * now but gets the time it waited (`grace`) to finish before its worker is
   * killed: a quick handler then keeps its worker, so one hang costs one
   * replacement, not one per call that queued behind it.
   */
  #overrun(invocation: Invocation, deadlineMs: number, grace: number): void {
    if (this.#invocations.get(invocation.id) !== invocation) return;
    const overran = (): TimeoutError =>
      new TimeoutError(
        `The handler did not answer within its ${deadlineMs} ms deadline (timeoutMs, counted from invoke()); its worker was killed and will be replaced`,
      );
    if (grace === 0) {
      this.#kill(overran(), invocation.id);
      return;
    }
    invocation.overdue = true;
    this.#overdue++;
    if (invocation.open) {
      this.#reject(
        invocation,
        new TimeoutError(
          `The invocation waited ${grace} ms for a worker and the handler did not answer within the rest of its ${deadlineMs} ms deadline (timeoutMs, counted from invoke())`,
        ),
      );
      this.#transport.send({ id: invocation.id, type: 'cancel' });
    }
    invocation.timer = setTimeout(() => this.#kill(overran(), invocation.id), grace);
  }

  /** Answers the caller with `error` and the logs the invocation had so far. */
  #reject(invocation: Invocation, error: FunctionsError): void {
    invocation.open = false;
    invocation.logs?.seal();
    abortCalls(invocation);
    invocation.done(withInvocation(error, { invocationId: invocation.id, logs: invocation.logs?.entries ?? [] }));
  }

  /** Kills the worker now; `error` goes to `invocationId` at once, the others get WORKER_CRASHED when it is gone. */
  #kill(error: FunctionsError, invocationId: number): void {
    this.#dying = true;
    if (this.#exited) return;
    this.#killReason ??= { error, invocationId };
    const invocation = this.#invocations.get(invocationId);
    if (invocation?.open === true) this.#reject(invocation, error);
    this.#transport.kill();
  }

  #soleInvocation(): number {
    if (this.#invocations.size !== 1) return 0;
    return this.#invocations.firstId() ?? 0;
  }

  #violation(reason: string): void {
    this.#kill(new ProtocolError(`The worker broke the protocol and was killed: ${reason}`), -1);
  }

  #onMessage(message: SessionMessage): void {
    if (this.#exited) return;
    if (message.id >= this.#nextId) {
      this.#violation(`message for invocation ${message.id}, which was never sent`);
      return;
    }
    switch (message.type) {
      case 'ready':
        return this.#onReady(message.payload);
      case 'log':
        return this.#log(message.payload, message.id);
      case 'denied': {
        const invocation = this.#invocations.get(message.id);
        if (invocation !== undefined) invocation.denials++;
        this.emit('denied', message.payload, message.id);
        return;
      }
      case 'call':
        return this.#onCall(message);
      case 'error':
        return this.#onError(message.id, message.payload);
      case 'response': {
        if (this.#info === undefined) return this.#violation('a response before ready');
        const invocation = this.#settle(message.id);
        if (invocation === undefined) return;
        const p = message.payload;
        invocation.done({
          status: p.status,
          statusText: p.statusText,
          headers: p.headers,
          body: p.body ?? new Uint8Array(0),
          logs: invocation.logs?.entries ?? [],
          cpuMs: p.cpuMs,
          peakMemoryBytes: p.peakMemoryBytes,
          denials: invocation.denials,
          coldStart: invocation.coldStart,
        });
        return;
      }
    }
  }

  #onReady(info: Omit<ReadyInfo, 'startMs'>): void {
    if (this.#info !== undefined) return this.#violation('a second ready message');
    if (this.#context.options.requireOsSandbox) {
      const missing = missingLayers(info.sandbox);
      if (missing.length > 0) {
        this.#startError = new SandboxUnavailableError(
          `The ${this.runtime} worker's OS fence is incomplete (${missing.map((l) => `${l}: ${String(info.sandbox[l] ?? 'absent')}`).join(', ')}) and requireOsSandbox is set`,
        );
        this.#kill(this.#startError, 0);
        return;
      }
    }
    const { runtime, version, pid, features, sandbox } = info;
    this.#info = { runtime, version, pid, features, sandbox, startMs: performance.now() - this.#openedAt };
    this.#start?.resolve(this.#info);
  }

  #onError(id: number, raw: { code: string; name?: string | undefined; message: string; stack?: string | undefined }): void {
    const map = this.#context.mapStack;
    const payload =
      map === undefined ? raw : { ...raw, message: map(raw.message), stack: raw.stack === undefined ? undefined : map(raw.stack) };
    const options = { workerName: payload.name, workerStack: payload.stack };
    if (id === 0) {
      if (this.#info === undefined && payload.code === 'BUNDLE_LOAD_ERROR') {
        this.#startError = new BundleLoadError(`The handler bundle failed to load: ${payload.name ?? 'Error'}: ${payload.message}`, options);
        return;
      }
      if (this.#info === undefined && payload.code === 'MEMORY_LIMIT') {
        this.#startError = new MemoryLimitError(`The handler bundle exceeded its memory limit while loading (maxMemory): ${payload.message}`, options);
        return;
      }
      return this.#violation(`an error with code ${payload.code} outside any invocation`);
    }
    if (payload.code === 'MEMORY_LIMIT' || payload.code === 'CPU_LIMIT' || payload.code === 'TIMEOUT') {
      // The worker interrupted the handler itself, mid-flight: whatever state the
      // handler left behind cannot be trusted, so the worker is replaced.
      const error =
        payload.code === 'MEMORY_LIMIT'
          ? new MemoryLimitError(`The handler exceeded its memory limit (maxMemory): ${payload.message}`, options)
          : payload.code === 'CPU_LIMIT'
            ? new CpuLimitError(`The handler exceeded its CPU time limit (maxCpu): ${payload.message}`, options)
            : new TimeoutError(`The handler overran its deadline (timeoutMs): ${payload.message}`, options);
      this.#kill(error, id);
      return;
    }
    const invocation = this.#settle(id);
    if (invocation === undefined) return;
    const message =
      payload.code === 'HANDLER_ERROR' ? `The handler threw ${payload.name ?? 'Error'}: ${payload.message}` : payload.message;
    this.#reject(invocation, createError(payload.code as Parameters<typeof createError>[0], message, options));
  }

  /** Removes an answered invocation; returns it only if its caller still waits. */
  #settle(id: number): Invocation | undefined {
    const invocation = this.#invocations.get(id);
    if (invocation === undefined) return undefined;
    this.#invocations.delete(id);
    if (invocation.timer !== undefined) clearTimeout(invocation.timer);
    if (invocation.overdue) this.#overdue--;
    abortCalls(invocation);
    this.#served++;
    this.#leftover.answered(id, invocation.until, invocation.logs?.bytes ?? 0);
    if (this.#invocations.size === 0) {
      this.#deadlines.idle();
      this.#transport.idle?.(this.#leftover.until);
      if (this.#recycleReason !== undefined) this.#kill(new WorkerCrashedError(this.#recycleReason), -1);
    }
    // Let the pool reuse the slot once the caller has been answered below.
    queueMicrotask(this.#emitFree);
    if (!invocation.open) return undefined;
    invocation.open = false;
    return invocation;
  }

  #log(raw: LogEntry, id: number): void {
    const map = this.#context.mapStack;
    const entry = map === undefined ? raw : { ...raw, message: map(raw.message) };
    const invocation = this.#invocations.get(id);
    const kept =
      invocation !== undefined
        ? (invocation.logs ??= new InvocationLogs(this.#context.options.maxLogBytes)).add(entry)
        : id === 0 && this.#invocations.size > 0
          ? entry
          : this.#leftover.log(id, entry);
    if (kept !== undefined) this.emit('log', kept, id);
  }

  #onCall(message: Extract<SessionMessage, { type: 'call' }>): void {
    const { call, args } = message.payload;
    const id = message.id;
    const invocation = this.#invocations.get(id);
    if (invocation === undefined || !invocation.open) {
      if (invocation === undefined) this.#leftover.activity(id);
      this.#transport.send({ id, type: 'result', payload: { call, ok: false, error: { code: 'ABORTED', message: 'The invocation is over' } } });
      return;
    }
    let ticket: HostCallTicket;
    try {
      ticket = this.#hostCalls.admit(id, args.body === null ? 0 : args.body.byteLength);
    } catch (error) {
      const { code, message: text } = error as FunctionsError;
      this.#transport.send({ id, type: 'result', payload: { call, ok: false, error: { code, message: text } } });
      return;
    }
    const controller = new AbortController();
    (invocation.calls ??= new Set()).add(controller);
    const onDenied = (denial: WorkerEvents['denied'][0]): void => {
      invocation.denials++;
      this.emit('denied', denial, id);
    };
    this.#context
      .hostCall(args, { signal: controller.signal, onDenied, charge: ticket.charge })
      .then(
        // The body stays counted until it has been written to the worker:
        // a worker that stops reading cannot make the host pile results up.
        (value) => this.#transport.send({ id, type: 'result', payload: { call, ok: true, value } }, ticket.release),
        (error: unknown) => {
          ticket.release();
          const code = error instanceof FunctionsError ? error.code : 'FETCH_FAILED';
          const text = error instanceof Error ? error.message : String(error);
          this.#transport.send({ id, type: 'result', payload: { call, ok: false, error: { code, message: text } } });
        },
      )
      .finally(() => invocation.calls?.delete(controller));
  }

  /**
   * A watcher outside the worker found a limit broken: by a handler (it is
   * killed with its worker), or by work left running after an answer, held
   * to the same maxCpu and to its deadline (the worker is recycled).
   */
  #onOverrun(finding: WatcherFinding, detail: string): void {
    if (finding === 'past-deadline') {
      this.#recycle(`work left running after an answer went on past its deadline (timeoutMs): ${detail}`);
      return;
    }
    const caps = this.#context.capabilities;
    const who = this.#invocations.size === 0 ? 'Work left running after an answer' : 'The handler';
    this.#kill(
      finding === 'cpu'
        ? new CpuLimitError(`${who} used more than ${caps.maxCpu} ms of CPU time (maxCpu): ${detail}`)
        : new MemoryLimitError(`The worker used more than ${caps.maxMemory} bytes of memory (maxMemory): ${detail}`),
      this.#soleInvocation() || -1,
    );
  }

  /**
   * Work a handler left running after its answer broke the limits it is held
   * to (leftover-work.ts): the worker takes nothing new and is killed (which
   * stops that work) as soon as nothing else is in flight.
   */
  #recycle(reason: string): void {
    this.#dying = true;
    this.#recycleReason ??= `The worker was recycled: ${reason}`;
    if (this.#invocations.size === 0) this.#kill(new WorkerCrashedError(this.#recycleReason), -1);
  }

  #onExit(exit: TransportExit): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#dying = true;
    const reason = this.#killReason;
    if (this.#info === undefined) this.#start?.reject(this.#startFailure(exit));
    for (const [id, invocation] of this.#invocations.entries()) {
      clearTimeout(invocation.timer);
      abortCalls(invocation);
      if (!invocation.open) continue;
      if (reason !== undefined && (reason.invocationId === id || reason.error instanceof ProtocolError)) {
        this.#reject(invocation, reason.error);
      } else if (reason !== undefined) {
        this.#reject(
          invocation,
          new WorkerCrashedError(`The worker was killed while this invocation was running: ${reason.error.message}`, { cause: reason.error }),
        );
      } else {
        this.#reject(
          invocation,
          new WorkerCrashedError(`The worker exited while the handler was running (${describeExit(exit)}); it will be replaced`),
        );
      }
    }
    this.#overdue = 0;
    this.#invocations.clear();
    this.#deadlines.stop();
    this.emit('exit', { code: exit.code, signal: exit.signal, reason: reason?.error.message });
    this.#resolveExit();
  }

  /** Why a worker that never became ready ended, most specific first. */
  #startFailure(exit: TransportExit): FunctionsError {
    const detail = exit.detail?.trim() || 'no detail';
    if (exit.failure !== undefined) return this.#startError ?? exit.failure;
    if (this.#startError !== undefined) return this.#startError;
    if (this.#killReason !== undefined) return this.#killReason.error;
    if (exit.code === EXIT_FENCE_INCOMPLETE) {
      return new SandboxUnavailableError(`The ${this.runtime} worker's OS fence is incomplete and requireOsSandbox is set: ${detail}`);
    }
    if (exit.code === EXIT_BAD_SETTINGS) {
      return new WorkerCrashedError(`The ${this.runtime} worker refused its settings (exit code ${EXIT_BAD_SETTINGS}): ${detail}`);
    }
    const said = exit.detail?.trim() ? `: ${exit.detail.trim()}` : '';
    return new WorkerCrashedError(`The ${this.runtime} worker exited during start-up (${describeExit(exit)})${said}`);
  }
}

function abortCalls(invocation: Invocation): void {
  if (invocation.calls === undefined) return;
  for (const call of invocation.calls) call.abort();
}

function describeExit({ code, signal }: TransportExit): string {
  return signal !== null ? `killed by ${signal}` : `exit code ${code}`;
}
