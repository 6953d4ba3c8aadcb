import type { LogEntry } from './worker.js';

/** Answered invocations remembered; older ones count as past their deadline. */
const REMEMBERED = 4096;

/** What is left to an invocation's work after its answer. */
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
   * The last REMEMBERED answers, in a ring of numbers: an object and a map
   * entry per answer lived for thousands of calls, and at high call rates
   * that made the host's young-generation collections promote about a
   * quarter of everything allocated per call (measured with stand-in
   * workers: 12 µs of host CPU per call, 4 µs without). Lookups come only
   * with output after an answer, and scan from the newest.
   */
  readonly #ids = new Float64Array(REMEMBERED);
  readonly #until = new Float64Array(REMEMBERED);
  readonly #logBytesLeft = new Float64Array(REMEMBERED);
  /** Answers so far; the newest is at (#count - 1) % REMEMBERED. */
  #count = 0;
  readonly #maxLogBytes: number;
  readonly #onBreach: (reason: string) => void;
  readonly #load: Leftover;
  #latest = 0;
  #breached = false;

  constructor(maxLogBytes: number, onBreach: (reason: string) => void) {
    this.#maxLogBytes = maxLogBytes;
    this.#onBreach = onBreach;
    this.#load = { until: Infinity, logBytesLeft: maxLogBytes };
  }

  /** Invocation `id` was answered; `until` is its deadline (performance.now() ms, Infinity for none). */
  answered(id: number, until: number, logBytesUsed: number): void {
    const at = this.#count % REMEMBERED;
    this.#count++;
    this.#ids[at] = id;
    this.#until[at] = until;
    this.#logBytesLeft[at] = Math.max(0, this.#maxLogBytes - logBytesUsed);
    if (until > this.#latest) this.#latest = until;
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
    const at = this.#find(id);
    if (at === undefined) {
      this.#breach(
        `invocation ${id} logged after its answer and past its deadline (timeoutMs)`,
      );
      return undefined;
    }
    const bytes = Buffer.byteLength(entry.message);
    const left = at === -1 ? this.#load.logBytesLeft : (this.#logBytesLeft[at] as number);
    if (bytes <= left) {
      if (at === -1) this.#load.logBytesLeft = left - bytes;
      else this.#logBytesLeft[at] = left - bytes;
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

  /** The slot of `id` (-1: the bundle's load), or undefined when it is unknown or past its deadline. */
  #find(id: number): number | undefined {
    let at: number | undefined;
    if (id === 0) {
      at = this.#count === 0 ? -1 : (this.#count - 1) % REMEMBERED;
    } else {
      for (let n = this.#count - 1; n >= 0 && n >= this.#count - REMEMBERED; n--) {
        if (this.#ids[n % REMEMBERED] === id) {
          at = n % REMEMBERED;
          break;
        }
      }
    }
    if (at === undefined) return undefined;
    const until = at === -1 ? this.#load.until : (this.#until[at] as number);
    return until < performance.now() ? undefined : at;
  }

  #breach(reason: string): void {
    this.#breached = true;
    this.#onBreach(reason);
  }
}
