import type { IncomingMessage } from 'node:http';
import { FetchBufferLimitError, ResponseTooLargeError } from '../errors.js';

/**
 * Buffers a response body, aborting as soon as it exceeds `maxBytes` (also
 * up front when `content-length` already says so): a hostile server cannot
 * make the host buffer more than the limit.
 */
export function readBody(
  response: IncomingMessage,
  maxBytes: number,
  signal: AbortSignal,
  target: string,
  /** False for HEAD, 204 and 304, whose content-length describes a body that is not sent. */
  bodyExpected = true,
  /** Counts received bytes against a budget shared with other fetches; false stops the read. */
  charge?: (bytes: number) => boolean,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): ResponseTooLargeError =>
      new ResponseTooLargeError(
        `The response from ${target} is larger than the ${maxBytes}-byte limit; raise the response body limit or fetch less.`,
      );
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error: unknown, body?: Uint8Array): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error === undefined && body !== undefined) resolve(body);
      else {
        response.destroy();
        reject(error);
      }
    };
    const onAbort = (): void => finish(signal.reason);
    if (signal.aborted) return finish(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });

    const declared = Number(response.headers['content-length']);
    if (bodyExpected && Number.isFinite(declared) && declared > maxBytes) return finish(tooLarge());

    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) finish(tooLarge());
      else if (charge !== undefined && !charge(chunk.length)) {
        finish(
          new FetchBufferLimitError(
            `The response from ${target} would take this invocation's fetches over the bytes the host holds for them (hostFetch.maxBufferedBytes); fetch less at a time.`,
          ),
        );
      } else chunks.push(chunk);
    });
    response.on('end', () => {
      const body = Buffer.concat(chunks, size);
      finish(undefined, new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    });
    response.on('error', (error) => finish(new TypeError(`fetch failed: ${error.message}`, { cause: error })));
    response.on('close', () => {
      if (!response.complete) finish(new TypeError(`fetch failed: the response from ${target} ended early`));
    });
  });
}
