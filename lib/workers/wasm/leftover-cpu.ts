import type { WatcherFinding } from '../transport.js';

/** Engine time work may use past the deadline of everything it was given (as watchdog.ts allows a process). */
const PAST_DEADLINE_ALLOWANCE_MS = 100;

/**
 * The sandbox's own twin of the process watchdog (watchdog.ts) for work a
 * handler leaves running after its answer (timers, promise chains): a
 * quickjs-wasm worker has no process to watch from outside, but every entry
 * into its engine is timed, so the same rules are kept from inside, exactly.
 *
 * - Engine time is added up over a busy stretch, from the first invocation
 *   after an idle spell until the next such one, so work left running after
 *   an answer counts against the same maxCpu as the invocation itself.
 * - While nothing is in flight, engine time past the latest deadline of the
 *   answered invocations is counted too; beyond a small allowance it is a
 *   breach even with no maxCpu.
 *
 * In-flight invocations are held to their own cpuMs and deadline by the
 * interrupt handler; this meter judges only code that no invocation in
 * flight owns.
 */
export class LeftoverCpu {
  readonly #maxCpuMs: number;
  #stretchMs = 0;
  #pastDeadlineMs = 0;
  /**
   * Latest deadline of the answered invocations (performance.now() ms;
   * Infinity: one had none). Before the first answer, work (the module's own
   * timers) has no deadline to run past.
   */
  #until = Infinity;
  #anyAnswered = false;

  constructor(maxCpuMs: number) {
    this.#maxCpuMs = maxCpuMs;
  }

  /** An invocation arrives; `first`: nothing else is in flight (a new busy stretch). */
  started(first: boolean): void {
    if (!first) return;
    this.#stretchMs = 0;
    this.#pastDeadlineMs = 0;
  }

  /** An invocation was answered; `deadline` is its performance.now() deadline, 0 for none. */
  answered(deadline: number): void {
    const until = deadline === 0 ? Infinity : deadline;
    this.#until = this.#anyAnswered ? Math.max(this.#until, until) : until;
    this.#anyAnswered = true;
  }

  /** An entry into the engine from `from` to `to` ended; `idle`: no invocation was in flight. */
  add(from: number, to: number, idle: boolean): void {
    this.#stretchMs += to - from;
    if (idle && to > this.#until) this.#pastDeadlineMs += to - Math.max(from, this.#until);
  }

  /**
   * Whether leftover work broke a limit, counting an entry still running
   * since `enteredAt` (0: none). Returns the finding and its detail, the
   * watchdog's words, or undefined.
   */
  check(now: number, enteredAt: number, idle: boolean): { finding: WatcherFinding; detail: string } | undefined {
    const running = enteredAt > 0 ? now - enteredAt : 0;
    const used = this.#stretchMs + running;
    if (this.#maxCpuMs > 0 && used > this.#maxCpuMs) return { finding: 'cpu', detail: `${Math.round(used)} ms used` };
    const past = this.#pastDeadlineMs + (idle && enteredAt > 0 && now > this.#until ? now - Math.max(enteredAt, this.#until) : 0);
    if (past > PAST_DEADLINE_ALLOWANCE_MS) {
      return { finding: 'past-deadline', detail: `${Math.round(past)} ms of CPU used past the deadline of everything it was given` };
    }
    return undefined;
  }
}
