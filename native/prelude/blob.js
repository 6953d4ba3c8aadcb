// Blob and File over one Uint8Array (bodies are buffered anyway).
import { native } from './native.js';
import { bytesStream } from './stream.js';

const { utf8Encode, utf8Decode } = native;

export let blobBytes;

export class Blob {
  #bytes;
  #type;

  static {
    blobBytes = (b) => b.#bytes;
  }

  constructor(parts = [], options = undefined) {
    const chunks = [];
    let size = 0;
    for (const part of parts) {
      let bytes;
      if (part instanceof Blob) bytes = part.#bytes;
      else if (part instanceof ArrayBuffer) bytes = new Uint8Array(part);
      else if (ArrayBuffer.isView(part)) bytes = new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
      else bytes = utf8Encode(String(part));
      chunks.push(bytes);
      size += bytes.length;
    }
    this.#bytes = new Uint8Array(size);
    let offset = 0;
    for (const c of chunks) {
      this.#bytes.set(c, offset);
      offset += c.length;
    }
    const type = options?.type === undefined ? '' : String(options.type);
    this.#type = /^[\x20-\x7e]*$/.test(type) ? type.toLowerCase() : '';
  }

  get size() {
    return this.#bytes.length;
  }
  get type() {
    return this.#type;
  }
  async text() {
    return utf8Decode(this.#bytes, false);
  }
  async arrayBuffer() {
    return this.#bytes.slice().buffer;
  }
  async bytes() {
    return this.#bytes.slice();
  }
  slice(start = 0, end = this.size, type = '') {
    return new Blob([this.#bytes.slice(start, end)], { type });
  }
  stream() {
    return bytesStream(this.#bytes.slice());
  }
  get [Symbol.toStringTag]() {
    return 'Blob';
  }
}

export class File extends Blob {
  #name;
  #lastModified;

  constructor(bits, name, options = undefined) {
    super(bits, options);
    this.#name = String(name);
    this.#lastModified = options?.lastModified === undefined ? Date.now() : Number(options.lastModified);
  }
  get name() {
    return this.#name;
  }
  get lastModified() {
    return this.#lastModified;
  }
  get [Symbol.toStringTag]() {
    return 'File';
  }
}
