// Bundled separately (see lazy-compression.js): CompressionStream and
// DecompressionStream (the Compression Streams standard: gzip, deflate,
// deflate-raw) over zlib: C zlib when the binding has it (the native
// worker), else pako, zlib ported to JavaScript (quickjs-wasm). Both are
// driven at zlib's own level so that the standard's errors hold: a corrupt
// stream, a wrong checksum, data after the end and a truncated stream are
// TypeErrors.
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
// more input or ends, collecting every filled output buffer. Returns what the
// native binding's zlibPush returns: [status, unusedInputBytes, message,
// ...chunks], status 0 for "needs more input", 1 for the end of the stream,
// -1 for corrupt data.
function run(strm, step, input, flush) {
  strm.input = input;
  strm.next_in = 0;
  strm.avail_in = input.length;
  const result = [0, 0, undefined];
  for (;;) {
    strm.output = new Uint8Array(CHUNK);
    strm.next_out = 0;
    strm.avail_out = CHUNK;
    const status = step(strm, flush);
    if (strm.next_out > 0) result.push(strm.output.subarray(0, strm.next_out));
    if (status === Z_STREAM_END) {
      result[0] = 1;
      break;
    }
    if (status !== Z_OK && status !== Z_BUF_ERROR) {
      result[0] = -1;
      result[2] = strm.msg || 'the compressed data is corrupt';
      break;
    }
    // A full buffer means there may be more output for the same input.
    if (strm.avail_out === 0) continue;
    if (strm.avail_in === 0 || status === Z_BUF_ERROR) break;
  }
  result[1] = strm.avail_in;
  return result;
}

// zlib in JavaScript, with the native binding's interface; quickjs-wasm's
// binding has no zlib, the native worker links C zlib (native/mod_zlib.c).
const pakoZlib = {
  open(inflate, windowBits) {
    const strm = new ZStream();
    const status = inflate ? zlibInflateInit2(strm, windowBits) : zlibDeflateInit2(strm, 6, 8, windowBits, 8, Z_DEFAULT_STRATEGY);
    if (status !== Z_OK) throw new TypeError('zlib failed to start');
    return { strm, inflate, open: true };
  },
  push(handle, input, finish) {
    const result = handle.inflate ? run(handle.strm, zlibInflate, input, Z_NO_FLUSH) : run(handle.strm, zlibDeflate, input, finish ? Z_FINISH : Z_NO_FLUSH);
    if (result[0] !== 0) pakoZlib.close(handle);
    return result;
  },
  close(handle) {
    if (!handle.open) return;
    handle.open = false;
    if (handle.inflate) zlibInflateEnd(handle.strm);
    else zlibDeflateEnd(handle.strm);
  },
};

let zlib = pakoZlib;

/** Called by the prelude when its binding has zlib (zlibOpen, zlibPush, zlibClose). */
export function useNativeZlib(native) {
  zlib = { open: native.zlibOpen, push: native.zlibPush, close: native.zlibClose };
}

function enqueueAll(result, controller) {
  for (let i = 3; i < result.length; i++) controller.enqueue(result[i]);
}

class Compressor {
  #handle;

  constructor(format) {
    this.#handle = zlib.open(false, WINDOW_BITS[format]);
  }
  transform(chunk, controller) {
    const input = bytesOf(chunk);
    if (input.length === 0) return;
    enqueueAll(zlib.push(this.#handle, input, false), controller);
  }
  flush(controller) {
    enqueueAll(zlib.push(this.#handle, new Uint8Array(0), true), controller);
  }
}

class Decompressor {
  #handle;
  #ended = false;
  #failed = false;

  constructor(format) {
    this.#handle = zlib.open(true, WINDOW_BITS[format]);
  }
  #fail(message) {
    this.#failed = true;
    zlib.close(this.#handle);
    return new TypeError(`Failed to decompress: ${message}`);
  }
  transform(chunk, controller) {
    const input = bytesOf(chunk);
    if (input.length === 0) return;
    if (this.#ended) throw this.#fail('data after the end of the compressed stream');
    const result = zlib.push(this.#handle, input, false);
    enqueueAll(result, controller);
    if (result[0] === 1) {
      this.#ended = true;
      if (result[1] > 0) throw this.#fail('data after the end of the compressed stream');
    } else if (result[0] === -1) {
      throw this.#fail(result[2]);
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

globalThis.__qw_compression = { CompressionStream, DecompressionStream, useNativeZlib };
