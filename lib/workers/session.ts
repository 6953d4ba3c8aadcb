import { EventEmitter } from 'eventemitter3';
import {
  BundleLoadError,
  CpuLimitError,
  FunctionsError,
  MemoryLimitError,
  ProtocolError,
  TimeoutError,
  WorkerCrashedError,
  createError,
} from '../errors.js';
import type { DeniableCapability, FetchArgs, HeaderPairs, LogLevel, WorkerErrorCode } from '../protocol/index.js';
import { InvocationLogs } from './invocation-logs.js';
import { SpinWait } from './spin-wait.js';
import type {
  InvokeOptions,
  LogEntry,
  ReadyInfo,
  RuntimeName,
  WireRequest,
  Worker,
  WorkerContext,
  WorkerEvents,
  WorkerResult,
} from './worker.js';

/** A message from a worker, decoded by its transport: bodies are bytes. */
export type SessionMessage =
  | {
      type: 'ready';
      id: number;
      payload: { runtime: string; version: string; pid: number; features: string[]; sandbox: Record<string, string | number | boolean> };
    }
  | {
      type: 'response';
      id: number;
      payload: { status: number; statusText: string; headers: HeaderPairs; body: Uint8Array | null; cpuMs: number; peakMemoryBytes: number };
    }
  | { type: 'error'; id: number; payload: { code: WorkerErrorCode; name?: string | undefined; message: string; stack?: string | undefined } }
  | { type: 'log'; id: number; payload: { level: LogLevel; message: string; time: number } }
  | { type: 'denied'; id: number; payload: { capability: DeniableCapability; target: string; rule: string } }
  | { type: 'call'; id: number; payload: { call: number; op: 'fetch'; args: FetchArgs } };

/** A message to a worker, before its transport encodes it: bodies are bytes. */
export type SessionCommand =
  | {
      type: 'invoke';
      id: number;
      payload: { method: string; url: string; headers: HeaderPairs; body: Uint8Array | null; cpuMs: number; timeoutMs: number };
    }
  | { type: 'cancel'; id: number }
  | {
      type: 'result';
      id: number;
      payload:
        | {
            call: number;
            ok: true;
            value: { status: number; statusText: string; url: string; redirected: boolean; headers: HeaderPairs; body: Uint8Array };
          }
        | { call: number; ok: false; error: { code: string; message: string } };
    }
  | { type: 'shutdown' };

/** How a transport's worker ended. `failure` explains an exit during start-up. */
export interface TransportExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the transport knows why the worker could not start (a refused setting, a missing fence). */
  failure?: FunctionsError | undefined;
  /** What the worker said before it died, for messages. */
  detail?: string | undefined;
}

export interface TransportEvents {
  message(message: SessionMessage): void;
  /** The worker sent something that is not the protocol: it is killed. */
  violation(reason: string): void;
  /** Text the worker printed outside the protocol (stdout/stderr), line by line. */
  output(level: 'log' | 'error', line: string): void;
  exit(exit: TransportExit): void;
}

/**
 * How a worker's messages travel: a child process on descriptor 3, or a
 * thread's MessagePort. The session knows nothing else about it.
 */
export interface Transport {
  readonly pid: number | undefined;
  /** Starts the worker; everything it says comes back through `events`. Throws if it cannot start. */
  open(events: TransportEvents): void;
  send(command: SessionCommand): void;
  /** Ends the worker after `shutdown`: it gets `graceMs` to exit before it is killed. */
  close(graceMs: number): void;
  /** Stops the worker now. */
  kill(): void;
  /** Work went out; watchers of the worker's CPU and memory look again. */
  busy?(): void;
  /** Nothing is in flight any more. */
  idle?(): void;
  /** Checks the `ready` report; a failure is the start error (e.g. a missing fence with requireOsSandbox). */
  checkReady?(info: Omit<ReadyInfo, 'startMs'>): FunctionsError | undefined;
}

interface Invocation {
  resolve: (result: WorkerResult) => void;
  reject: (error: FunctionsError) => void;
  /** False once the caller has been answered (or gave up): late messages are then ignored. */
  open: boolean;
  logs: InvocationLogs;
  denials: number;
  coldStart: boolean;
  timer: NodeJS.Timeout | undefined;
  calls: Set<AbortController>;
}

/**
 * One worker as the pool sees it, whatever carries its messages: the table
 * of invocations in flight, host calls, logs and denials, deadlines, and the
 * mapping from a worker's exit to the rejection of what it was running.
 */
export class InvocationSession extends EventEmitter<WorkerEvents> implements Worker {
  readonly id: number;
  readonly runtime: RuntimeName;
  readonly #context: WorkerContext;
  readonly #transport: Transport;
  readonly #invocations = new Map<number, Invocation>();
  readonly #spin: SpinWait;
  #info: ReadyInfo | undefined;
  #nextId = 1;
  #served = 0;
  #exited = false;
  #killReason: { error: FunctionsError; invocationId: number } | undefined;
  #startError: FunctionsError | undefined;
  #start: { resolve: (info: ReadyInfo) => void; reject: (e: FunctionsError) => void } | undefined;
  #startPromise: Promise<ReadyInfo> | undefined;
  #exitPromise: Promise<void>;
  #resolveExit!: () => void;
  #startedAt = 0;

  constructor(runtime: RuntimeName, context: WorkerContext, transport: Transport) {
    super();
    this.id = context.id;
    this.runtime = runtime;
    this.#context = context;
    this.#transport = transport;
    this.#exitPromise = new Promise((resolve) => (this.#resolveExit = resolve));
    this.#spin = new SpinWait(context.options.spinWaitUs, () => this.#invocations.size > 0 && !this.#exited);
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

  start(): Promise<ReadyInfo> {
    this.#startPromise ??= this.#open();
    return this.#startPromise;
  }

  #open(): Promise<ReadyInfo> {
    this.#startedAt = performance.now();
    const promise = new Promise<ReadyInfo>((resolve, reject) => {
      this.#start = { resolve, reject };
    });
    try {
      this.#transport.open({
        message: (m) => this.#onMessage(m),
        violation: (reason) => this.#violation(reason),
        output: (level, line) => this.#log({ level, message: line, time: Date.now() }, this.#soleInvocation()),
        exit: (exit) => this.#onExit(exit),
      });
    } catch (error) {
      this.#exited = true;
      this.#resolveExit();
      this.#start?.reject(
        new WorkerCrashedError(`Could not start the ${this.runtime} worker: ${(error as Error).message}`, { cause: error }),
      );
      return promise;
    }
    const options = this.#context.options;
    const startTimer = setTimeout(() => {
      this.#kill(
        new WorkerCrashedError(`The ${this.runtime} worker did not become ready within ${options.startTimeoutMs} ms (startTimeoutMs)`),
        0,
      );
    }, options.startTimeoutMs);
    promise.then(
      () => clearTimeout(startTimer),
      () => clearTimeout(startTimer),
    );
    return promise;
  }

  invoke(request: WireRequest, options: InvokeOptions): { id: number; result: Promise<WorkerResult> } {
    const id = this.#nextId++;
    if (this.#exited || this.#info === undefined) {
      return { id, result: Promise.reject(new WorkerCrashedError('The worker is not running')) };
    }
    const result = new Promise<WorkerResult>((resolve, reject) => {
      const invocation: Invocation = {
        resolve,
        reject,
        open: true,
        logs: new InvocationLogs(this.#context.options.maxLogBytes),
        denials: 0,
        coldStart: this.#served === 0 && this.#invocations.size === 0 && id === 1,
        timer: undefined,
        calls: new Set(),
      };
      this.#invocations.set(id, invocation);
      if (options.timeoutMs > 0) {
        invocation.timer = setTimeout(() => {
          this.#kill(
            new TimeoutError(
              `The handler did not answer within its ${options.deadlineMs} ms deadline (timeoutMs, counted from invoke()); its worker was killed and will be replaced`,
            ),
            id,
          );
        }, options.timeoutMs);
      }
    });
    this.#transport.send({
      type: 'invoke',
      id,
      payload: {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: request.body,
        cpuMs: this.#context.capabilities.maxCpu,
        timeoutMs: options.timeoutMs,
      },
    });
    this.#transport.busy?.();
    this.#spin.start();
    return { id, result };
  }

  cancel(invocationId: number, error: FunctionsError): void {
    const invocation = this.#invocations.get(invocationId);
    if (invocation === undefined || !invocation.open) return;
    invocation.open = false;
    for (const call of invocation.calls) call.abort();
    invocation.reject(error);
    // The slot stays taken until the worker answers or the deadline kills it:
    // a handler that ignores cancellation must not get a fresh invocation beside it.
    this.#transport.send({ type: 'cancel', id: invocationId });
  }

  async terminate(reason = 'terminated by the pool'): Promise<void> {
    if (this.#exited || this.#startPromise === undefined) return;
    this.#killReason ??= { error: new WorkerCrashedError(`The worker was stopped: ${reason}`), invocationId: 0 };
    this.#transport.send({ type: 'shutdown' });
    this.#transport.close(this.#context.options.shutdownTimeoutMs);
    await this.#exitPromise;
  }

  /** Stops the worker now; `error` goes to `invocationId`, the others get WORKER_CRASHED. */
  #kill(error: FunctionsError, invocationId: number): void {
    if (this.#exited) return;
    this.#killReason ??= { error, invocationId };
    this.#transport.kill();
  }

  #soleInvocation(): number {
    if (this.#invocations.size !== 1) return 0;
    return this.#invocations.keys().next().value ?? 0;
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
      case 'ready': {
        if (this.#info !== undefined) return this.#violation('a second ready message');
        const info = message.payload;
        const refused = this.#transport.checkReady?.(info);
        if (refused !== undefined) {
          this.#startError = refused;
          this.#kill(refused, 0);
          return;
        }
        this.#info = {
          runtime: info.runtime,
          version: info.version,
          pid: info.pid,
          features: info.features,
          sandbox: info.sandbox,
          startMs: performance.now() - this.#startedAt,
        };
        this.#start?.resolve(this.#info);
        return;
      }
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
        invocation.resolve({
          status: p.status,
          statusText: p.statusText,
          headers: p.headers,
          body: p.body ?? new Uint8Array(0),
          logs: invocation.logs.entries,
          cpuMs: p.cpuMs,
          peakMemoryBytes: p.peakMemoryBytes,
          denials: invocation.denials,
          coldStart: invocation.coldStart,
        });
        return;
      }
    }
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
    invocation.reject(createError(payload.code as Parameters<typeof createError>[0], message, options));
  }

  /** Removes an answered invocation; returns it only if its caller still waits. */
  #settle(id: number): Invocation | undefined {
    const invocation = this.#invocations.get(id);
    if (invocation === undefined) return undefined;
    this.#invocations.delete(id);
    clearTimeout(invocation.timer);
    for (const call of invocation.calls) call.abort();
    this.#served++;
    if (this.#invocations.size === 0) this.#transport.idle?.();
    // Let the pool reuse the slot once the caller has been answered below.
    queueMicrotask(() => this.emit('free'));
    if (!invocation.open) return undefined;
    invocation.open = false;
    return invocation;
  }

  #log(raw: LogEntry, id: number): void {
    const map = this.#context.mapStack;
    const entry = map === undefined ? raw : { ...raw, message: map(raw.message) };
    const invocation = this.#invocations.get(id);
    const kept = invocation !== undefined && invocation.open ? invocation.logs.add(entry) : entry;
    if (kept !== undefined) this.emit('log', kept, id);
  }

  #onCall(message: Extract<SessionMessage, { type: 'call' }>): void {
    const { call, args } = message.payload;
    const invocation = this.#invocations.get(message.id);
    if (invocation === undefined || !invocation.open) {
      this.#transport.send({
        type: 'result',
        id: message.id,
        payload: { call, ok: false, error: { code: 'ABORTED', message: 'The invocation is over' } },
      });
      return;
    }
    const controller = new AbortController();
    invocation.calls.add(controller);
    const onDenied = (denial: WorkerEvents['denied'][0]): void => {
      invocation.denials++;
      this.emit('denied', denial, message.id);
    };
    this.#context
      .hostCall(args, { signal: controller.signal, onDenied })
      .then(
        (value) => this.#transport.send({ type: 'result', id: message.id, payload: { call, ok: true, value } }),
        (error: unknown) => {
          const code = error instanceof FunctionsError ? error.code : 'FETCH_FAILED';
          const text = error instanceof Error ? error.message : String(error);
          this.#transport.send({ type: 'result', id: message.id, payload: { call, ok: false, error: { code, message: text } } });
        },
      )
      .finally(() => invocation.calls.delete(controller));
  }

  #onExit(exit: TransportExit): void {
    if (this.#exited) return;
    this.#exited = true;
    const reason = this.#killReason;
    if (this.#info === undefined) {
      const detail = exit.detail?.trim() ?? '';
      const failure =
        this.#startError ??
        reason?.error ??
        exit.failure ??
        new WorkerCrashedError(
          `The ${this.runtime} worker exited during start-up (${describeExit(exit.code, exit.signal)})${detail ? `: ${detail}` : ''}`,
        );
      this.#start?.reject(failure);
    }
    for (const [id, invocation] of this.#invocations) {
      clearTimeout(invocation.timer);
      for (const call of invocation.calls) call.abort();
      if (!invocation.open) continue;
      invocation.open = false;
      if (reason !== undefined && (reason.invocationId === id || reason.error instanceof ProtocolError)) {
        invocation.reject(reason.error);
      } else if (reason !== undefined) {
        invocation.reject(
          new WorkerCrashedError(`The worker was killed while this invocation was running: ${reason.error.message}`, {
            cause: reason.error,
          }),
        );
      } else {
        invocation.reject(
          new WorkerCrashedError(`The worker exited while the handler was running (${describeExit(exit.code, exit.signal)}); it will be replaced`),
        );
      }
    }
    this.#invocations.clear();
    this.emit('exit', { code: exit.code, signal: exit.signal, reason: reason?.error.message });
    this.#resolveExit();
  }
}

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by ${signal}` : `exit code ${code}`;
}
