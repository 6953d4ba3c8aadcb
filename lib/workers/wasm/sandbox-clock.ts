import { inlineEngineLost } from './local-port.js';
/** A timer of `SandboxClock`, opaque to its users. */
export type ClockTimer = { readonly __timer: unique symbol };

interface Timer {
  at: number;
  every: number;
  seq: number;
  fire: () => void;
  /** Cancelled timers stay in the heap until they reach its top, or until a rebuild. */
  cancelled: boolean;
}

/** True if `a` falls due before `b` (ties in the order they were set). */
function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** An interval late by more than this is not caught up tick by tick: it restarts from now. */
const MAX_CATCH_UP_MS = 1000;

/**
 * The sandbox's time and timers: the real clock, or the unit-test sandbox's
 * fake one, where `Date.now`, `performance.now` and timers move only when
 * the host says so (`pool.advanceTime(ms)`).
 *
 * Timers are kept in one queue and fire in the order they fall due (ties in
 * the order they were set), each followed by its microtasks, whether the
 * thread wakes on time or late: a thread busy with another sandbox must not
 * reorder this one's timers. A late interval catches up its missed ticks
 * before later timers run.
 */
export class SandboxClock {
  readonly #fake: boolean;
  #fakeNow: number;
  #seq = 0;
  /**
   * The timers in a binary heap, the one due first at the top: a set scanned
   * whole for the earliest made N timers set at once cost N² (40,000 took
   * 8.7 s to set, and as long again to fire).
   */
  #heap: Timer[] = [];
  #cancelled = 0;
  #wake: NodeJS.Timeout | undefined;
  #wakeAt = Infinity;
  #firing = false;

  /** `fakeStart` is the fake clock's start (ms since the epoch), or null for real time. */
  constructor(fakeStart: number | null) {
    this.#fake = fakeStart !== null;
    this.#fakeNow = fakeStart ?? 0;
  }

  now(): number {
    return this.#fake ? this.#fakeNow : Date.now();
  }

  /**
   * A timer in `ms`. One set by a timer (while the clock fires) for less
   * than 1 ms waits 1 ms, as in Node and the native runtime (mod_timers.c):
   * a 0 ms timer re-arming itself would otherwise fall due within the pass
   * that fires it, and with the fake clock `advance` would never end.
   */
  schedule(ms: number, repeat: boolean, fire: () => void): ClockTimer {
    const delay = this.#firing ? Math.max(1, ms) : ms;
    const timer: Timer = { at: this.now() + delay, every: repeat ? Math.max(1, ms) : 0, seq: this.#seq++, fire, cancelled: false };
    this.#push(timer);
    this.#arm();
    return timer as unknown as ClockTimer;
  }

  cancel(timer: ClockTimer): void {
    const t = timer as unknown as Timer;
    if (t.cancelled) return;
    t.cancelled = true;
    this.#cancelled++;
    // Cancelled timers due late (a guard cleared on every call) would pile up: rebuild once they are half.
    if (this.#cancelled > 64 && this.#cancelled * 2 > this.#heap.length) {
      const live = this.#heap.filter((x) => !x.cancelled);
      this.#heap = [];
      this.#cancelled = 0;
      for (const x of live) this.#push(x);
    }
  }

  /** Moves the fake clock forward, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    if (!this.#fake) return;
    this.#fireUntil(this.#fakeNow + Math.max(0, ms));
  }

  /** Drops every pending timer; the clock keeps its time. */
  clearTimers(): void {
    this.#drop();
    this.#arm();
  }

  /** Stops every timer (the sandbox is gone). */
  stop(): void {
    this.#drop();
    clearTimeout(this.#wake);
    this.#wake = undefined;
  }

  #fireUntil(end: number): void {
    this.#firing = true;
    try {
      for (;;) {
        const next = this.#first();
        if (next === undefined || next.at > end) break;
        this.#pop();
        if (this.#fake) this.#fakeNow = Math.max(this.#fakeNow, next.at);
        if (next.every > 0) {
          next.at = end - next.at > MAX_CATCH_UP_MS ? end + next.every : next.at + next.every;
          next.seq = this.#seq++;
          this.#push(next);
        } else {
          // Fired: a later clearTimeout of it must not count as a cancellation.
          next.cancelled = true;
        }
        // Timers set by this one for later than `end` wait for the next pass: a
        // timer flood cannot keep the thread from its other sandboxes' messages.
        next.fire();
      }
      if (this.#fake) this.#fakeNow = Math.max(this.#fakeNow, end);
    } finally {
      this.#firing = false;
    }
    this.#arm();
  }

  /** Real time: one Node timer, armed for the earliest timer due. */
  #arm(): void {
    if (this.#fake || this.#firing) return;
    const earliest = this.#first()?.at ?? Infinity;
    if (earliest === Infinity) {
      clearTimeout(this.#wake);
      this.#wake = undefined;
      this.#wakeAt = Infinity;
      return;
    }
    if (this.#wake !== undefined && this.#wakeAt <= earliest) return;
    clearTimeout(this.#wake);
    this.#wakeAt = earliest;
    this.#wake = setTimeout(() => {
      this.#wake = undefined;
      this.#wakeAt = Infinity;
      try {
        this.#fireUntil(Date.now());
      } catch (error) {
        if (!inlineEngineLost(error)) throw error;
      }
    }, Math.max(0, earliest - Date.now()));
  }
  /** The live timer due first, after dropping cancelled ones from the top. */
  #first(): Timer | undefined {
    while (this.#heap.length > 0 && this.#heap[0]!.cancelled) {
      this.#pop();
      this.#cancelled--;
    }
    return this.#heap[0];
  }

  #drop(): void {
    for (const t of this.#heap) t.cancelled = true;
    this.#heap = [];
    this.#cancelled = 0;
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    let i = heap.push(timer) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(timer, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = timer;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && before(heap[child + 1]!, heap[child]!)) child++;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}
