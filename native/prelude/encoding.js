// TextEncoder / TextDecoder after the Encoding Standard. TextEncoder is
// UTF-8 only (as the standard has it); TextDecoder knows UTF-8 (in C, with
// the standard's replacement rules), UTF-16LE/BE, windows-1252 (which the
// standard also calls latin1, ascii and iso-8859-1) and x-user-defined here,
// and every other encoding of the standard through a lazily loaded part
// (legacy-encodings.js) on first use of one of their labels.
import { native } from './native.js';
import { LABELS } from './encoding-labels.js';
import { loadLegacyEncodings } from './lazy-legacy-encodings.js';

const { utf8Encode, utf8Decode } = native;

function toBytes(input) {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (typeof SharedArrayBuffer === 'function' && input instanceof SharedArrayBuffer) return new Uint8Array(input);
  throw new TypeError("Failed to execute 'decode' on 'TextDecoder': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'");
}

function concat(a, b) {
  if (!a) return b;
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

function invalid(name) {
  return new TypeError(`The encoded data was not valid for encoding ${name}`);
}

// Length of the bytes at the end that start a UTF-8 sequence the standard's
// decoder would still wait on (its lower/upper boundaries for the second
// byte included), 0 if none.
function utf8PendingTail(bytes) {
  const n = bytes.length;
  for (let i = 1; i <= 3 && i <= n; i++) {
    const lead = bytes[n - i];
    if ((lead & 0xc0) === 0x80) continue;
    const need = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (need <= i) return 0;
    if (i >= 2) {
      const second = bytes[n - i + 1];
      const lower = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
      const upper = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
      if (second < lower || second > upper) return 0;
    }
    return i;
  }
  return 0;
}

class Utf8Decoder {
  #pending = null;
  decode(bytes, fatal, stream) {
    bytes = concat(this.#pending, bytes);
    this.#pending = null;
    if (stream) {
      const tail = utf8PendingTail(bytes);
      if (tail) {
        this.#pending = bytes.slice(bytes.length - tail);
        bytes = bytes.subarray(0, bytes.length - tail);
      }
    }
    return utf8Decode(bytes, fatal);
  }
}

class Utf16Decoder {
  #big;
  #name;
  #byte = -1;
  #lead = -1;
  constructor(big, name) {
    this.#big = big;
    this.#name = name;
  }
  decode(bytes, fatal, stream) {
    let out = '';
    let units = [];
    const flush = () => {
      out += String.fromCharCode.apply(null, units);
      units = [];
    };
    const bad = () => {
      if (fatal) throw invalid(this.#name);
      units.push(0xfffd);
    };
    for (let i = 0; i < bytes.length; i++) {
      if (this.#byte < 0) {
        this.#byte = bytes[i];
        continue;
      }
      const unit = this.#big ? (this.#byte << 8) | bytes[i] : (bytes[i] << 8) | this.#byte;
      this.#byte = -1;
      if (this.#lead >= 0) {
        const lead = this.#lead;
        this.#lead = -1;
        if (unit >= 0xdc00 && unit <= 0xdfff) {
          units.push(lead, unit);
          continue;
        }
        bad();
      }
      if (unit >= 0xd800 && unit <= 0xdbff) this.#lead = unit;
      else if (unit >= 0xdc00 && unit <= 0xdfff) bad();
      else units.push(unit);
      if (units.length > 8192) flush();
    }
    if (!stream && (this.#byte >= 0 || this.#lead >= 0)) {
      this.#byte = -1;
      this.#lead = -1;
      bad();
    }
    flush();
    return out;
  }
}

// windows-1252 differs from Latin-1 only in 0x80-0x9F.
const CP1252 = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d,
  0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

// A single-byte decoder from the code points of bytes 0x80-0xFF (0xFFFD
// where the standard's index has none).
class SingleByteDecoder {
  #high;
  #name;
  constructor(high, name) {
    this.#high = high;
    this.#name = name;
  }
  decode(bytes, fatal) {
    let out = '';
    const units = new Array(Math.min(bytes.length, 8192));
    for (let start = 0; start < bytes.length; start += 8192) {
      const end = Math.min(bytes.length, start + 8192);
      units.length = end - start;
      for (let i = start; i < end; i++) {
        const b = bytes[i];
        const c = b < 0x80 ? b : this.#high[b - 0x80];
        if (c === 0xfffd && fatal) throw invalid(this.#name);
        units[i - start] = c;
      }
      out += String.fromCharCode.apply(null, units);
    }
    return out;
  }
}

const LATIN1_HIGH = Array.from({ length: 128 }, (_, i) => (i < 32 ? CP1252[i] : 0x80 + i));
const USER_DEFINED_HIGH = Array.from({ length: 128 }, (_, i) => 0xf780 + i);

function createDecoder(name) {
  switch (name) {
    case 'utf-8':
      return new Utf8Decoder();
    case 'utf-16le':
      return new Utf16Decoder(false, name);
    case 'utf-16be':
      return new Utf16Decoder(true, name);
    case 'windows-1252':
      return new SingleByteDecoder(LATIN1_HIGH, name);
    case 'x-user-defined':
      return new SingleByteDecoder(USER_DEFINED_HIGH, name);
    default: {
      const legacy = loadLegacyEncodings();
      const high = legacy.highCodePoints(name);
      return high ? new SingleByteDecoder(high, name) : legacy.createDecoder(name);
    }
  }
}

export class TextEncoder {
  get encoding() {
    return 'utf-8';
  }
  encode(input = '') {
    return utf8Encode(String(input));
  }
  encodeInto(source, destination) {
    if (!(destination instanceof Uint8Array)) throw new TypeError("Failed to execute 'encodeInto' on 'TextEncoder': parameter 2 is not of type 'Uint8Array'.");
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

/** The encoding name for a label, or undefined (the standard's "get an encoding"). */
export function encodingForLabel(label) {
  return LABELS.get(String(label).replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '').toLowerCase());
}

export class TextDecoder {
  #name;
  #fatal;
  #ignoreBOM;
  #decoder;
  #bomSeen = false;

  constructor(label = 'utf-8', options = undefined) {
    const name = encodingForLabel(label);
    if (name === undefined || name === 'replacement') {
      throw new RangeError(`Failed to construct 'TextDecoder': The encoding label provided ('${label}') is invalid.`);
    }
    this.#name = name;
    this.#fatal = Boolean(options?.fatal);
    this.#ignoreBOM = Boolean(options?.ignoreBOM);
    this.#decoder = createDecoder(name);
  }
  get encoding() {
    return this.#name;
  }
  get fatal() {
    return this.#fatal;
  }
  get ignoreBOM() {
    return this.#ignoreBOM;
  }
  decode(input = undefined, options = undefined) {
    const stream = Boolean(options?.stream);
    let text;
    try {
      text = this.#decoder.decode(toBytes(input), this.#fatal, stream);
    } catch (e) {
      // A fatal error ends the stream: the next call starts afresh.
      this.#decoder = createDecoder(this.#name);
      this.#bomSeen = false;
      throw e;
    }
    if (!this.#ignoreBOM && !this.#bomSeen && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff && this.#name.startsWith('utf-')) text = text.slice(1);
      this.#bomSeen = true;
    }
    if (!stream) {
      this.#bomSeen = false;
      this.#decoder = createDecoder(this.#name);
    }
    return text;
  }
  get [Symbol.toStringTag]() {
    return 'TextDecoder';
  }
}
