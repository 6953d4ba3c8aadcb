// Bodies as streams. The worker's bodies are buffered; a stream made from
// buffered bytes remembers them, so `new Response(request.body)` stays a
// copy-free, synchronous hand-over. Streams written by the handler are read
// to the end when the body is needed.
import { native } from './native.js';
import { isReadableStream, loadStreams } from './lazy-streams.js';

const { utf8Encode } = native;
const buffered = new WeakMap();

export function bytesStream(bytes, onRead = undefined) {
  const { ReadableStream } = loadStreams();
  const stream = new ReadableStream({
    pull(controller) {
      buffered.delete(stream);
      onRead?.();
      if (bytes.length) controller.enqueue(bytes);
      controller.close();
    },
  });
  buffered.set(stream, bytes);
  return stream;
}

export { isReadableStream };

// The bytes behind a stream this module made and nobody has read yet.
export function bufferedBytes(stream) {
  return stream.locked ? undefined : buffered.get(stream);
}

// More bytes than the reader of a body wanted: the stream was cancelled there.
export class BodyTooLarge extends RangeError {
  constructor(size, limit) {
    super(`The response body has more than ${limit} bytes (limits.maxBodyBytes); reading stopped at ${size}.`);
    this.name = 'RangeError';
  }
}

export async function readAll(stream, limit = Infinity) {
  if (stream.locked) throw new TypeError('ReadableStream is locked (already being read)');
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    let chunk;
    if (value instanceof Uint8Array) chunk = value;
    else if (ArrayBuffer.isView(value)) chunk = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    else if (value instanceof ArrayBuffer) chunk = new Uint8Array(value);
    else if (typeof value === 'string') chunk = utf8Encode(value);
    else throw new TypeError('A body stream must produce Uint8Array chunks');
    chunks.push(chunk);
    size += chunk.length;
    if (size > limit) {
      // An endless or huge stream ends here, not at maxMemory.
      reader.cancel().catch(() => {});
      throw new BodyTooLarge(size, limit);
    }
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
