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

/** Most characters the status text and all names and values of a response's headers may add up to. */
export const MAX_RESPONSE_HEADER_BYTES = 256 * 1024;

/**
 * An HTTP reason phrase (RFC 9110): tab, space, visible ASCII and obs-text.
 * The QuickJS prelude's Response constructor refuses any other statusText;
 * the Bun entry checks Bun's Response, which lets CR and LF through, before
 * the answer is sent.
 */
export const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Why this response head may not leave the worker, or undefined when it may.
 * The status text counts with the header names and values. It reads lengths
 * only, and stops at the first field over a limit: a hostile list costs no
 * more than the limit to refuse. The caller fails the invocation with
 * `RESPONSE_TOO_LARGE` and this text.
 */
export function responseHeadersProblem(list: readonly (readonly [string, string])[], statusText = ''): string | undefined {
  if (list.length > MAX_RESPONSE_HEADERS) {
    return `The response has ${list.length} header fields, more than the ${MAX_RESPONSE_HEADERS} a response may carry.`;
  }
  // An indexed loop, and the field's name only for the message: this runs for
  // every response (the iterator protocol and a string per field were most
  // of a hello's header check in QuickJS).
  let total = statusText.length;
  let added = 0;
  while (added < list.length && total <= MAX_RESPONSE_HEADER_BYTES) {
    const field = list[added++] as readonly [string, string];
    total += field[0].length + field[1].length;
  }
  if (total > MAX_RESPONSE_HEADER_BYTES) {
    const at = added === 0 ? 'its status text' : `'${(list[added - 1] as readonly [string, string])[0].slice(0, 64)}'`;
    return `The response's status text, header names and values add up to more than ${MAX_RESPONSE_HEADER_BYTES} characters (reached at ${at}), the most a response may carry.`;
  }
  return undefined;
}
