/** Spins in a row that ended with the work still pending before spinning pauses. */
const MISSES_BEFORE_PAUSE = 4;
/** Sends without spinning during a pause; then one spin tries again. */
const PAUSE_SENDS = 64;

/**
 * Keeps the event loop polling (setImmediate) for a while after work is sent:
 * a sleeping process needs the kernel to wake it when the answer comes, and on
 * the machines we measured that wake-up cost more than the whole answer.
 * Polling stops at the deadline or as soon as `busy()` says nothing is pending.
 *
 * `busy()` says whether an answer is awaited that is worth polling for: the
 * session's is "exactly one call in flight". With several in flight, answers
 * come back to back and the host has their work to do without polling; a
 * spin then only took a core from the workers (at concurrency 16 on two
 * cores, 4 to 5 µs more host CPU per call and a fifth fewer calls a second).
 *
 * A spin only pays when the answer comes within it. When answers keep coming
 * later (a handler that computes for longer than the spin, or a machine so
 * loaded that the worker is not running), polling only takes CPU from the
 * worker: after a few such misses in a row, sends go without spinning for a
 * while.
 *
 * With a `channel` (a quickjs-wasm thread's fast lane), each turn of the
 * spin also looks for the answer there, and the channel is told when the
 * spin starts and stops, so that the other end knows whether it must wake
 * this thread.
 */
export class SpinWait {
  readonly #spinMs: number;
  readonly #busy: () => boolean;
  readonly #channel: PolledChannel | undefined;
  #until = 0;
  #spinning = false;
  #misses = 0;
  #paused = 0;

  constructor(spinUs: number, busy: () => boolean, channel?: PolledChannel) {
    this.#spinMs = spinUs / 1000;
    this.#busy = busy;
    this.#channel = channel;
  }

  /** Work was just sent: poll for the next spinUs. */
  start(): void {
    if (this.#spinMs === 0 || !this.#busy()) return;
    if (this.#paused > 0) {
      this.#paused--;
      return;
    }
    this.#until = performance.now() + this.#spinMs;
    if (this.#spinning) {
      // Started again before the spin ended: what it waited for came (a worker answered and was sent more, or a sandbox's next call came and was answered).
      this.#misses = 0;
      return;
    }
    this.#spinning = true;
    this.#channel?.polling(true);
    setImmediate(this.#tick);
  }

  /** Whether a spin is under way (for tests). */
  get spinning(): boolean {
    return this.#spinning;
  }

  readonly #tick = (): void => {
    this.#channel?.poll();
    if (!this.#busy()) {
      this.#misses = 0;
      this.#stop();
      return;
    }
    if (performance.now() > this.#until) {
      if (++this.#misses >= MISSES_BEFORE_PAUSE) {
        // The spin after the pause is a trial: one more miss pauses again.
        this.#misses = MISSES_BEFORE_PAUSE - 1;
        this.#paused = PAUSE_SENDS;
      }
      this.#stop();
      return;
    }
    setImmediate(this.#tick);
  };

  #stop(): void {
    // Before the channel's last look: what that look delivers may start a new spin.
    this.#spinning = false;
    this.#channel?.polling(false);
  }
}

/** A channel a spin can look into without the event loop (fast-lane.ts). */
export interface PolledChannel {
  /** Takes a message that waits, if any. */
  poll(): void;
  /** The spin started (true) or stopped (false); stopping looks a last time. */
  polling(on: boolean): void;
}
