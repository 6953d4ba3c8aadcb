import type { LogEntry } from './worker.js';

/**
 * Answered invocations are remembered in two generations of this many: at
 * least the last GENERATION and at most twice that; older ones count as past
 * their deadline.
 */
const GENERATION = 2048;

interface Leftover {
  /** performance.now() at the invocation's deadline; Infinity without one. */
  until: number;
  /** Log bytes the invocation had not used when it was answered. */
  logBytesLeft: number;
}

/**
 * Work a handler leaves running after its answer (timers, promise chains,
 * stream pulls) is held to the invocation's own limits, not fresh ones: it
 * may log what is left of its `maxLogBytes`, and only until its deadline.
 * Crossing either is a breach, and the worker is recycled (killed, which
 * cancels the leftover work, and replaced). Host calls after the answer are
 * refused elsewhere; CPU after the answer is the watchdog's.
 *
 * Logs with id 0 (output no invocation claims) belong to the invocation
 * answered last, or before any answer to the bundle's load, which has a
 * `maxLogBytes` of its own.
 */
export class LeftoverWork {
  /**
   * Two generations, dropped whole: a single map with the oldest entry
   * deleted at each answer rehashed its table over and over, and with a
   * deadline of seconds its entries outlived young-generation collections,
   * which showed as a quarter of the host's CPU going to garbage collection
   * at high call rates.
   */
  #answered = new Map<number, Leftover>();
  #older = new Map<number, Leftover>();
  readonly #maxLogBytes: number;
  readonly #onBreach: (reason: string) => void;
  readonly #load: Leftover;
  #last: Leftover | undefined;
  #latest = 0;
  #breached = false;

  constructor(maxLogBytes: number, onBreach: (reason: string) => void) {
    this.#maxLogBytes = maxLogBytes;
    this.#onBreach = onBreach;
    this.#load = { until: Infinity, logBytesLeft: maxLogBytes };
  }

  /** Invocation `id` was answered; `until` is its deadline (performance.now() ms, Infinity for none). */
  answered(id: number, until: number, logBytesUsed: number): void {
    if (this.#answered.size >= GENERATION) {
      this.#older = this.#answered;
      this.#answered = new Map();
    }
    this.#last = { until, logBytesLeft: Math.max(0, this.#maxLogBytes - logBytesUsed) };
    this.#answered.set(id, this.#last);
    this.#latest = Math.max(this.#latest, until);
  }

  /** The latest deadline of answered work that may still be running (past ones included); 0 before any answer. */
  get until(): number {
    return this.#latest;
  }

  /**
   * A log line of invocation `id`, which is no longer in flight. Returns what
   * to pass on: the entry, or once the budget is gone, a marker; nothing
   * after that.
   */
  log(id: number, entry: LogEntry): LogEntry | undefined {
    if (this.#breached) return undefined;
    const leftover = this.#find(id);
    if (leftover === undefined) {
      this.#breach(
        `invocation ${id} logged after its answer and past its deadline (timeoutMs)`,
      );
      return undefined;
    }
    const bytes = Buffer.byteLength(entry.message);
    if (bytes <= leftover.logBytesLeft) {
      leftover.logBytesLeft -= bytes;
      return entry;
    }
    const reason = `${id === 0 ? 'output no invocation claims' : `invocation ${id}, after its answer,`} went past maxLogBytes (${this.#maxLogBytes})`;
    this.#breach(reason);
    return { level: 'warn', message: `[truncated: ${reason}]`, time: entry.time };
  }

  /** Something else from invocation `id` after its answer (a host call): fine until its deadline. */
  activity(id: number): void {
    if (this.#breached || this.#find(id) !== undefined) return;
    this.#breach(
      `invocation ${id} made a host call after its answer and past its deadline (timeoutMs)`,
    );
  }

  #find(id: number): Leftover | undefined {
    const leftover = id === 0 ? (this.#last ?? this.#load) : (this.#answered.get(id) ?? this.#older.get(id));
    if (leftover === undefined || leftover.until < performance.now()) return undefined;
    return leftover;
  }

  #breach(reason: string): void {
    this.#breached = true;
    this.#onBreach(reason);
  }
}
