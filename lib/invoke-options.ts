import { InvalidOptionsError } from './errors.js';
import { MAX_TIMER_MS } from './options.js';

/**
 * Why the options of one `invoke()` cannot be used, if they cannot. They
 * come with every call, so they are checked by hand rather than through a
 * schema: a call pays for this with a few comparisons.
 */
export function invokeOptionsError(options: unknown): InvalidOptionsError | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    return new InvalidOptionsError(`invoke() options must be an object such as { timeoutMs: 5000 }, got ${options === null ? 'null' : typeof options}`, [
      { path: '', message: 'must be an object' },
    ]);
  }
  const { timeoutMs, signal } = options as Record<string, unknown>;
  if (timeoutMs !== undefined && !(Number.isSafeInteger(timeoutMs) && (timeoutMs as number) >= 0 && (timeoutMs as number) <= MAX_TIMER_MS)) {
    const message = `must be a whole number of ms from 0 (none) to ${MAX_TIMER_MS} (the longest delay a Node timer takes)`;
    return new InvalidOptionsError(`invoke() options: timeoutMs ${message}, got ${String(timeoutMs)}`, [{ path: 'timeoutMs', message }]);
  }
  // Any AbortSignal-like object (another realm's, a polyfill's) will do: it is listened to, nothing more.
  if (signal !== undefined && !isSignal(signal)) {
    const message = 'must be an AbortSignal';
    return new InvalidOptionsError(`invoke() options: signal ${message}, got ${signal === null ? 'null' : typeof signal}`, [{ path: 'signal', message }]);
  }
  return undefined;
}

function isSignal(value: unknown): value is AbortSignal {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<AbortSignal>;
  return typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function' && typeof s.removeEventListener === 'function';
}
