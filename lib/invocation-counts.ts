import type { ErrorCode } from './errors.js';

/**
 * What `stats().invocations` reports. Every call `invoke()` settles is
 * counted here exactly once, refusals (`QUEUE_FULL`, `POOL_CLOSED`, a bad
 * request, a pre-aborted signal) included: `total` is `succeeded + failed`
 * and `byCode` sums to `failed`.
 */
export class InvocationCounts {
  succeeded = 0;
  failed = 0;
  readonly #byCode: Partial<Record<ErrorCode, number>> = {};

  succeed(): void {
    this.succeeded++;
  }

  fail(code: ErrorCode): void {
    this.failed++;
    this.#byCode[code] = (this.#byCode[code] ?? 0) + 1;
  }

  snapshot(): { total: number; succeeded: number; failed: number; byCode: Partial<Record<ErrorCode, number>> } {
    return { total: this.succeeded + this.failed, succeeded: this.succeeded, failed: this.failed, byCode: { ...this.#byCode } };
  }
}
