import { BodyTooLargeError, InvalidRequestError } from './errors.js';
import type { InvokeRequest } from './request.js';

/** What `invoke()` takes: the plain request object, or a Web API `Request`. */
export type InvokeInput = InvokeRequest | Request;

/**
 * A Web API Request, told by its tag rather than `instanceof Request`: in
 * Node the first read of the global `Request` loads the fetch implementation
 * (tens of ms), which every process's first invoke() would pay.
 */
export function isWebRequest(value: object): value is Request {
  return Object.prototype.toString.call(value) === '[object Request]';
}

/** A body of the Fetch API's kinds that `normalizeRequest` does not read itself. */
function isWebBody(body: unknown): boolean {
  return (
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof ReadableStream ||
    body instanceof FormData ||
    body instanceof URLSearchParams
  );
}

/**
 * True when `request` must be read before it can be sent: a Web `Request`,
 * or a plain request whose body is a stream, Blob, FormData,
 * URLSearchParams or a typed-array view other than Uint8Array. The common
 * cases (string, Uint8Array, ArrayBuffer, no body) stay on the synchronous path.
 */
export function needsReading(request: unknown): boolean {
  if (typeof request !== 'object' || request === null) return false;
  if (isWebRequest(request)) return true;
  const body = (request as { body?: unknown }).body;
  return body != null && !(body instanceof Uint8Array) && !(body instanceof ArrayBuffer) && isWebBody(body);
}

/**
 * The plain request for `input`, its body read into bytes (at most
 * `maxBodyBytes`: a stream is read no further, and cancelled, once it is over).
 * A body whose kind implies a content type (FormData's multipart boundary,
 * URLSearchParams, a typed Blob) gets that `content-type` unless the request
 * names one. Rejects with `BODY_TOO_LARGE` or `INVALID_REQUEST`.
 */
export async function readRequest(input: InvokeInput, maxBodyBytes: number): Promise<InvokeRequest> {
  // Only what needsReading() picked comes here.
  if (isWebRequest(input)) {
    if (input.bodyUsed) throw new InvalidRequestError('The Request body was already read');
    return {
      method: input.method,
      url: input.url,
      headers: [...input.headers],
      body: input.body === null ? null : await readCapped(input.body, maxBodyBytes),
    };
  }
  const body = input.body as unknown;
  if (ArrayBuffer.isView(body)) {
    return { ...input, body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
  }
  let wrapped: Response;
  try {
    wrapped = new Response(body as BodyInit);
  } catch (error) {
    // A stream that is locked, or was read already.
    throw unreadable(error);
  }
  const type = wrapped.headers.get('content-type');
  const bytes = wrapped.body === null ? null : await readCapped(wrapped.body, maxBodyBytes);
  const plain: InvokeRequest = { ...input, body: bytes };
  if (type !== null) plain.headers = withContentType(input.headers, type);
  return plain;
}

function withContentType(headers: InvokeRequest['headers'], type: string): NonNullable<InvokeRequest['headers']> {
  let list: [string, string][];
  try {
    list = [...new Headers(headers as HeadersInit | undefined)];
  } catch {
    return headers ?? []; // normalizeRequest names what is wrong with them.
  }
  if (!list.some(([name]) => name === 'content-type')) list.push(['content-type', type]);
  return list;
}

function unreadable(error: unknown): InvalidRequestError {
  return new InvalidRequestError(`The request body could not be read: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}

async function readCapped(stream: ReadableStream<Uint8Array>, maxBodyBytes: number): Promise<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = stream.getReader();
  } catch (error) {
    throw unreadable(error);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) throw new TypeError(`a chunk of the body is not bytes (${typeof value})`);
      total += value.byteLength;
      if (total > maxBodyBytes) {
        void reader.cancel().catch(() => undefined);
        throw new BodyTooLargeError(`The request body is more than ${maxBodyBytes} bytes; the limit is ${maxBodyBytes} (maxBodyBytes option)`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw error;
    throw unreadable(error);
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
