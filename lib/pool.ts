import { EventEmitter } from 'eventemitter3';
import type { PoolBundle } from './bundle/load-source.js';
import type { Capabilities } from './capabilities/index.js';
import {
  AbortedError,
  BundleLoadError,
  FunctionsError,
  PoolClosedError,
  QueueFullError,
  TimeoutError,
  type ErrorCode,
} from './errors.js';
import type { PoolEvents } from './events.js';
import { LatencyWindow } from './latency.js';
import type { ResolvedPoolOptions } from './options.js';
import { normalizeRequest, type InvokeRequest } from './request.js';
import { InvokeResponse, type InvocationMetrics } from './response.js';
import { TaskQueue } from './task-queue.js';
import type { HostCallHandler, ReadyInfo, RuntimeName, WireRequest, Worker, WorkerContext, WorkerResult } from './workers/worker.js';
import type { PoolStats } from './stats.js';

const MAX_RESPAWN_DELAY_MS = 5000;

export interface InvokeOptions {
  /** Cancels the invocation: a queued one is dropped, a running one is told to stop. */
  signal?: AbortSignal;
  /** Overrides the pool's `timeoutMs` for this call; 0 = none. */
  timeoutMs?: number;
}

interface Task {
  request: WireRequest;
  startedAt: number;
  deadline: number;
  timeoutMs: number;
  resolve: (response: InvokeResponse) => void;
  reject: (error: FunctionsError) => void;
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  worker: Worker | undefined;
  invocationId: number;
}

interface Slot {
  worker: Worker;
  state: 'starting' | 'ready' | 'retiring';
  /** performance.now() when the slot last became idle. */
  idleSince: number;
}

export interface PoolInit {
  runtime: RuntimeName;
  options: ResolvedPoolOptions;
  capabilities: Capabilities;
  /** The bundle, or its build when `source.entry` was not in the cache: workers start once it is there. */
  bundle: PoolBundle | Promise<PoolBundle>;
  hostCall: HostCallHandler;
  createWorker: (context: WorkerContext) => Worker;
}

/**
 * A pool of sandboxed workers running one handler bundle with one capability
 * profile. Create it with `createPool()`.
 */
export class Pool extends EventEmitter<PoolEvents> {
  readonly runtime: RuntimeName;
  readonly capabilities: Capabilities;
  readonly #init: PoolInit;
  readonly #options: ResolvedPoolOptions;
  readonly #slots = new Set<Slot>();
  readonly #queue = new TaskQueue<Task>();
  readonly #latency = new LatencyWindow();
  readonly #counts = {
    invocations: 0,
    succeeded: 0,
    failed: 0,
    coldStarts: 0,
    workersStarted: 0,
    workersExited: 0,
    startFailures: 0,
    byCode: {} as Partial<Record<ErrorCode, number>>,
  };
  #nextWorkerId = 1;
  #consecutiveStartFailures = 0;
  #respawnTimer: NodeJS.Timeout | undefined;
  #idleSweeper: NodeJS.Timeout | undefined;
  #lastReady: ReadyInfo | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;
  #readyWaiters: { resolve: () => void; reject: (e: FunctionsError) => void }[] = [];
  #bundle: PoolBundle | undefined;
  #bundleError: FunctionsError | undefined;

  constructor(init: PoolInit) {
    super();
    this.#init = init;
    this.runtime = init.runtime;
    this.capabilities = init.capabilities;
    this.#options = init.options;
    if (init.bundle instanceof Promise) {
      init.bundle.then(
        (bundle) => this.#onBundle(bundle),
        (error: unknown) => this.#onBundleFailure(error),
      );
    } else {
      this.#bundle = init.bundle;
    }
    this.#ensureMinimum();
  }

  /** Runs the handler once. Resolves with its response, rejects with a `FunctionsError`. */
  invoke(request: InvokeRequest, options: InvokeOptions = {}): Promise<InvokeResponse> {
    if (this.#closed) {
      return Promise.reject(new PoolClosedError('The pool is closed; create a new pool to run more invocations'));
    }
    if (this.#bundleError !== undefined) return Promise.reject(this.#bundleError);
    let wire: WireRequest;
    try {
      wire = normalizeRequest(request, this.#options.maxBodyBytes);
    } catch (error) {
      return Promise.reject(error as FunctionsError);
    }
    if (options.signal?.aborted === true) {
      return Promise.reject(new AbortedError('The invocation was aborted before it started', { cause: options.signal.reason }));
    }
    if (this.#queue.size >= this.#options.maxQueue && this.#freeSlot() === undefined) {
      this.#count('QUEUE_FULL');
      return Promise.reject(
        new QueueFullError(
          `All ${this.#slots.size} workers are busy and ${this.#queue.size} invocations are already waiting (maxQueue ${this.#options.maxQueue}); retry later or raise maxWorkers / maxQueue`,
        ),
      );
    }
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs;
    return new Promise<InvokeResponse>((resolve, reject) => {
      const startedAt = performance.now();
      const task: Task = {
        request: wire,
        startedAt,
        deadline: timeoutMs > 0 ? startedAt + timeoutMs : 0,
        timeoutMs,
        resolve,
        reject,
        settled: false,
        timer: undefined,
        signal: options.signal,
        onAbort: undefined,
        worker: undefined,
        invocationId: 0,
      };
      if (options.signal !== undefined) {
        const signal = options.signal;
        task.onAbort = () => this.#abort(task, signal.reason);
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      this.#counts.invocations++;
      this.#queue.push(task);
      this.#dispatch();
      if (timeoutMs > 0 && task.worker === undefined && !task.settled) {
        // While queued the deadline is ours; once running, the worker enforces the rest of it.
        task.timer = setTimeout(() => {
          if (!this.#queue.remove(task)) return;
          this.#fail(
            task,
            new TimeoutError(`No worker became free within ${timeoutMs} ms (timeoutMs); the invocation never started`),
          );
          this.#checkDrained();
        }, timeoutMs);
      }
    });
  }

  /** WHATWG in, WHATWG out: runs the handler with `request` and returns its `Response`. */
  async fetch(request: Request, options: InvokeOptions = {}): Promise<Response> {
    const body = request.body === null ? null : new Uint8Array(await request.arrayBuffer());
    const signal = options.signal ?? request.signal;
    const response = await this.invoke(
      { method: request.method, url: request.url, headers: request.headers, body },
      { ...options, signal },
    );
    return response.toResponse();
  }

  /**
   * Resolves once `minWorkers` workers are ready (one, if `minWorkers` is 0,
   * to prove the bundle loads), after the build of `source.entry` when it was
   * not cached. Rejects with the start or build error, e.g. `BUNDLE_LOAD_ERROR`,
   * `BUNDLE_TOO_LARGE` or `BUILD_TIMEOUT`: call it at deploy time.
   */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(new PoolClosedError('The pool is closed'));
    if (this.#bundleError !== undefined) return Promise.reject(this.#bundleError);
    if (this.#countState('ready') >= Math.max(1, this.#options.minWorkers)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#readyWaiters.push({ resolve, reject });
      this.#spawnForReady();
    });
  }

  #spawnForReady(): void {
    if (this.#bundle === undefined || this.#readyWaiters.length === 0) return;
    const wanted = Math.max(1, this.#options.minWorkers);
    while (this.#slots.size < wanted) this.#spawn();
  }

  #onBundle(bundle: PoolBundle): void {
    this.#bundle = bundle;
    this.#ensureMinimum();
    this.#spawnForReady();
    this.#dispatch();
  }

  /** A failed build fails everything that waited for it, and every later call, with the same error. */
  #onBundleFailure(cause: unknown): void {
    const error =
      cause instanceof FunctionsError
        ? cause
        : new BundleLoadError(`The handler could not be built: ${(cause as Error).message}`, { cause });
    this.#bundleError = error;
    const waiters = this.#readyWaiters.splice(0);
    const tasks = this.#queue.drain();
    for (const waiter of waiters) waiter.reject(error);
    for (const task of tasks) this.#fail(task, error);
    if (waiters.length === 0 && tasks.length === 0 && !this.#closed) this.emit('error', error);
    this.#checkDrained();
  }

  /** Counts, latency percentiles and the sandbox state reported by the workers. */
  stats(): PoolStats {
    let busy = 0;
    let inFlight = 0;
    for (const slot of this.#slots) {
      inFlight += slot.worker.inFlight;
      if (slot.worker.inFlight > 0) busy++;
    }
    return {
      runtime: this.runtime,
      projectId: this.capabilities.projectId,
      closed: this.#closed,
      workers: {
        total: this.#slots.size,
        starting: this.#countState('starting'),
        ready: this.#countState('ready'),
        busy,
        idle: this.#countState('ready') - busy,
      },
      queued: this.#queue.size,
      inFlight,
      invocations: {
        total: this.#counts.invocations,
        succeeded: this.#counts.succeeded,
        failed: this.#counts.failed,
        byCode: { ...this.#counts.byCode },
      },
      coldStarts: this.#counts.coldStarts,
      workersStarted: this.#counts.workersStarted,
      workersExited: this.#counts.workersExited,
      startFailures: this.#counts.startFailures,
      latencyMs: this.#latency.summary(),
      runtimeVersion: this.#lastReady?.version,
      features: this.#lastReady?.features ?? [],
      sandbox: this.#lastReady?.sandbox ?? {},
      pids: [...this.#slots].map((s) => s.worker.pid).filter((p): p is number => p !== undefined),
    };
  }

  /**
   * Stops accepting work, lets queued and running invocations finish, then
   * stops every worker. Resolves when every worker process has exited.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#respawnTimer);
    clearInterval(this.#idleSweeper);
    this.#idleSweeper = undefined;
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(new PoolClosedError('The pool was closed'));
    await new Promise<void>((resolve) => {
      this.#drained = resolve;
      this.#checkDrained();
    });
    await Promise.all([...this.#slots].map((slot) => this.#retire(slot, 'the pool was closed')));
  }

  #checkDrained(): void {
    if (this.#drained === undefined || this.#queue.size > 0) return;
    for (const slot of this.#slots) if (slot.worker.inFlight > 0) return;
    const drained = this.#drained;
    this.#drained = undefined;
    drained();
  }

  #countState(state: Slot['state']): number {
    let n = 0;
    for (const slot of this.#slots) if (slot.state === state) n++;
    return n;
  }

  #freeSlot(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot.state !== 'ready' || slot.worker.inFlight >= this.#options.concurrency) continue;
      if (best === undefined || slot.worker.inFlight < best.worker.inFlight) best = slot;
    }
    return best;
  }

  #dispatch(): void {
    while (this.#queue.size > 0) {
      const slot = this.#freeSlot();
      if (slot === undefined) break;
      const task = this.#queue.shift() as Task;
      this.#run(slot, task);
    }
    const waiting = this.#queue.size - this.#countState('starting') * this.#options.concurrency;
    if (waiting > 0 && this.#respawnTimer === undefined) {
      const room = this.#options.maxWorkers - this.#slots.size;
      const wanted = Math.min(room, Math.ceil(waiting / this.#options.concurrency));
      for (let i = 0; i < wanted; i++) this.#spawn();
    }
  }

  #run(slot: Slot, task: Task): void {
    clearTimeout(task.timer);
    const remaining = task.deadline === 0 ? 0 : Math.max(1, Math.ceil(task.deadline - performance.now()));
    const { id, result } = slot.worker.invoke(task.request, { timeoutMs: remaining, deadlineMs: task.timeoutMs });
    task.worker = slot.worker;
    task.invocationId = id;
    result.then(
      (outcome) => this.#succeed(task, outcome, slot.worker.id),
      (error: FunctionsError) => this.#fail(task, error),
    );
  }

  #metrics(task: Task, outcome: WorkerResult | undefined): InvocationMetrics {
    return {
      wallMs: performance.now() - task.startedAt,
      cpuMs: outcome?.cpuMs ?? 0,
      peakMemoryBytes: outcome?.peakMemoryBytes ?? 0,
      bytesIn: task.request.body?.byteLength ?? 0,
      bytesOut: outcome?.body.byteLength ?? 0,
      coldStart: outcome?.coldStart ?? false,
      denials: outcome?.denials ?? 0,
      workerId: task.worker?.id ?? 0,
    };
  }

  #succeed(task: Task, outcome: WorkerResult, workerId: number): void {
    if (!this.#settle(task)) return;
    const metrics = { ...this.#metrics(task, outcome), workerId };
    this.#counts.succeeded++;
    if (outcome.coldStart) this.#counts.coldStarts++;
    this.#latency.add(metrics.wallMs);
    const response = new InvokeResponse({ ...outcome, metrics });
    if (this.listenerCount('invocation') > 0) this.emit('invocation', {
      projectId: this.capabilities.projectId,
      method: task.request.method,
      url: task.request.url,
      status: outcome.status,
      error: undefined,
      metrics,
    });
    task.resolve(response);
  }

  #fail(task: Task, error: FunctionsError): void {
    if (!this.#settle(task)) return;
    const metrics = this.#metrics(task, undefined);
    this.#counts.failed++;
    this.#count(error.code);
    this.#latency.add(metrics.wallMs);
    if (this.listenerCount('invocation') > 0) this.emit('invocation', {
      projectId: this.capabilities.projectId,
      method: task.request.method,
      url: task.request.url,
      status: undefined,
      error,
      metrics,
    });
    task.reject(error);
  }

  #settle(task: Task): boolean {
    if (task.settled) return false;
    task.settled = true;
    clearTimeout(task.timer);
    if (task.onAbort !== undefined) task.signal?.removeEventListener('abort', task.onAbort);
    return true;
  }

  #count(code: ErrorCode): void {
    this.#counts.byCode[code] = (this.#counts.byCode[code] ?? 0) + 1;
  }

  #abort(task: Task, reason: unknown): void {
    const error = new AbortedError('The invocation was aborted by its AbortSignal', { cause: reason });
    if (this.#queue.remove(task)) {
      this.#fail(task, error);
      this.#checkDrained();
    } else if (task.worker !== undefined) {
      task.worker.cancel(task.invocationId, error);
    }
  }

  #spawn(): void {
    const init = this.#init;
    const bundle = this.#bundle;
    // Until the build is done there is nothing to run; #onBundle spawns then.
    if (bundle === undefined) return;
    const worker = init.createWorker({
      id: this.#nextWorkerId++,
      options: this.#options,
      capabilities: this.capabilities,
      source: bundle.source,
      filename: bundle.filename,
      mapStack: bundle.mapStack,
      hostCall: init.hostCall,
    });
    const slot: Slot = { worker, state: 'starting', idleSince: performance.now() };
    this.#slots.add(slot);
    const projectId = this.capabilities.projectId;
    worker.on('log', (entry, invocationId) => {
      if (this.listenerCount('log') > 0) this.emit('log', { ...entry, projectId, workerId: worker.id, invocationId });
    });
    worker.on('denied', (denial, invocationId) =>
      this.emit('denied', { ...denial, projectId, workerId: worker.id, invocationId }),
    );
    worker.on('free', () => this.#onFree(slot));
    worker.on('exit', (exit) => {
      this.#slots.delete(slot);
      this.#counts.workersExited++;
      this.emit('workerexit', { workerId: worker.id, pid: worker.pid, ...exit });
      this.#ensureMinimum();
      this.#dispatch();
      this.#checkDrained();
    });
    worker.start().then(
      (info) => {
        this.#consecutiveStartFailures = 0;
        this.#counts.workersStarted++;
        this.#lastReady = info;
        if (slot.state === 'starting') slot.state = 'ready';
        this.emit('workerstart', { workerId: worker.id, runtime: this.runtime, pid: info.pid, info });
        if (this.#closed && this.#queue.size === 0) {
          void this.#retire(slot, 'the pool was closed');
          return;
        }
        this.#resolveReadyWaiters();
        this.#dispatch();
        this.#onFree(slot);
      },
      (error: FunctionsError) => this.#onStartFailure(error),
    );
  }

  #resolveReadyWaiters(): void {
    if (this.#countState('ready') < Math.max(1, this.#options.minWorkers)) return;
    for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
  }

  #onStartFailure(error: FunctionsError): void {
    this.#consecutiveStartFailures++;
    this.#counts.startFailures++;
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(error);
    // Without another worker that could serve them, waiting tasks would wait for nothing.
    const others = this.#countState('ready') + this.#countState('starting') - 1;
    if (others <= 0 && this.#queue.size > 0) {
      for (const task of this.#queue.drain()) this.#fail(task, error);
      this.#checkDrained();
    } else if (this.#queue.size === 0) {
      this.emit('error', error);
    }
  }

  #onFree(slot: Slot): void {
    const worker = slot.worker;
    const recycle = this.#options.recycleAfter;
    if (slot.state === 'ready' && recycle > 0 && worker.served >= recycle) {
      slot.state = 'retiring';
    }
    if (slot.state === 'retiring') {
      if (worker.inFlight === 0) void this.#retire(slot, `recycled after ${worker.served} invocations`);
    } else if (worker.inFlight === 0 && slot.state === 'ready') {
      this.#armIdleTimer(slot);
    }
    this.#dispatch();
    this.#checkDrained();
  }

  /**
   * Marks the slot idle. One sweeper per pool stops workers idle for longer
   * than idleTimeoutMs, instead of a timer armed and cleared around every call.
   */
  #armIdleTimer(slot: Slot): void {
    slot.idleSince = performance.now();
    const idle = this.#options.idleTimeoutMs;
    if (idle === 0 || this.#closed || this.#idleSweeper !== undefined) return;
    if (this.#slots.size <= this.#options.minWorkers) return;
    this.#idleSweeper = setInterval(() => this.#sweepIdle(), Math.max(10, Math.min(idle, 1000) / 2));
    this.#idleSweeper.unref();
  }

  #sweepIdle(): void {
    const idle = this.#options.idleTimeoutMs;
    const now = performance.now();
    let surplus = this.#countState('ready') + this.#countState('starting') - this.#options.minWorkers;
    for (const slot of this.#slots) {
      if (surplus <= 0) break;
      if (slot.state !== 'ready' || slot.worker.inFlight > 0 || now - slot.idleSince < idle) continue;
      surplus--;
      void this.#retire(slot, `idle for ${idle} ms`);
    }
    if (this.#closed || this.#slots.size - (this.#countState('retiring')) <= this.#options.minWorkers) {
      clearInterval(this.#idleSweeper);
      this.#idleSweeper = undefined;
    }
  }

  async #retire(slot: Slot, reason: string): Promise<void> {
    slot.state = 'retiring';
    await slot.worker.terminate(reason);
  }

  #ensureMinimum(): void {
    if (this.#closed || this.#respawnTimer !== undefined) return;
    const missing = this.#options.minWorkers - this.#countState('ready') - this.#countState('starting');
    if (missing <= 0) return;
    if (this.#consecutiveStartFailures > 0) {
      // A worker that cannot start would otherwise be respawned in a tight loop.
      const delay = Math.min(MAX_RESPAWN_DELAY_MS, 50 * 2 ** this.#consecutiveStartFailures);
      this.#respawnTimer = setTimeout(() => {
        this.#respawnTimer = undefined;
        this.#ensureMinimum();
      }, delay);
      this.#respawnTimer.unref();
      return;
    }
    for (let i = 0; i < missing; i++) this.#spawn();
  }
}
