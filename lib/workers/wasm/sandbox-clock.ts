/** A timer of `SandboxClock`, opaque to its users. */
export type ClockTimer = { readonly __timer: unique symbol };

interface Timer {
  at: number;
  every: number;
  seq: number;
  fire: () => void;
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
  readonly #pending = new Set<Timer>();
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

  schedule(ms: number, repeat: boolean, fire: () => void): ClockTimer {
    const timer: Timer = { at: this.now() + ms, every: repeat ? Math.max(1, ms) : 0, seq: this.#seq++, fire };
    this.#pending.add(timer);
    this.#arm();
    return timer as unknown as ClockTimer;
  }

  cancel(timer: ClockTimer): void {
    this.#pending.delete(timer as unknown as Timer);
  }

  /** Moves the fake clock forward, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    if (!this.#fake) return;
    this.#fireUntil(this.#fakeNow + Math.max(0, ms));
  }

  /** Drops every pending timer; the clock keeps its time. */
  clearTimers(): void {
    this.#pending.clear();
    this.#arm();
  }

  /** Stops every timer (the sandbox is gone). */
  stop(): void {
    this.#pending.clear();
    clearTimeout(this.#wake);
    this.#wake = undefined;
  }

  #fireUntil(end: number): void {
    this.#firing = true;
    try {
      for (;;) {
        let next: Timer | undefined;
        for (const t of this.#pending) {
          if (t.at <= end && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
        }
        if (next === undefined) break;
        if (this.#fake) this.#fakeNow = Math.max(this.#fakeNow, next.at);
        if (next.every > 0) {
          next.at = end - next.at > MAX_CATCH_UP_MS ? end + next.every : next.at + next.every;
          next.seq = this.#seq++;
        } else {
          this.#pending.delete(next);
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
    let earliest = Infinity;
    for (const t of this.#pending) earliest = Math.min(earliest, t.at);
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
      this.#fireUntil(Date.now());
    }, Math.max(0, earliest - Date.now()));
  }
}
