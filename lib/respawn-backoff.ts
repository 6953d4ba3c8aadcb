import type { FunctionsError } from './errors.js';

const BASE_DELAY_MS = 50;
const MAX_DELAY_MS = 5000;
/** Start failures in a row after which waiting work is failed rather than kept for another attempt. */
const MAX_ATTEMPTS = 5;
/**
 * Failures that fail waiting work at once: the next attempt would only repeat
 * them, or (RESOURCE_EXHAUSTED) the host is out of room and a clear refusal
 * beats holding callers until room frees up.
 */
const FAIL_AT_ONCE = new Set([
  'BUNDLE_LOAD_ERROR',
  'SANDBOX_UNAVAILABLE',
  'INVALID_OPTIONS',
  'INVALID_CAPABILITIES',
  'RUNTIME_UNAVAILABLE',
  'RESOURCE_EXHAUSTED',
]);

/**
 * Spacing between worker start attempts after failures, so a worker that
 * cannot start is not respawned in a tight loop. While the timer runs the
 * pool starts nothing; when it fires the pool tries again, whatever the count.
 */
export class RespawnBackoff {
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;

  /** True while start attempts are held back. */
  get waiting(): boolean {
    return this.#timer !== undefined;
  }

  /** A worker started: the next failure starts over from the shortest delay. */
  succeeded(): void {
    this.#failures = 0;
  }

  /**
   * Records a failed start and holds attempts back for a while, then calls
   * `retry`. `keepAlive` keeps the host process up for the retry (work is waiting).
   */
  failed(retry: () => void, keepAlive: boolean): void {
    this.#failures++;
    if (this.#timer !== undefined) return;
    const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** this.#failures);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      retry();
    }, delay);
    if (!keepAlive) this.#timer.unref();
  }

  /**
   * Whether work waiting for a worker should be failed with `error` now
   * rather than wait for the next attempt: see FAIL_AT_ONCE, or it has
   * happened MAX_ATTEMPTS times in a row.
   */
  persistent(error: FunctionsError): boolean {
    return FAIL_AT_ONCE.has(error.code) || this.#failures >= MAX_ATTEMPTS;
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
