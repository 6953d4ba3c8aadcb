import { EventEmitter } from 'eventemitter3';
import type { ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import {
  BundleLoadError,
  FunctionsError,
  ProtocolError,
  TimeoutError,
  WorkerCrashedError,
  CpuLimitError,
  MemoryLimitError,
  SandboxUnavailableError,
  createError,
  withInvocation,
} from '../errors.js';
import {
  LineSplitter,
  PROTOCOL_VERSION,
  decodeMessage,
  encodeMessage,
  type CallMessage,
  type HostMessage,
  type WorkerMessage,
} from '../protocol/index.js';
import { EXIT_FENCE_INCOMPLETE, missingLayers } from '../sandbox/fence-report.js';
import { HostCallBudget, type HostCallTicket } from '../host-calls/budget.js';
import { InvocationLogs } from './invocation-logs.js';
import { LeftoverWork } from './leftover-work.js';
import { OutputCapture } from './output-capture.js';
import { checkSpawnHeadroom, spawnFailure } from './spawn-resources.js';
import { SpinWait } from './spin-wait.js';
import { Watchdog, residentBytes } from './watchdog.js';
import { createWorkDir, removeWorkDir } from './work-dir.js';
import type { ForkServer, ForkedProcess } from './fork-server.js';
import type {
  InvokeOptions,
  ReadyInfo,
  RuntimeName,
  Worker,
  WorkerContext,
  WorkerEvents,
  WireRequest,
  WorkerResult,
  LogEntry,
} from './worker.js';

/** The exit code a worker uses for settings it cannot use (docs/protocol.md). */
export const EXIT_BAD_SETTINGS = 42;
const STDERR_TAIL_BYTES = 4096;

interface Invocation {
  id: number;
  resolve: (result: WorkerResult) => void;
  reject: (error: FunctionsError) => void;
  /** False once the caller has been answered (or gave up): late messages are then ignored. */
  open: boolean;
  /** Past its deadline and not yet answered: the worker takes nothing new until it answers or is killed. */
  overdue: boolean;
  logs: InvocationLogs;
  denials: number;
  coldStart: boolean;
  timer: NodeJS.Timeout | undefined;
  calls: Set<AbortController>;
  /** performance.now() at the end of the handler's whole budget on this worker; Infinity without a deadline. */
  until: number;
}

/** How a runtime's process is started; the rest of the protocol is shared. */
export interface LaunchSpec {
  /** Starts the process; `workdir` is its private working directory when the OS fence is on. */
  spawn(workdir: string | undefined): ChildProcess;
  /** Fields of the init message this runtime adds or replaces (docs/protocol.md). */
  init?: Record<string, unknown>;
  /** When set, the worker is forked by this fork server instead of spawned (docs/fork-server.md). */
  forkServer?: ForkServer | undefined;
}

/**
 * A worker that is a child process speaking NDJSON on descriptor 3. Bun and
 * QuickJS-NG differ only in how the process is launched.
 */
export class ProcessWorker extends EventEmitter<WorkerEvents> implements Worker {
  readonly id: number;
  readonly runtime: RuntimeName;
  readonly #context: WorkerContext;
  readonly #launch: LaunchSpec;
  readonly #invocations = new Map<number, Invocation>();
  #child: ChildProcess | undefined;
  #forked: ForkedProcess | undefined;
  #channel: Duplex | undefined;
  #splitter: LineSplitter;
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
  #workdir: string | undefined;
  readonly #spin: SpinWait;
  #stderrTail = '';
  #spawnedAt = 0;
  #output: OutputCapture;
  #watchdog: Watchdog | undefined;
  readonly #hostCalls: HostCallBudget;
  /** Resident size at `ready`: the runtime's own, not charged to the handler's maxMemory. */
  #baselineBytes = 0;
  readonly #leftover: LeftoverWork;
  /** Why the worker is to be recycled once nothing is in flight. */
  #recycleReason: string | undefined;

  constructor(runtime: RuntimeName, context: WorkerContext, launch: LaunchSpec) {
    super();
    this.id = context.id;
    this.runtime = runtime;
    this.#context = context;
    this.#launch = launch;
    this.#splitter = new LineSplitter(
      context.options.maxMessageBytes,
      (line) => this.#onLine(line),
      (bytes) => this.#violation(`a message of at least ${bytes} bytes exceeds maxMessageBytes (${context.options.maxMessageBytes})`),
    );
    this.#output = new OutputCapture(context.options.maxLogBytes, (level, message) =>
      this.#log({ level, message, time: Date.now() }, this.#soleInvocation()),
    );
    this.#exitPromise = new Promise((resolve) => (this.#resolveExit = resolve));
    this.#hostCalls = new HostCallBudget(context.options.hostFetch);
    this.#leftover = new LeftoverWork(context.options.maxLogBytes, (reason) => this.#recycle(reason));
    this.#spin = new SpinWait(context.options.spinWaitUs, () => this.#invocations.size > 0 && !this.#exited);
  }

  get pid(): number | undefined {
    return this.#child?.pid ?? this.#forked?.pid;
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
    this.#startPromise ??= this.#spawn();
    return this.#startPromise;
  }

  #spawn(): Promise<ReadyInfo> {
    this.#spawnedAt = performance.now();
    const promise = new Promise<ReadyInfo>((resolve, reject) => {
      this.#start = { resolve, reject };
    });
    let child: ChildProcess;
    try {
      checkSpawnHeadroom(this.runtime, this.#launch.forkServer?.reservedDescriptors);
      // A private, empty working directory: the fence makes it the worker's cwd and its only writable place.
      if (this.#context.options.osSandbox) this.#workdir = createWorkDir();
      const server = this.#launch.forkServer;
      if (server !== undefined) {
        this.#forked = server.fork({
          channel: (socket) => this.#attach(socket),
          output: (socket) => socket.on('data', (chunk: Buffer) => this.#onStderr(chunk)),
          exit: (code, signal, failure) => {
            if (failure !== undefined) this.#startError ??= spawnFailure(this.runtime, failure);
            this.#onExit(code, signal);
          },
        });
        this.#armStartTimer(promise);
        return promise;
      }
      child = this.#launch.spawn(this.#workdir);
    } catch (error) {
      this.#startError = spawnFailure(this.runtime, error);
      // Asynchronously, as a real exit would be: the pool is still wiring this worker up.
      process.nextTick(() => this.#onExit(null, null));
      return promise;
    }
    this.#child = child;
    child.on('error', (error) => {
      this.#startError ??= spawnFailure(this.runtime, error);
      // A process that never started (EMFILE, EAGAIN, ENOENT) emits no exit event.
      if (child.pid === undefined && !this.#exited) this.#onExit(null, null);
    });
    const channel = child.stdio?.[3] as Duplex | null | undefined;
    if (child.pid === undefined || channel === undefined || channel === null) {
      // Its 'error' event follows and ends the start; a child that did start without descriptor 3 is killed.
      this.#startError ??= new WorkerCrashedError(`The ${this.runtime} worker was started without its channel (descriptor 3)`);
      if (child.pid !== undefined) child.kill('SIGKILL');
      return promise;
    }
    child.stdout?.on('data', (chunk: Buffer) => this.#output.push('log', chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.#onStderr(chunk));
    child.on('exit', (code, signal) => this.#onExit(code, signal));
    this.#attach(channel);
    this.#armStartTimer(promise);
    return promise;
  }

  #onStderr(chunk: Buffer): void {
    this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    this.#output.push('error', chunk);
  }

  /** The protocol channel is there (at spawn, or when a forked worker connected back): send `init`. */
  #attach(channel: Duplex): void {
    this.#channel = channel;
    channel.on('data', (chunk: Buffer) => this.#splitter.push(chunk));
    // The channel erroring (EPIPE after a crash) is reported through the exit event.
    channel.on('error', () => {});
    // Stopped before it connected: end-of-file instead of init makes it exit.
    if (this.#dying) {
      channel.end();
      return;
    }
    const c = this.#context;
    this.#send({
      id: 0,
      type: 'init',
      payload: {
        protocol: PROTOCOL_VERSION,
        source: c.source,
        filename: c.filename,
        env: c.options.env,
        capabilities: c.capabilities,
        limits: { maxBodyBytes: c.options.maxBodyBytes, maxLogBytes: c.options.maxLogBytes },
        osSandbox: c.options.osSandbox,
        workdir: this.#workdir ?? null,
        ...this.#launch.init,
      },
    });
  }

  #armStartTimer(promise: Promise<ReadyInfo>): void {
    const c = this.#context;
    const startTimer = setTimeout(() => {
      this.#kill(
        new WorkerCrashedError(`The ${this.runtime} worker did not become ready within ${c.options.startTimeoutMs} ms (startTimeoutMs)`),
        0,
      );
    }, c.options.startTimeoutMs);
    promise.then(
      () => clearTimeout(startTimer),
      () => clearTimeout(startTimer),
    );
  }

  invoke(request: WireRequest, options: InvokeOptions): { id: number; result: Promise<WorkerResult> } {
    // Ids come from the pool, unique across its workers; they only ever grow on one worker.
    const id = options.invocationId;
    if (!this.accepting || id < this.#nextId) {
      return {
        id,
        result: Promise.reject(withInvocation(new WorkerCrashedError('The worker is not taking invocations'), { invocationId: id })),
      };
    }
    const coldStart = this.#sentNone;
    this.#nextId = id + 1;
    this.#sentNone = false;
    // Time the call already spent queued: the handler gets it back before its worker is killed.
    const grace = options.timeoutMs > 0 ? Math.max(0, options.deadlineMs - options.timeoutMs) : 0;
    const result = new Promise<WorkerResult>((resolve, reject) => {
      const invocation: Invocation = {
        id,
        resolve,
        reject,
        open: true,
        overdue: false,
        logs: new InvocationLogs(this.#context.options.maxLogBytes),
        denials: 0,
        coldStart,
        timer: undefined,
        calls: new Set(),
        until: options.timeoutMs > 0 ? performance.now() + options.timeoutMs + grace : Infinity,
      };
      this.#invocations.set(id, invocation);
      if (options.timeoutMs > 0) {
        invocation.timer = setTimeout(() => this.#overrun(invocation, options.deadlineMs, grace), options.timeoutMs);
      }
    });
    const cpuMs = this.#context.capabilities.maxCpu;
    this.#send({
      id,
      type: 'invoke',
      payload: {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body:
          request.body === null
            ? null
            : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength).toString('base64'),
        cpuMs,
        // The worker's own deadline is the handler's whole budget, as is the host's kill below.
        timeoutMs: options.timeoutMs === 0 ? 0 : options.timeoutMs + grace,
      },
    });
    this.#watch(options.timeoutMs > 0);
    this.#spin.start();
    return { id, result };
  }

  cancel(invocationId: number, error: FunctionsError): void {
    const invocation = this.#invocations.get(invocationId);
    if (invocation === undefined || !invocation.open) return;
    this.#reject(invocation, error);
    // The slot stays taken until the worker answers or the deadline kills it:
    // a handler that ignores cancellation must not get a fresh invocation beside it.
    this.#send({ id: invocationId, type: 'cancel', payload: {} });
  }

  async terminate(reason = 'terminated by the pool', graceMs = this.#context.options.shutdownTimeoutMs): Promise<void> {
    this.#dying = true;
    if (this.#exited) return;
    this.#killReason ??= { error: new WorkerCrashedError(`The worker was stopped: ${reason}`), invocationId: 0 };
    if (this.#child === undefined && this.#forked === undefined) return this.#exitPromise;
    this.#send({ id: 0, type: 'shutdown', payload: {} });
    this.#channel?.end();
    const grace = setTimeout(() => this.#killProcess(), graceMs);
    await this.#exitPromise;
    clearTimeout(grace);
  }

  #removeWorkdir(): void {
    if (this.#workdir !== undefined) removeWorkDir(this.#workdir);
    this.#workdir = undefined;
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
      this.#send({ id: invocation.id, type: 'cancel', payload: {} });
    }
    invocation.timer = setTimeout(() => this.#kill(overran(), invocation.id), grace);
  }

  /** Answers the caller with `error` and the logs the invocation had so far. */
  #reject(invocation: Invocation, error: FunctionsError): void {
    invocation.open = false;
    invocation.logs.seal();
    for (const call of invocation.calls) call.abort();
    invocation.reject(withInvocation(error, { invocationId: invocation.id, logs: invocation.logs.entries }));
  }

  /** Kills the process now; `error` goes to `invocationId` at once, the others get WORKER_CRASHED when it is gone. */
  #kill(error: FunctionsError, invocationId: number): void {
    this.#dying = true;
    if (this.#exited) return;
    this.#killReason ??= { error, invocationId };
    const invocation = this.#invocations.get(invocationId);
    if (invocation?.open === true) this.#reject(invocation, error);
    this.#killProcess();
  }

  #killProcess(): void {
    this.#child?.kill('SIGKILL');
    this.#forked?.kill();
  }

  /** `onWritten` runs once the line has left this process (or could not be written). */
  #send(message: HostMessage, onWritten?: () => void): void {
    const channel = this.#channel;
    if (channel === undefined || channel.destroyed || !channel.writable) return onWritten?.();
    channel.write(encodeMessage(message), onWritten);
  }

  #soleInvocation(): number {
    if (this.#invocations.size !== 1) return 0;
    return this.#invocations.keys().next().value ?? 0;
  }

  #violation(reason: string): void {
    this.#kill(new ProtocolError(`The worker broke the protocol and was killed: ${reason}`), -1);
  }

  #onLine(line: string): void {
    if (this.#exited) return;
    const decoded = decodeMessage(line);
    if (!decoded.ok) {
      this.#violation(decoded.reason);
      return;
    }
    this.#onMessage(decoded.message);
  }

  #onMessage(message: WorkerMessage): void {
    if (message.id >= this.#nextId) {
      this.#violation(`message for invocation ${message.id}, which was never sent`);
      return;
    }
    switch (message.type) {
      case 'ready': {
        if (this.#info !== undefined) return this.#violation('a second ready message');
        const { protocol: _protocol, ...info } = message.payload;
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
        if (this.#context.capabilities.maxMemory > 0 && this.pid !== undefined) this.#baselineBytes = residentBytes(this.pid);
        this.#info = { ...info, startMs: performance.now() - this.#spawnedAt };
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
          body: p.body === null ? new Uint8Array(0) : new Uint8Array(Buffer.from(p.body, 'base64')),
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
        this.#startError = new BundleLoadError(
          `The handler bundle failed to load: ${payload.name ?? 'Error'}: ${payload.message}`,
          options,
        );
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
    const message = payload.code === 'HANDLER_ERROR' ? `The handler threw ${payload.name ?? 'Error'}: ${payload.message}` : payload.message;
    this.#reject(invocation, createError(payload.code as Parameters<typeof createError>[0], message, options));
  }

  /** Removes an answered invocation; returns it only if its caller still waits. */
  #settle(id: number): Invocation | undefined {
    const invocation = this.#invocations.get(id);
    if (invocation === undefined) return undefined;
    this.#invocations.delete(id);
    clearTimeout(invocation.timer);
    if (invocation.overdue) this.#overdue--;
    for (const call of invocation.calls) call.abort();
    this.#served++;
    this.#leftover.answered(id, invocation.until, invocation.logs.bytes);
    if (this.#invocations.size === 0) {
      this.#watchdog?.idle(this.#leftover.until);
      if (this.#recycleReason !== undefined) this.#kill(new WorkerCrashedError(this.#recycleReason), -1);
    }
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
    const kept =
      invocation !== undefined
        ? invocation.logs.add(entry)
        : id === 0 && this.#invocations.size > 0
          ? entry
          : this.#leftover.log(id, entry);
    if (kept !== undefined) this.emit('log', kept, id);
  }

  #onCall(message: CallMessage): void {
    const { call, args } = message.payload;
    const invocation = this.#invocations.get(message.id);
    if (invocation === undefined || !invocation.open) {
      if (invocation === undefined) this.#leftover.activity(message.id);
      this.#send({
        id: message.id,
        type: 'result',
        payload: { call, ok: false, error: { code: 'ABORTED', message: 'The invocation is over' } },
      });
      return;
    }
    let ticket: HostCallTicket;
    try {
      ticket = this.#hostCalls.admit(message.id, args.body === null ? 0 : Math.floor((args.body.length * 3) / 4));
    } catch (error) {
      const { code, message: text } = error as FunctionsError;
      this.#send({ id: message.id, type: 'result', payload: { call, ok: false, error: { code, message: text } } });
      return;
    }
    const controller = new AbortController();
    invocation.calls.add(controller);
    const onDenied = (denial: { capability: 'network'; target: string; rule: string } | WorkerEvents['denied'][0]): void => {
      invocation.denials++;
      this.emit('denied', denial, message.id);
    };
    this.#context
      .hostCall(args, { signal: controller.signal, onDenied, charge: ticket.charge })
      .then(
        (value) => {
          // The body stays counted until it has been written to the worker:
          // a worker that stops reading cannot make the host pile results up.
          this.#send(
            {
              id: message.id,
              type: 'result',
              payload: {
                call,
                ok: true,
                value: {
                  ...value,
                  body: value.body.byteLength === 0 ? null : Buffer.from(value.body).toString('base64'),
                },
              },
            },
            ticket.release,
          );
        },
        (error: unknown) => {
          ticket.release();
          const code = error instanceof FunctionsError ? error.code : 'FETCH_FAILED';
          const text = error instanceof Error ? error.message : String(error);
          this.#send({ id: message.id, type: 'result', payload: { call, ok: false, error: { code, message: text } } });
        },
      )
      .finally(() => invocation.calls.delete(controller));
  }

  /**
   * CPU and memory limits the worker cannot be trusted to enforce itself are
   * checked from outside, and so is CPU used by work left running after an
   * answer (against the same maxCpu, and not past the invocation's deadline).
   */
  #watch(deadline: boolean): void {
    const pid = this.pid;
    if (pid === undefined) return;
    const caps = this.#context.capabilities;
    if (caps.maxCpu === 0 && caps.maxMemory === 0 && !deadline && this.#watchdog === undefined) return;
    this.#watchdog ??= new Watchdog(pid, caps.maxCpu, caps.maxMemory, (kind, detail) => {
      if (kind === 'past-deadline') {
        this.#recycle(`work left running after an answer went on past its deadline (timeoutMs): ${detail}`);
        return;
      }
      const id = this.#soleInvocation() || -1;
      const who = this.#invocations.size === 0 ? 'Work left running after an answer' : 'The handler';
      this.#kill(
        kind === 'cpu'
          ? new CpuLimitError(`${who} used more than ${caps.maxCpu} ms of CPU time (maxCpu): ${detail}`)
          : new MemoryLimitError(`The worker used more than ${caps.maxMemory} bytes of memory (maxMemory): ${detail}`),
        id,
      );
    }, this.#baselineBytes);
    this.#watchdog.busy();
  }

  /**
   * Work a handler left running after its answer broke the limits it is held
   * to (lib/workers/leftover-work.ts): the worker takes nothing new and is
   * killed (which stops that work) as soon as nothing else is in flight.
   */
  #recycle(reason: string): void {
    this.#dying = true;
    this.#recycleReason ??= `The worker was recycled: ${reason}`;
    if (this.#invocations.size === 0) this.#kill(new WorkerCrashedError(this.#recycleReason), -1);
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#dying = true;
    this.#watchdog?.stop();
    this.#splitter.stop();
    this.#output.flush();
    const reason = this.#killReason;
    if (this.#info === undefined) {
      const detail = this.#stderrTail.trim();
      const failure =
        this.#startError ??
        reason?.error ??
        (code === EXIT_FENCE_INCOMPLETE
          ? new SandboxUnavailableError(
              `The ${this.runtime} worker's OS fence is incomplete and requireOsSandbox is set: ${detail || 'no detail'}`,
            )
          : new WorkerCrashedError(
              code === EXIT_BAD_SETTINGS
                ? `The ${this.runtime} worker refused its settings (exit code ${EXIT_BAD_SETTINGS}): ${detail || 'no detail'}`
                : `The ${this.runtime} worker exited during start-up (${describeExit(code, signal)})${detail ? `: ${detail}` : ''}`,
            ));
      this.#start?.reject(failure);
    }
    for (const [id, invocation] of this.#invocations) {
      clearTimeout(invocation.timer);
      for (const call of invocation.calls) call.abort();
      if (!invocation.open) continue;
      if (reason !== undefined && (reason.invocationId === id || reason.error instanceof ProtocolError)) {
        this.#reject(invocation, reason.error);
      } else if (reason !== undefined) {
        this.#reject(
          invocation,
          new WorkerCrashedError(`The worker was killed while this invocation was running: ${reason.error.message}`, {
            cause: reason.error,
          }),
        );
      } else {
        this.#reject(
          invocation,
          new WorkerCrashedError(`The worker exited while the handler was running (${describeExit(code, signal)}); it will be replaced`),
        );
      }
    }
    this.#overdue = 0;
    this.#invocations.clear();
    this.#removeWorkdir();
    this.emit('exit', { code, signal, reason: reason?.error.message });
    this.#resolveExit();
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by ${signal}` : `exit code ${code}`;
}
