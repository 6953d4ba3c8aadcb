import { QuotaExceededError, TimeoutError } from '../errors.js';
import type { Pool } from '../pool.js';

/** Why the registry closed a function's pool. */
export type PoolCloseReason = 'idle' | 'evicted' | 'replaced' | 'removed' | 'closed';

/** One open pool of one function version, as the manager tracks it. */
export interface PoolHandle {
  readonly functionId: string;
  readonly projectId: string;
  readonly pool: Pool;
  /** Workers of the global budget this pool holds: its `maxWorkers`. */
  readonly charge: number;
  inFlight: number;
  /** performance.now() of the latest invocation. */
  lastUsed: number;
  closing: boolean;
  /** Set while `retire` waits for the invocations in flight to finish. */
  drained?: (() => void) | undefined;
}

export interface PoolManagerLimits {
  maxWorkers: number;
  maxProjectConcurrency: number;
  idlePoolMs: number;
}

/**
 * Shares one worker budget between many pools. A pool holds its `maxWorkers`
 * of the budget from creation to close, so live workers never exceed it. When
 * a new pool needs room, pools with nothing in flight are closed least
 * recently used first; when every pool is busy the caller waits for room.
 * Also counts each project's invocations in flight against its quota.
 */
export class PoolManager {
  readonly #limits: PoolManagerLimits;
  readonly #onClose: (handle: PoolHandle, reason: PoolCloseReason) => void;
  /** Open pools, least recently used first (a Set keeps insertion order; a use re-inserts). */
  readonly #lru = new Set<PoolHandle>();
  readonly #projects = new Map<string, number>();
  #reserved = 0;
  #waiters: (() => void)[] = [];
  #sweeper: NodeJS.Timeout | undefined;
  readonly counts = { opened: 0, idle: 0, evicted: 0, replaced: 0, removed: 0, closed: 0 };

  constructor(limits: PoolManagerLimits, onClose: (handle: PoolHandle, reason: PoolCloseReason) => void) {
    this.#limits = limits;
    this.#onClose = onClose;
    if (limits.idlePoolMs > 0) {
      this.#sweeper = setInterval(() => this.#sweepIdle(), Math.max(10, Math.min(limits.idlePoolMs / 2, 1000)));
      this.#sweeper.unref();
    }
  }

  /** Workers of the budget held by open (or closing) pools and bundle checks. */
  get reserved(): number {
    return this.#reserved;
  }

  get openPools(): number {
    return this.#lru.size;
  }

  /** In-flight invocations per project (only projects with some). */
  projectsInFlight(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [project, n] of this.#projects) if (n > 0) out[project] = n;
    return out;
  }

  /**
   * Counts one invocation against its project's quota.
   * @throws QuotaExceededError (`QUOTA_EXCEEDED`) when the project is at its quota.
   */
  enterProject(projectId: string): void {
    const n = this.#projects.get(projectId) ?? 0;
    if (n >= this.#limits.maxProjectConcurrency) {
      throw new QuotaExceededError(
        `Project ${JSON.stringify(projectId)} already has ${n} invocations in flight, its quota (maxProjectConcurrency ${this.#limits.maxProjectConcurrency}); retry later`,
      );
    }
    this.#projects.set(projectId, n + 1);
  }

  leaveProject(projectId: string): void {
    const n = this.#projects.get(projectId)! - 1;
    if (n === 0) this.#projects.delete(projectId);
    else this.#projects.set(projectId, n);
  }

  /** Marks an invocation starting on `handle` (its pool becomes most recently used). */
  enter(handle: PoolHandle): void {
    handle.inFlight++;
    handle.lastUsed = performance.now();
    this.#lru.delete(handle);
    this.#lru.add(handle);
  }

  leave(handle: PoolHandle): void {
    if (--handle.inFlight > 0) return;
    handle.drained?.();
    // A pool with nothing in flight can now be evicted for someone waiting for room.
    if (this.#waiters.length > 0) this.#wake();
  }

  /**
   * Takes `workers` of the budget, closing idle pools least recently used
   * first, or waiting for room until `timeoutMs` (0 = no limit).
   * @throws TimeoutError when no room appeared in time.
   */
  async reserve(workers: number, timeoutMs: number): Promise<void> {
    const deadline = timeoutMs > 0 ? performance.now() + timeoutMs : Infinity;
    for (;;) {
      if (this.#reserved + workers <= this.#limits.maxWorkers) {
        this.#reserved += workers;
        return;
      }
      const victim = this.#leastRecentlyUsedIdle();
      if (victim !== undefined) await this.retire(victim, 'evicted');
      else await this.#waitForRoom(deadline, workers);
    }
  }

  /** Gives back workers taken with `reserve`. */
  release(workers: number): void {
    this.#reserved -= workers;
    if (this.#waiters.length > 0) this.#wake();
  }

  /** Starts tracking a pool created with budget from `reserve`. */
  adopt(handle: PoolHandle): void {
    this.counts.opened++;
    this.#lru.add(handle);
  }

  /**
   * Closes a pool: it takes no more invocations, those in flight finish
   * (each within its own `timeoutMs`, however long the pool's
   * `shutdownTimeoutMs`), and its budget comes back once its workers have exited.
   */
  async retire(handle: PoolHandle, reason: PoolCloseReason): Promise<void> {
    if (handle.closing) return;
    handle.closing = true;
    this.#lru.delete(handle);
    this.counts[reason]++;
    this.#onClose(handle, reason);
    try {
      // pool.close() fails what is still running after shutdownTimeoutMs; a
      // replaced or removed function's callers are owed their answers.
      if (handle.inFlight > 0) await new Promise<void>((resolve) => (handle.drained = resolve));
      await handle.pool.close();
    } finally {
      this.release(handle.charge);
    }
  }

  /** Closes every pool (in-flight invocations finish first). */
  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([...this.#lru].map((handle) => this.retire(handle, 'closed')));
  }

  #leastRecentlyUsedIdle(): PoolHandle | undefined {
    for (const handle of this.#lru) if (handle.inFlight === 0) return handle;
    return undefined;
  }

  #waitForRoom(deadline: number, workers: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.push(wake);
      if (deadline !== Infinity) {
        timer = setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== wake);
          reject(
            new TimeoutError(
              `No room for ${workers} more workers within the deadline: all ${this.#limits.maxWorkers} of the registry's budget (maxWorkers) are held by busy pools`,
            ),
          );
        }, Math.max(1, deadline - performance.now()));
      }
    });
  }

  /** Every waiter re-checks; those that still find no room wait again. */
  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #sweepIdle(): void {
    const cutoff = performance.now() - this.#limits.idlePoolMs;
    for (const handle of this.#lru) {
      // Least recently used first: once one is recent enough, so are the rest.
      if (handle.lastUsed > cutoff) break;
      if (handle.inFlight === 0) void this.retire(handle, 'idle');
    }
  }
}
