/**
 * A handler's response body, read into memory up to maxBodyBytes. A body
 * built from a ReadableStream (or an async iterable) may never end: it is
 * read chunk by chunk and cancelled past the limit, so an endless stream is
 * RESPONSE_TOO_LARGE rather than an out-of-memory error. Every other body
 * (a string, bytes, a Blob, JSON) already sits in memory at its full size,
 * and `arrayBuffer()` takes it several times faster than a reader would.
 */

/** Responses whose body the handler gave as a stream (or something Bun reads like one). */
const streamed = new WeakSet<Response>();

function isStreamLike(body: unknown): boolean {
  if (body === null || typeof body !== 'object') return false;
  if (body instanceof ReadableStream) return true;
  return Symbol.asyncIterator in body && !(body instanceof Blob) && !ArrayBuffer.isView(body);
}

/**
 * Notes which responses get a stream body: the global `Response` becomes a
 * proxy of itself (same prototype, statics and `instanceof`), and `clone()`
 * passes the note on. A text body also gets its standard content type here.
 */
export function trackStreamedResponses(): void {
  const Original = globalThis.Response;
  const tracked = new Proxy(Original, {
    construct(target, args: unknown[], newTarget: () => unknown) {
      const response = Reflect.construct(target, args, newTarget) as Response;
      if (isStreamLike(args[0])) streamed.add(response);
      // The Fetch standard's type for a text body, which Bun leaves out (the QuickJS runtimes and Node set it).
      else if (typeof args[0] === 'string' && !response.headers.has('content-type')) response.headers.set('content-type', 'text/plain;charset=UTF-8');
      return response;
    },
  });
  const clone = Original.prototype.clone;
  // Bun's clone is writable but not configurable: assigned, not redefined.
  Original.prototype.clone = function cloneTracked(this: Response): Response {
    const copy = clone.call(this);
    if (streamed.has(this)) streamed.add(copy);
    return copy;
  };
  globalThis.Response = tracked;
}

const encoder = new TextEncoder();

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (typeof value === 'string') return encoder.encode(value);
  throw new TypeError('A response body stream must produce Uint8Array chunks');
}

/** The body's bytes, or how many bytes had been read when it passed `limit`. */
export async function readResponseBytes(response: Response, limit: number): Promise<{ bytes: Uint8Array } | { stoppedAt: number }> {
  if (!streamed.has(response) || response.body === null) return { bytes: new Uint8Array(await response.arrayBuffer()) };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = toBytes(value);
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size > limit) {
      reader.cancel().catch(() => {});
      return { stoppedAt: size };
    }
  }
  if (chunks.length === 1) return { bytes: chunks[0] as Uint8Array };
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { bytes };
}
