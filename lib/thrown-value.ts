/**
 * What a handler threw, read so that reading it cannot fail and cannot grow
 * without bound. A handler controls the value: a getter or proxy trap that
 * throws, a `message` that is an object, a 60 MB stack. Reading such a value
 * threw inside the worker's own catch, and the invocation was never answered
 * (TIMEOUT at its deadline); an object message broke the protocol; a huge one
 * made the worker build a message line beyond its memory. Used by the Bun entry
 * and the quickjs-wasm binding (bundled into both); the native worker keeps the
 * same bound in C (QW_MAX_ERROR_TEXT, pinned by test/unit/error-text-limit.test.ts).
 */

/** Most characters of an error's name, message or stack that leave the worker. */
export const MAX_ERROR_TEXT = 64 * 1024;

export interface ThrownInfo {
  name: string;
  message: string;
  stack: string | undefined;
}

/** `text` cut to MAX_ERROR_TEXT characters, saying how much was cut. */
export function boundedText(text: string): string {
  if (text.length <= MAX_ERROR_TEXT) return text;
  return `${text.slice(0, MAX_ERROR_TEXT)}… [truncated: ${text.length - MAX_ERROR_TEXT} more characters]`;
}

/** A field of the thrown value as text, or undefined when it is not a string or reading it throws. */
function field(value: object, key: 'name' | 'message' | 'stack'): string | undefined {
  try {
    const v: unknown = (value as Record<string, unknown>)[key];
    return typeof v === 'string' ? boundedText(v) : undefined;
  } catch {
    return undefined;
  }
}

function printed(value: unknown): string {
  try {
    return boundedText(String(value));
  } catch {
    return '(unprintable exception)';
  }
}

/**
 * Name, message and stack of a thrown value. An object's own fields are used
 * when they are strings; otherwise the value printed, or "(unprintable
 * exception)" when even printing it throws.
 */
export function describeThrown(error: unknown): ThrownInfo {
  if (error === null || (typeof error !== 'object' && typeof error !== 'function')) {
    return { name: 'NonErrorThrown', message: printed(error), stack: undefined };
  }
  let isError = false;
  try {
    isError = error instanceof Error;
  } catch {
    // A proxy whose getPrototypeOf trap throws.
  }
  const name = field(error, 'name') ?? (isError ? 'Error' : 'NonErrorThrown');
  const message = field(error, 'message') ?? printed(error);
  let stack = field(error, 'stack');
  // QuickJS stacks hold only the frames; lead with "Name: message" as V8 does.
  if (stack !== undefined && stack.startsWith('    at ')) stack = `${name}: ${message}\n${stack}`;
  return { name, message, stack };
}

/** True when the thrown value's `code` says CAPABILITY_DENIED (a refusal the handler passed on); reading it may throw, which says no. */
export function isCapabilityDenied(error: unknown): boolean {
  try {
    return error !== null && typeof error === 'object' && (error as { code?: unknown }).code === 'CAPABILITY_DENIED';
  } catch {
    return false;
  }
}
