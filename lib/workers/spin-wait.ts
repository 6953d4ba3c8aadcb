/**
 * Keeps the event loop polling (setImmediate) for a while after work is sent:
 * a sleeping process needs the kernel to wake it when the answer comes, and on
 * the machines we measured that wake-up cost more than the whole answer.
 * Polling stops at the deadline or as soon as `busy()` says nothing is pending.
 */
export class SpinWait {
  readonly #spinMs: number;
  readonly #busy: () => boolean;
  #until = 0;
  #spinning = false;

  constructor(spinUs: number, busy: () => boolean) {
    this.#spinMs = spinUs / 1000;
    this.#busy = busy;
  }

  /** Work was just sent: poll for the next spinUs. */
  start(): void {
    if (this.#spinMs === 0) return;
    this.#until = performance.now() + this.#spinMs;
    if (this.#spinning) return;
    this.#spinning = true;
    setImmediate(this.#tick);
  }

  readonly #tick = (): void => {
    if (!this.#busy() || performance.now() > this.#until) {
      this.#spinning = false;
      return;
    }
    setImmediate(this.#tick);
  };
}
