// Uint8Array to and from base64 and hex (ES2026: fromBase64, fromHex,
// toBase64, toHex, setFromBase64, setFromHex), which the native worker's
// QuickJS-NG and Bun have and quickjs-wasm's QuickJS-NG (0.12) lacks. Added
// only where the engine has none; test/integration/uint8-base64.test.ts
// holds it to the native worker's answers, errors included.

/** The standard alphabet (RFC 4648), also atob's (guest-binding.js). */
export const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ALPHABETS = { base64: BASE64_ALPHABET, base64url: `${BASE64_ALPHABET.slice(0, 62)}-_` };
const LAST_CHUNK = ['loose', 'strict', 'stop-before-partial'];

/** `encode(bytes)` is the binding's padded standard base64 (the host's encoder, not a loop in the engine). */
export function installUint8Base64(encode) {
  if (typeof Uint8Array.fromBase64 === 'function') return;
  const methods = {
    fromBase64(string, options = undefined) {
      if (typeof string !== 'string') throw new TypeError('Uint8Array.fromBase64 expects a string');
      const { alphabet, lastChunkHandling } = base64Options(options, true);
      const { bytes, error } = decodeBase64(string, alphabet, lastChunkHandling, Infinity);
      if (error) throw error;
      return new Uint8Array(bytes);
    },
    fromHex(string) {
      if (typeof string !== 'string') throw new TypeError('Uint8Array.fromHex expects a string');
      const { bytes, error } = decodeHex(string, Infinity);
      if (error) throw error;
      return new Uint8Array(bytes);
    },
  };
  const protoMethods = {
    toBase64(options = undefined) {
      const bytes = uint8(this, 'toBase64');
      const { alphabet } = base64Options(options, false);
      const omitPadding = options !== undefined && Boolean(options.omitPadding);
      let out = encode(bytes);
      if (alphabet === 'base64url') out = out.replace(/[+/]/g, (c) => (c === '+' ? '-' : '_'));
      return omitPadding ? out.replace(/=+$/, '') : out;
    },
    toHex() {
      const bytes = uint8(this, 'toHex');
      let out = '';
      for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
      return out;
    },
    setFromBase64(string, options = undefined) {
      const target = uint8(this, 'setFromBase64');
      if (typeof string !== 'string') throw new TypeError('Uint8Array.prototype.setFromBase64 expects a string');
      const { alphabet, lastChunkHandling } = base64Options(options, true);
      const { bytes, read, error } = decodeBase64(string, alphabet, lastChunkHandling, target.length);
      target.set(bytes);
      if (error) throw error;
      return { read, written: bytes.length };
    },
    setFromHex(string) {
      const target = uint8(this, 'setFromHex');
      if (typeof string !== 'string') throw new TypeError('Uint8Array.prototype.setFromHex expects a string');
      const { bytes, read, error } = decodeHex(string, target.length);
      target.set(bytes);
      if (error) throw error;
      return { read, written: bytes.length };
    },
  };
  for (const [name, fn] of Object.entries(methods)) {
    Object.defineProperty(Uint8Array, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
  for (const [name, fn] of Object.entries(protoMethods)) {
    Object.defineProperty(Uint8Array.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}

function uint8(value, method) {
  if (!(value instanceof Uint8Array)) throw new TypeError(`Uint8Array.prototype.${method} called on an incompatible receiver`);
  return value;
}

function base64Options(options, decoding) {
  if (options !== undefined && (options === null || typeof options !== 'object')) throw new TypeError('options must be an object');
  const alphabet = options === undefined || options.alphabet === undefined ? 'base64' : options.alphabet;
  if (alphabet !== 'base64' && alphabet !== 'base64url') throw new TypeError('alphabet must be "base64" or "base64url"');
  let lastChunkHandling = 'loose';
  if (decoding) {
    lastChunkHandling = options === undefined || options.lastChunkHandling === undefined ? 'loose' : options.lastChunkHandling;
    if (!LAST_CHUNK.includes(lastChunkHandling)) throw new TypeError('lastChunkHandling must be "loose", "strict" or "stop-before-partial"');
  }
  return { alphabet, lastChunkHandling };
}

const isSpace = (c) => c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x20;

/**
 * The proposal's FromBase64: decodes up to `maxLength` bytes. Returns the
 * bytes, how many characters were read (through the last complete chunk
 * decoded) and, instead of throwing, the SyntaxError that ends decoding (the
 * set* methods write what came before it).
 */
function decodeBase64(string, alphabet, lastChunkHandling, maxLength) {
  const table = ALPHABETS[alphabet];
  const bytes = [];
  if (maxLength === 0) return { bytes, read: 0 };
  let read = 0;
  let chunk = [];
  let index = 0;
  const flush = (values) => {
    const n = (values[0] << 18) | (values[1] << 12) | ((values[2] ?? 0) << 6) | (values[3] ?? 0);
    bytes.push((n >> 16) & 255);
    if (values.length > 2) bytes.push((n >> 8) & 255);
    if (values.length > 3) bytes.push(n & 255);
  };
  const fail = (message) => ({ bytes, read, error: new SyntaxError(message) });
  for (;;) {
    while (index < string.length && isSpace(string.charCodeAt(index))) index++;
    if (index === string.length) {
      if (chunk.length > 0) {
        if (lastChunkHandling === 'stop-before-partial') return { bytes, read };
        if (lastChunkHandling === 'strict') return fail('The base64 input ends with an incomplete chunk');
        if (chunk.length === 1) return fail('The base64 input ends with a single character');
        flush(chunk);
      }
      return { bytes, read: string.length };
    }
    const ch = string[index];
    index++;
    if (ch === '=') {
      if (chunk.length < 2) return fail('Unexpected padding in base64 input');
      while (index < string.length && isSpace(string.charCodeAt(index))) index++;
      if (chunk.length === 2) {
        if (index === string.length) {
          if (lastChunkHandling === 'stop-before-partial') return { bytes, read };
          return fail('The base64 input ends with incomplete padding');
        }
        if (string[index] === '=') {
          index++;
          while (index < string.length && isSpace(string.charCodeAt(index))) index++;
        }
      }
      if (index < string.length) return fail('Unexpected characters after base64 padding');
      if (lastChunkHandling === 'strict' && ((chunk.length === 2 && (chunk[1] & 15) !== 0) || (chunk.length === 3 && (chunk[2] & 3) !== 0))) {
        return fail('The base64 input has non-zero bits after its last byte');
      }
      flush(chunk);
      return { bytes, read: string.length };
    }
    const value = table.indexOf(ch);
    if (value < 0) return fail(`Invalid character in base64 input: ${JSON.stringify(ch)}`);
    const remaining = maxLength - bytes.length;
    if ((remaining === 1 && chunk.length === 2) || (remaining === 2 && chunk.length === 3)) {
      return { bytes, read };
    }
    chunk.push(value);
    if (chunk.length === 4) {
      flush(chunk);
      chunk = [];
      read = index;
      if (bytes.length === maxLength) return { bytes, read };
    }
  }
}

function decodeHex(string, maxLength) {
  const bytes = [];
  if (string.length % 2 !== 0) return { bytes, read: 0, error: new SyntaxError('A hex string must have an even length') };
  let read = 0;
  while (read < string.length && bytes.length < maxLength) {
    const pair = string.slice(read, read + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) return { bytes, read, error: new SyntaxError(`Invalid hex characters: ${JSON.stringify(pair)}`) };
    bytes.push(parseInt(pair, 16));
    read += 2;
  }
  return { bytes, read };
}
