// Shared helpers of the WebCrypto implementation: byte views, errors, JWK
// base64url, big-endian integers and algorithm normalization.

export function bytesOf(data) {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('Data must be an ArrayBuffer or an ArrayBufferView');
}

/** A private copy: the caller may change its buffer after the call returns. */
export function copyOf(data) {
  return bytesOf(data).slice();
}

export function toArrayBuffer(bytes) {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
}

const error = (name) => (message) => new DOMException(message, name);
export const notSupported = error('NotSupportedError');
export const dataError = error('DataError');
export const invalidAccess = error('InvalidAccessError');
export const operationError = error('OperationError');
export const syntaxError = error('SyntaxError');

export function b64urlEncode(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function b64urlDecode(text, what = 'JWK member') {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) throw dataError(`${what} is not base64url`);
  let s;
  try {
    s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    throw dataError(`${what} is not base64url`);
  }
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function bigintOf(bytes) {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** Big-endian bytes of n, left-padded to len (or minimal when len is 0). */
export function bytesOfBigint(n, len = 0) {
  const hex = n.toString(16);
  const size = Math.max(len, Math.ceil(hex.length / 2));
  if (len && Math.ceil(hex.length / 2) > len) throw operationError('integer too large');
  const out = new Uint8Array(size);
  const padded = hex.padStart(size * 2, '0');
  for (let i = 0; i < size; i++) out[i] = parseInt(padded.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

const NAMES = [
  'RSASSA-PKCS1-v1_5',
  'RSA-PSS',
  'RSA-OAEP',
  'ECDSA',
  'ECDH',
  'Ed25519',
  'X25519',
  'AES-CTR',
  'AES-CBC',
  'AES-GCM',
  'AES-KW',
  'HMAC',
  'SHA-1',
  'SHA-256',
  'SHA-384',
  'SHA-512',
  'PBKDF2',
  'HKDF',
];
const BY_UPPER = new Map(NAMES.map((n) => [n.toUpperCase(), n]));

/** {name, ...members} with the name in its registered spelling; unknown names are NotSupportedError. */
export function normalize(algorithm) {
  const init = typeof algorithm === 'string' ? { name: algorithm } : algorithm;
  if (init === null || typeof init !== 'object') throw new TypeError('Algorithm: expected a string or an object with a name');
  if (init.name === undefined) throw new TypeError("Algorithm: the required member 'name' is missing");
  const name = BY_UPPER.get(String(init.name).toUpperCase());
  if (!name) throw notSupported(`Algorithm ${String(init.name)} is not supported`);
  return { ...init, name };
}

export function hashName(hash) {
  if (hash === undefined) throw new TypeError("Algorithm: the required member 'hash' is missing");
  const { name } = normalize(hash);
  if (!name.startsWith('SHA-')) throw notSupported(`${name} is not a hash`);
  return name;
}
