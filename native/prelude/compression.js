// Bundled separately (see lazy-compression.js): CompressionStream and
// DecompressionStream (the Compression Streams standard: gzip, deflate,
// deflate-raw) over pako, zlib ported to JavaScript, driven at zlib's own
// level so that the standard's errors hold: a corrupt stream, a wrong
// checksum, data after the end and a truncated stream are TypeErrors.
import {
  ZStream,
  zlibDeflate,
  zlibDeflateEnd,
  zlibDeflateInit2,
  zlibInflate,
  zlibInflateEnd,
  zlibInflateInit2,
  Z_BUF_ERROR,
  Z_DEFAULT_STRATEGY,
  Z_FINISH,
  Z_NO_FLUSH,
  Z_OK,
  Z_STREAM_END,
} from 'pako';

// zlib's windowBits: 15 is the zlib wrapper, -15 none, 15 + 16 gzip.
const WINDOW_BITS = { deflate: 15, 'deflate-raw': -15, gzip: 31 };
const CHUNK = 64 * 1024;

function formatOf(format, what) {
  const name = String(format);
  if (!Object.hasOwn(WINDOW_BITS, name)) {
    throw new TypeError(`Failed to construct '${what}': The provided value '${name}' is not a valid enum value of type CompressionFormat.`);
  }
  return name;
}

// A chunk must be a BufferSource (not shared memory); its bytes are copied
// because zlib reads the input over several calls.
function bytesOf(chunk) {
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk.slice(0));
  if (ArrayBuffer.isView(chunk) && chunk.buffer instanceof ArrayBuffer) {
    return new Uint8Array(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength));
  }
  throw new TypeError('The chunk is not a BufferSource (an ArrayBuffer or an ArrayBufferView).');
}

// Runs `step` (zlibDeflate or zlibInflate) over `input` until it needs
// more input or ends, enqueuing every filled output buffer. Returns zlib's
// last status.
function run(strm, step, input, flush, enqueue) {
  strm.input = input;
  strm.next_in = 0;
  strm.avail_in = input.length;
  for (;;) {
    strm.output = new Uint8Array(CHUNK);
    strm.next_out = 0;
    strm.avail_out = CHUNK;
    const status = step(strm, flush);
    if (strm.next_out > 0) enqueue(strm.output.subarray(0, strm.next_out));
    if (status === Z_STREAM_END) return status;
    if (status !== Z_OK && status !== Z_BUF_ERROR) return status;
    // A full buffer means there may be more output for the same input.
    if (strm.avail_out === 0) continue;
    if (strm.avail_in === 0 || status === Z_BUF_ERROR) return status;
  }
}

class Compressor {
  #strm = new ZStream();

  constructor(format) {
    if (zlibDeflateInit2(this.#strm, 6, 8, WINDOW_BITS[format], 8, Z_DEFAULT_STRATEGY) !== Z_OK) throw new TypeError('zlib failed to start');
  }
  transform(chunk, controller) {
    const input = bytesOf(chunk);
    if (input.length === 0) return;
    run(this.#strm, zlibDeflate, input, Z_NO_FLUSH, (bytes) => controller.enqueue(bytes));
  }
  flush(controller) {
    run(this.#strm, zlibDeflate, new Uint8Array(0), Z_FINISH, (bytes) => controller.enqueue(bytes));
    zlibDeflateEnd(this.#strm);
  }
}

class Decompressor {
  #strm = new ZStream();
  #ended = false;
  #failed = false;

  constructor(format) {
    if (zlibInflateInit2(this.#strm, WINDOW_BITS[format]) !== Z_OK) throw new TypeError('zlib failed to start');
  }
  #fail(message) {
    this.#failed = true;
    zlibInflateEnd(this.#strm);
    return new TypeError(`Failed to decompress: ${message}`);
  }
  transform(chunk, controller) {
    const input = bytesOf(chunk);
    if (input.length === 0) return;
    if (this.#ended) throw this.#fail('data after the end of the compressed stream');
    const status = run(this.#strm, zlibInflate, input, Z_NO_FLUSH, (bytes) => controller.enqueue(bytes));
    if (status === Z_STREAM_END) {
      this.#ended = true;
      if (this.#strm.avail_in > 0) throw this.#fail('data after the end of the compressed stream');
      zlibInflateEnd(this.#strm);
    } else if (status !== Z_OK && status !== Z_BUF_ERROR) {
      throw this.#fail(this.#strm.msg || 'the compressed data is corrupt');
    }
  }
  flush() {
    if (!this.#ended && !this.#failed) throw this.#fail('the compressed stream ended early');
  }
}

function transformStream(transformer) {
  return new globalThis.TransformStream({
    transform: (chunk, controller) => transformer.transform(chunk, controller),
    flush: (controller) => transformer.flush(controller),
  });
}

export class CompressionStream {
  #stream;

  constructor(format) {
    if (arguments.length < 1) throw new TypeError("Failed to construct 'CompressionStream': 1 argument required, but only 0 present.");
    this.#stream = transformStream(new Compressor(formatOf(format, 'CompressionStream')));
  }
  get readable() {
    return this.#stream.readable;
  }
  get writable() {
    return this.#stream.writable;
  }
}

export class DecompressionStream {
  #stream;

  constructor(format) {
    if (arguments.length < 1) throw new TypeError("Failed to construct 'DecompressionStream': 1 argument required, but only 0 present.");
    this.#stream = transformStream(new Decompressor(formatOf(format, 'DecompressionStream')));
  }
  get readable() {
    return this.#stream.readable;
  }
  get writable() {
    return this.#stream.writable;
  }
}

for (const C of [CompressionStream, DecompressionStream]) {
  Object.defineProperty(C.prototype, Symbol.toStringTag, { value: C.name, configurable: true });
}

globalThis.__qw_compression = { CompressionStream, DecompressionStream };
