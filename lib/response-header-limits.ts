/**
 * How large the headers of a handler's response may be. One rule for the three
 * runtimes: the Bun entry and the QuickJS prelude (both bundled from here) check
 * it in the worker before the answer is sent, so 200,000 headers or a 20 MB
 * header value never reach the host, where parsing them cost seconds of host
 * CPU and ~100 MB. Node's HTTP server reads at most 2,000 header fields; 256 KiB
 * is sixteen times Node's default header size and far beyond any proxy's buffer.
 */

/** Most header fields (repeats such as several `set-cookie` count one each) a response may carry. */
export const MAX_RESPONSE_HEADERS = 2000;

/** Most characters all names and values of a response's headers may add up to. */
export const MAX_RESPONSE_HEADER_BYTES = 256 * 1024;

/**
 * Why these headers may not leave the worker, or undefined when they may. It
 * reads lengths only, and stops at the first field over a limit: a hostile list
 * costs no more than the limit to refuse. The caller fails the invocation with
 * `RESPONSE_TOO_LARGE` and this text.
 */
export function responseHeadersProblem(list: readonly (readonly [string, string])[]): string | undefined {
  if (list.length > MAX_RESPONSE_HEADERS) {
    return `The response has ${list.length} header fields, more than the ${MAX_RESPONSE_HEADERS} a response may carry.`;
  }
  let total = 0;
  for (const [name, value] of list) {
    total += name.length + value.length;
    if (total > MAX_RESPONSE_HEADER_BYTES) {
      return `The response's header names and values add up to more than ${MAX_RESPONSE_HEADER_BYTES} characters (reached at '${name.slice(0, 64)}'), the most a response may carry.`;
    }
  }
  return undefined;
}
