/**
 * One timer for the deadlines of every invocation in flight, armed for the
 * earliest: a timer per call cost an allocation and two list operations on
 * every call, for deadlines that almost never fire. The owner's `due`
 * callback checks its invocations and arms the next one. While nothing is in
 * flight the timer is unref'd (`idle`), so an idle owner keeps no process alive.
 */
export class EarliestDeadline {
  readonly #due: () => void;
  /** Milliseconds the timer waits past the instant (0, or 1 where the loop's clock may lag performance.now()). */
  readonly #lateMs: number;
  #timer: NodeJS.Timeout | undefined;
  #at = Infinity;

  constructor(due: () => void, lateMs = 0) {
    this.#due = due;
    this.#lateMs = lateMs;
  }

  /** Makes sure the timer fires by `at` (a performance.now() instant); a later one than armed changes nothing. */
  arm(at: number): void {
    if (this.#timer !== undefined) {
      this.#timer.ref();
      if (at >= this.#at) return;
      clearTimeout(this.#timer);
    }
    this.#at = at;
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(at - performance.now()) + this.#lateMs));
  }

  /** Nothing is in flight: the armed timer no longer keeps the process alive. */
  idle(): void {
    this.#timer?.unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = Infinity;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#at = Infinity;
    this.#due();
  };
}
