/** The longest a handler may run past its deadline before its worker is killed. */
const MAX_OVERRUN_GRACE_MS = 1000;

/**
 * How long a handler whose deadline passed may take to stop before its worker
 * is killed: the whole timeout for short ones, at most one second. Its caller
 * has its TIMEOUT already; the grace only decides whether the worker survives.
 */
export function overrunGraceMs(deadlineMs: number): number {
  return Math.min(MAX_OVERRUN_GRACE_MS, Math.max(1, deadlineMs));
}
