import { EventEmitter } from 'eventemitter3';
import type { PoolBundle } from './bundle/load-source.js';
import type { Capabilities } from './capabilities/index.js';
import {
  AbortedError,
  BundleLoadError,
  FunctionsError,
  InvalidOptionsError,
  PoolClosedError,
  QueueFullError,
  TimeoutError,
  copyError,
  withInvocation,
} from './errors.js';
import type { PoolEvents } from './events.js';
import { IdTable } from './id-table.js';
import { InvocationCounts } from './invocation-counts.js';
import { invokeOptionsError } from './invoke-options.js';
import { LatencyWindow } from './latency.js';
import type { ResolvedPoolOptions } from './options.js';
import { normalizeRequest, type InvokeRequest } from './request.js';
import { isWebRequest, needsReading, readRequest, type InvokeInput } from './web-request.js';
import { InvokeResponse, type InvocationMetrics } from './response.js';
import { RespawnBackoff } from './respawn-backoff.js';
import { TaskQueue } from './task-queue.js';
import type { HostCallHandler, ReadyInfo, RuntimeName, WireRequest, Worker, WorkerContext, WorkerResult } from './workers/worker.js';
import type { PoolStats } from './stats.js';

export interface InvokeOptions {
  /** Cancels the invocation: a queued one is dropped, a running one is told to stop. */
  signal?: AbortSignal;
  /** Overrides the pool's `timeoutMs` for this call; 0 = none. */
  timeoutMs?: number;
}

export interface CloseOptions {
  /**
   * Stop at once: queued and running invocations reject with `POOL_CLOSED`
   * and every worker is killed. Default false: drain for up to
   * `shutdownTimeoutMs`, then the same.
   */
  force?: boolean;
}

interface Task {
  /** The pool's id of this call, on its response, its error and its events. */
  id: number;
  request: WireRequest;
  startedAt: number;
  deadline: number;
  timeoutMs: number;
  resolve: (response: InvokeResponse) => void;
  reject: (error: FunctionsError) => void;
  settled: boolean;
  /** False for calls refused before they were queued; they stay out of the latency figures. */
  admitted: boolean;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  worker: Worker | undefined;
}

interface Slot {
  worker: Worker;
  state: 'starting' | 'ready' | 'retiring';
  /** Set once the worker reported ready; until then its exit is a start failure. */
  started: boolean;
  /** performance.now() when the slot last became idle. */
  idleSince: number;
}

const UNREAD_REQUEST: WireRequest = { method: '', url: '', headers: [], body: null };

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
 * profile. Create it with `createPool()`; stop it with `close()`, `destroy()`
 * or `await using`.
 */
export class Pool extends EventEmitter<PoolEvents> {
  readonly runtime: RuntimeName;
  readonly capabilities: Capabilities;
  readonly #init: PoolInit;
  readonly #options: ResolvedPoolOptions;
  readonly #slots = new Set<Slot>();
  readonly #queue = new TaskQueue<Task>();
  #queueTimer: NodeJS.Timeout | undefined;
  #queueDeadlineAt = Infinity;
  /** Tasks sent to a worker and not yet settled. */
  readonly #running = new IdTable<Task>();
  readonly #latency = new LatencyWindow();
  readonly #invocations = new InvocationCounts();
  readonly #counts = { coldStarts: 0, workersStarted: 0, workersExited: 0, startFailures: 0 };
  readonly #backoff = new RespawnBackoff();
  #nextWorkerId = 1;
  #nextInvocationId = 1;
  #idleSweeper: NodeJS.Timeout | undefined;
  #lastReady: ReadyInfo | undefined;
  #closed = false;
  /** Set once close gave up waiting (or was forced): nothing is waited for any more. */
  #stopped = false;
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
  invoke(request: InvokeInput, options: InvokeOptions = {}): Promise<InvokeResponse> {
    // A Web Request or a streamed body is read into bytes first (its deadline starts after that).
    if (needsReading(request)) {
      // A Request's own signal counts when the options name none, as fetch() does.
      const signal = options.signal ?? (isWebRequest(request) ? request.signal : undefined);
      const next = signal === undefined ? options : { ...options, signal };
      return readRequest(request, this.#options.maxBodyBytes).then((plain) => this.invoke(plain, next));
    }
    const optionsError = invokeOptionsError(options);
    // Options that cannot be used are not read further: the call is refused below.
    if (optionsError !== undefined) options = {};
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs;
    let task!: Task;
    const promise = new Promise<InvokeResponse>((resolve, reject) => {
      const startedAt = performance.now();
      task = {
        id: this.#nextInvocationId++,
        request: UNREAD_REQUEST,
        startedAt,
        deadline: timeoutMs > 0 ? startedAt + timeoutMs : 0,
        timeoutMs,
        resolve,
        reject,
        settled: false,
        admitted: false,
        signal: options.signal,
        onAbort: undefined,
        worker: undefined,
      };
    });
    const refusal = optionsError ?? this.#admit(task, request as InvokeRequest, options);
    if (refusal !== undefined) {
      this.#fail(task, refusal);
      return promise;
    }
    task.admitted = true;
    if (options.signal !== undefined) {
      const signal = options.signal;
      task.onAbort = () => this.#abort(task, signal.reason);
      signal.addEventListener('abort', task.onAbort, { once: true });
    }
    // Nothing waiting and a worker free: straight to it, without a trip through the queue
    // (at concurrency above 1 most calls find a free slot).
    const free = this.#queue.size === 0 ? this.#freeSlot() : undefined;
    if (free !== undefined) {
      this.#run(free, task);
    } else {
      this.#queue.push(task);
      this.#dispatch();
    }
    // While queued the deadline is ours; once running, the worker enforces the rest of it.
    if (task.deadline > 0 && task.worker === undefined && !task.settled) this.#armQueueDeadline(task.deadline);
    return promise;
  }

  /**
   * One timer for the deadlines of every queued task, armed for the earliest:
   * with more calls than workers most calls wait here, and a timer each cost
   * an allocation and two list operations per call for deadlines that almost
   * never fire. It is cleared whenever the queue empties.
   */
  #armQueueDeadline(at: number): void {
    if (at >= this.#queueDeadlineAt) return;
    clearTimeout(this.#queueTimer);
    this.#queueDeadlineAt = at;
    this.#queueTimer = setTimeout(this.#onQueueDeadline, Math.max(1, Math.ceil(at - performance.now())));
  }

  /**
   * A queued call's deadline passed. With no worker ready and some still
   * starting, the likelier cause is the bundle's start (top-level code that
   * does not finish), not busy workers: the message says which.
   */
  #neverStarted(task: Task): TimeoutError {
    const starting = this.#countState('starting');
    if (this.#countState('ready') === 0 && starting > 0) {
      return new TimeoutError(
        `No worker became ready within ${task.timeoutMs} ms (timeoutMs); the invocation never started. ${starting} worker(s) still starting: the bundle's top-level code may not finish (a start is given up after startTimeoutMs, ${this.#options.startTimeoutMs} ms)`,
      );
    }
    return new TimeoutError(`No worker became free within ${task.timeoutMs} ms (timeoutMs); the invocation never started`);
  }

  #clearQueueDeadline(): void {
    if (this.#queueTimer === undefined) return;
    clearTimeout(this.#queueTimer);
    this.#queueTimer = undefined;
    this.#queueDeadlineAt = Infinity;
  }

  /** The earliest queued deadline came (or a little before it: timers run on the loop's cached clock). */
  readonly #onQueueDeadline = (): void => {
    this.#queueTimer = undefined;
    this.#queueDeadlineAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    const expired: Task[] = [];
    for (const task of this.#queue.drain()) {
      if (task.deadline > 0 && task.deadline <= now) {
        expired.push(task);
      } else {
        this.#queue.push(task);
        if (task.deadline > 0 && task.deadline < next) next = task.deadline;
      }
    }
    if (next !== Infinity) this.#armQueueDeadline(next);
    for (const task of expired) {
      this.#fail(task, this.#neverStarted(task));
    }
    this.#checkDrained();
  };

  /** Why a call cannot even be queued, if it cannot. */
  #admit(task: Task, request: InvokeRequest, options: InvokeOptions): FunctionsError | undefined {
    if (this.#closed) return new PoolClosedError('The pool is closed; create a new pool to run more invocations');
    if (this.#bundleError !== undefined) return copyError(this.#bundleError);
    try {
      task.request = normalizeRequest(request, this.#options.maxBodyBytes);
    } catch (error) {
      return error as FunctionsError;
    }
    if (options.signal?.aborted === true) {
      return new AbortedError('The invocation was aborted before it started', { cause: options.signal.reason });
    }
    if (this.#queue.size >= this.#options.maxQueue && this.#freeSlot() === undefined) {
      return new QueueFullError(
        `All ${this.#slots.size} workers are busy and ${this.#queue.size} invocations are already waiting (maxQueue ${this.#options.maxQueue}); retry later or raise maxWorkers / maxQueue`,
      );
    }
    return undefined;
  }

  /** WHATWG in, WHATWG out: runs the handler with `request` and returns its `Response`. */
  async fetch(request: Request, options: InvokeOptions = {}): Promise<Response> {
    // invoke() reads the body, at most maxBodyBytes of it (a proxied upload cannot make the host buffer more).
    return (await this.invoke(request, options)).toResponse();
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
    while (this.#live() < wanted) this.#spawn();
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
    this.#clearQueueDeadline();
    for (const waiter of waiters) waiter.reject(error);
    for (const task of tasks) this.#fail(task, copyError(error));
    if (waiters.length === 0 && tasks.length === 0 && !this.#closed) this.emit('error', error);
    this.#checkDrained();
  }

  /**
   * The unit-test sandbox's clock (quickjs-wasm and quickjs-ng with `fakeClock`): moves
   * every running worker's clock forward by `ms`, firing the timers that fall
   * due on the way, in order. Resolves once every worker has done so. Start
   * the workers first (`await pool.ready()`), and start the invocation whose
   * timers should fire before advancing.
   */
  async advanceTime(ms: number): Promise<void> {
    if (this.#options.fakeClock === undefined) {
      throw new InvalidOptionsError('advanceTime needs a pool created with fakeClock (runtime quickjs-wasm or quickjs-ng)', [
        { path: 'fakeClock', message: 'not set' },
      ]);
    }
    if (!Number.isFinite(ms) || ms < 0) {
      throw new InvalidOptionsError(`advanceTime takes a number of milliseconds >= 0, got ${typeof ms === 'number' ? ms : typeof ms}`, [{ path: 'ms', message: 'invalid' }]);
    }
    await Promise.all([...this.#slots].map((slot) => slot.worker.advanceTime?.(ms)));
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
      invocations: this.#invocations.snapshot(),
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
   * Stops accepting work, lets queued and running invocations finish for up
   * to `shutdownTimeoutMs`, then rejects what is left with `POOL_CLOSED` and
   * kills the workers. Resolves when every worker process has exited.
   * `{ force: true }` skips the wait.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closed = true;
    if (options.force === true) this.#stopNow('close({ force: true })');
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** `close({ force: true })`: rejects queued and running invocations with `POOL_CLOSED` and kills every worker now. */
  destroy(): Promise<void> {
    return this.close({ force: true });
  }

  /** `await using pool = createPool(...)` closes the pool (gracefully, bounded by `shutdownTimeoutMs`) at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.#backoff.cancel();
    clearInterval(this.#idleSweeper);
    this.#idleSweeper = undefined;
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(new PoolClosedError('The pool was closed'));
    const bound = this.#options.shutdownTimeoutMs;
    const until = performance.now() + bound;
    if (!(await this.#waitDrained(bound))) this.#stopNow(`shutdownTimeoutMs, ${bound} ms, ran out`);
    // Workers started while draining are in #slots too: wait until every one is gone.
    while (this.#slots.size > 0) {
      const grace = this.#stopped ? 0 : Math.max(0, until - performance.now());
      await Promise.all([...this.#slots].map((slot) => this.#retire(slot, 'the pool was closed', grace)));
    }
  }

  /** Resolves true once nothing is queued or running, false if that takes longer than `ms`. */
  #waitDrained(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#drained = undefined;
        resolve(false);
      }, ms);
      this.#drained = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#checkDrained();
    });
  }

  /** Rejects everything queued or running with POOL_CLOSED and kills every worker. */
  #stopNow(why: string): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#closed = true;
    this.#backoff.cancel();
    this.#clearQueueDeadline();
    for (const task of this.#queue.drain()) {
      this.#fail(task, new PoolClosedError(`The pool was closed (${why}) before this invocation started`));
    }
    for (const task of this.#running.values()) {
      this.#fail(task, new PoolClosedError(`The pool was closed (${why}) before the handler answered; its worker was killed`));
    }
    for (const slot of this.#slots) void this.#retire(slot, `the pool was closed (${why})`, 0);
    this.#checkDrained();
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

  /** Workers starting or ready, that is, not on their way out. */
  #live(): number {
    return this.#countState('starting') + this.#countState('ready');
  }

  #freeSlot(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot.state !== 'ready' || !slot.worker.accepting || slot.worker.inFlight >= this.#options.concurrency) continue;
      if (best === undefined || slot.worker.inFlight < best.worker.inFlight) best = slot;
    }
    return best;
  }

  #dispatch(): void {
    while (this.#queue.size > 0) {
      const slot = this.#freeSlot();
      if (slot === undefined) break;
      this.#run(slot, this.#queue.shift() as Task);
    }
    if (this.#queue.size === 0) this.#clearQueueDeadline();
    if (this.#backoff.waiting || this.#stopped) return;
    const waiting = this.#queue.size - this.#countState('starting') * this.#options.concurrency;
    if (waiting > 0) {
      const room = this.#options.maxWorkers - this.#slots.size;
      const wanted = Math.min(room, Math.ceil(waiting / this.#options.concurrency));
      for (let i = 0; i < wanted; i++) this.#spawn();
    }
  }

  #run(slot: Slot, task: Task): void {
    let remaining = 0;
    if (task.deadline > 0) {
      remaining = Math.ceil(task.deadline - performance.now());
      // Expired in the queue (its timer is late under load): it never reaches a worker.
      if (remaining <= 0) {
        this.#fail(task, this.#neverStarted(task));
        return;
      }
    }
    task.worker = slot.worker;
    this.#running.set(task.id, task);
    const worker = slot.worker;
    worker.invoke(task.request, { invocationId: task.id, timeoutMs: remaining, deadlineMs: task.timeoutMs }, (outcome) => {
      if (outcome instanceof FunctionsError) this.#fail(task, outcome);
      else this.#succeed(task, outcome, worker.id);
    });
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
    if (task.deadline > 0 && performance.now() > task.deadline) {
      // The answer was in the pipe when the deadline passed: past the deadline is TIMEOUT, always.
      const late = new TimeoutError(`The handler answered after its ${task.timeoutMs} ms deadline (timeoutMs, counted from invoke()); the answer was dropped`);
      this.#fail(task, withInvocation(late, { invocationId: task.id, logs: outcome.logs }));
      return;
    }
    if (!this.#settle(task)) return;
    const metrics = this.#metrics(task, outcome);
    metrics.workerId = workerId;
    this.#invocations.succeed();
    if (outcome.coldStart) this.#counts.coldStarts++;
    this.#latency.add(metrics.wallMs);
    const response = new InvokeResponse({
      invocationId: task.id,
      status: outcome.status,
      statusText: outcome.statusText,
      headers: outcome.headers,
      body: outcome.body,
      logs: outcome.logs,
      metrics,
    });
    if (this.listenerCount('invocation') > 0) this.emit('invocation', {
      invocationId: task.id,
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
    const own = withInvocation(error, { invocationId: task.id, metrics });
    this.#invocations.fail(own.code);
    if (task.admitted) this.#latency.add(metrics.wallMs);
    if (this.listenerCount('invocation') > 0) this.emit('invocation', {
      invocationId: task.id,
      projectId: this.capabilities.projectId,
      method: task.request.method,
      url: task.request.url,
      status: undefined,
      error: own,
      metrics,
    });
    task.reject(own);
  }

  #settle(task: Task): boolean {
    if (task.settled) return false;
    task.settled = true;
    this.#running.delete(task.id);
    if (task.onAbort !== undefined) task.signal?.removeEventListener('abort', task.onAbort);
    return true;
  }

  #abort(task: Task, reason: unknown): void {
    const error = new AbortedError('The invocation was aborted by its AbortSignal', { cause: reason });
    if (this.#queue.remove(task)) {
      if (this.#queue.size === 0) this.#clearQueueDeadline();
      this.#fail(task, error);
      this.#checkDrained();
    } else if (task.worker !== undefined) {
      task.worker.cancel(task.id, error);
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
    const slot: Slot = { worker, state: 'starting', started: false, idleSince: performance.now() };
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
      // A worker that never became ready: its start failure, handled next, decides what follows.
      if (!slot.started) return;
      this.#ensureMinimum();
      this.#dispatch();
      this.#checkDrained();
    });
    worker.start().then(
      (info) => {
        slot.started = true;
        this.#backoff.succeeded();
        this.#counts.workersStarted++;
        this.#lastReady = info;
        if (slot.state === 'starting') slot.state = 'ready';
        this.emit('workerstart', { workerId: worker.id, runtime: this.runtime, pid: info.pid, info });
        if (this.#closed && this.#queue.size === 0) {
          void this.#retire(slot, 'the pool was closed', 0);
          return;
        }
        this.#resolveReadyWaiters();
        this.#dispatch();
        this.#onFree(slot);
      },
      (error: FunctionsError) => this.#onStartFailure(slot, error),
    );
  }

  #resolveReadyWaiters(): void {
    if (this.#countState('ready') < Math.max(1, this.#options.minWorkers)) return;
    for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
  }

  /**
   * A worker failed to start (its exit has been handled already). Queued
   * work waits for the next worker; it fails with the start error only when
   * no other worker could serve it and the failure persists.
   */
  #onStartFailure(slot: Slot, error: FunctionsError): void {
    this.#counts.startFailures++;
    // Stopped on purpose while starting (close, destroy): not a failure anyone needs to hear about.
    if (slot.state === 'retiring' || this.#stopped) return;
    const waiters = this.#readyWaiters.splice(0);
    for (const waiter of waiters) waiter.reject(error);
    this.#backoff.failed(() => {
      this.#ensureMinimum();
      this.#dispatch();
      this.#checkDrained();
    }, this.#queue.size > 0);
    let told = waiters.length > 0;
    if (this.#queue.size > 0 && this.#live() === 0 && this.#backoff.persistent(error)) {
      this.#clearQueueDeadline();
      for (const task of this.#queue.drain()) this.#fail(task, copyError(error));
      told = true;
    }
    if (!told) this.emit('error', error);
    this.#dispatch();
    this.#checkDrained();
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
    let surplus = this.#live() - this.#options.minWorkers;
    for (const slot of this.#slots) {
      if (surplus <= 0) break;
      if (slot.state !== 'ready' || slot.worker.inFlight > 0 || now - slot.idleSince < idle) continue;
      surplus--;
      void this.#retire(slot, `idle for ${idle} ms`);
    }
    if (this.#closed || this.#slots.size - this.#countState('retiring') <= this.#options.minWorkers) {
      clearInterval(this.#idleSweeper);
      this.#idleSweeper = undefined;
    }
  }

  async #retire(slot: Slot, reason: string, graceMs?: number): Promise<void> {
    slot.state = 'retiring';
    await slot.worker.terminate(reason, graceMs);
  }

  #ensureMinimum(): void {
    if (this.#closed || this.#backoff.waiting) return;
    const missing = this.#options.minWorkers - this.#live();
    for (let i = 0; i < missing; i++) this.#spawn();
  }
}
