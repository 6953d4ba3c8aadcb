// TextEncoder / TextDecoder (UTF-8 only, as the Encoding Standard's
// TextEncoder is; TextDecoder accepts the UTF-8 labels).
import { native } from './native.js';

const { utf8Encode, utf8Decode } = native;
const LABELS = ['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8'];

function toBytes(input) {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError("Failed to execute 'decode' on 'TextDecoder': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'");
}

// Length of an incomplete UTF-8 sequence at the end of bytes (0 if none).
function incompleteTail(bytes) {
  const n = bytes.length;
  for (let i = 1; i <= 3 && i <= n; i++) {
    const b = bytes[n - i];
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > i ? i : 0;
  }
  return 0;
}

export class TextEncoder {
  get encoding() {
    return 'utf-8';
  }
  encode(input = '') {
    return utf8Encode(String(input));
  }
  encodeInto(source, destination) {
    const bytes = utf8Encode(String(source));
    let n = Math.min(bytes.length, destination.length);
    while (n > 0 && n < bytes.length && (bytes[n] & 0xc0) === 0x80) n--;
    destination.set(bytes.subarray(0, n));
    return { read: utf8Decode(bytes.subarray(0, n), false).length, written: n };
  }
  get [Symbol.toStringTag]() {
    return 'TextEncoder';
  }
}

export class TextDecoder {
  #fatal;
  #ignoreBOM;
  #pending = null;
  #bomSeen = false;

  constructor(label = 'utf-8', options = undefined) {
    const l = String(label).trim().toLowerCase();
    if (!LABELS.includes(l)) throw new RangeError(`Failed to construct 'TextDecoder': The encoding label provided ('${label}') is invalid or not supported (only utf-8 is).`);
    this.#fatal = Boolean(options?.fatal);
    this.#ignoreBOM = Boolean(options?.ignoreBOM);
  }
  get encoding() {
    return 'utf-8';
  }
  get fatal() {
    return this.#fatal;
  }
  get ignoreBOM() {
    return this.#ignoreBOM;
  }
  decode(input = undefined, options = undefined) {
    let bytes = toBytes(input);
    if (this.#pending) {
      const joined = new Uint8Array(this.#pending.length + bytes.length);
      joined.set(this.#pending);
      joined.set(bytes, this.#pending.length);
      bytes = joined;
      this.#pending = null;
    }
    if (options?.stream) {
      const tail = incompleteTail(bytes);
      if (tail) {
        this.#pending = bytes.slice(bytes.length - tail);
        bytes = bytes.subarray(0, bytes.length - tail);
      }
    }
    let text = utf8Decode(bytes, this.#fatal);
    if (!this.#ignoreBOM && !this.#bomSeen && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.#bomSeen = true;
    }
    if (!options?.stream) this.#bomSeen = false;
    return text;
  }
  get [Symbol.toStringTag]() {
    return 'TextDecoder';
  }
}
