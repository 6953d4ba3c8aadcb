// crypto.subtle, the subset webhook handlers need: digest (SHA-1, SHA-256,
// SHA-384, SHA-512) and HMAC keys (importKey 'raw', sign, verify,
// exportKey 'raw', generateKey), over @noble/hashes. Part of the lazily
// loaded 'hashes' bundle (hashes.js): it runs after the prelude, so it uses
// globals only.
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';

const HASHES = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'];
const BLOCK = { 'SHA-1': 512, 'SHA-256': 512, 'SHA-384': 1024, 'SHA-512': 1024 };

const HASH_FNS = { 'SHA-1': sha1, 'SHA-256': sha256, 'SHA-384': sha384, 'SHA-512': sha512 };

function notSupported(what) {
  return new DOMException(`${what} is not supported by this runtime (crypto.subtle has digest and HMAC)`, 'NotSupportedError');
}

function algorithmName(algorithm) {
  const name = typeof algorithm === 'string' ? algorithm : algorithm?.name;
  if (typeof name !== 'string') throw new TypeError('Algorithm: name is missing');
  return name.toUpperCase();
}

function hashName(algorithm) {
  const name = algorithmName(algorithm);
  const canonical = HASHES.find((h) => h === name);
  if (!canonical) throw notSupported(`Hash ${name}`);
  return canonical;
}

function bytesOf(data) {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('Data must be an ArrayBuffer or an ArrayBufferView');
}

function toArrayBuffer(bytes) {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
}

let keyData;
const CREATE = Symbol('create');

export class CryptoKey {
  #bytes;
  #algorithm;
  #extractable;
  #usages;

  static {
    keyData = (k) => k.#bytes;
  }

  constructor(key, bytes, algorithm, extractable, usages) {
    if (key !== CREATE) throw new TypeError('Illegal constructor');
    this.#bytes = bytes;
    this.#algorithm = algorithm;
    this.#extractable = extractable;
    this.#usages = usages;
  }
  get type() {
    return 'secret';
  }
  get extractable() {
    return this.#extractable;
  }
  get algorithm() {
    return { ...this.#algorithm, hash: { ...this.#algorithm.hash } };
  }
  get usages() {
    return [...this.#usages];
  }
  get [Symbol.toStringTag]() {
    return 'CryptoKey';
  }
}

function hmacKey(bytes, algorithm, extractable, usages) {
  const hash = hashName(algorithm.hash);
  for (const u of usages) if (u !== 'sign' && u !== 'verify') throw new SyntaxError(`HMAC keys cannot be used to ${u}`);
  return new CryptoKey(CREATE, bytes, { name: 'HMAC', hash: { name: hash }, length: bytes.length * 8 }, Boolean(extractable), [...usages]);
}

function hmacOf(algorithm, key, data) {
  if (algorithmName(algorithm) !== 'HMAC') throw notSupported(`Algorithm ${algorithmName(algorithm)}`);
  if (!(key instanceof CryptoKey) || key.algorithm.name !== 'HMAC') throw new TypeError('An HMAC CryptoKey is required');
  return hmac(HASH_FNS[key.algorithm.hash.name], keyData(key), bytesOf(data));
}

export const subtle = Object.freeze({
  async digest(algorithm, data) {
    return toArrayBuffer(HASH_FNS[hashName(algorithm)](bytesOf(data)));
  },
  async importKey(format, data, algorithm, extractable, usages) {
    if (format !== 'raw') throw notSupported(`Key format ${format}`);
    if (algorithmName(algorithm) !== 'HMAC') throw notSupported(`Algorithm ${algorithmName(algorithm)}`);
    return hmacKey(bytesOf(data).slice(), algorithm, extractable, usages);
  },
  async generateKey(algorithm, extractable, usages) {
    if (algorithmName(algorithm) !== 'HMAC') throw notSupported(`Algorithm ${algorithmName(algorithm)}`);
    const hash = hashName(algorithm.hash);
    const bits = algorithm.length ?? BLOCK[hash];
    return hmacKey(globalThis.crypto.getRandomValues(new Uint8Array(Math.ceil(bits / 8))), algorithm, extractable, usages);
  },
  async exportKey(format, key) {
    if (format !== 'raw') throw notSupported(`Key format ${format}`);
    if (!(key instanceof CryptoKey)) throw new TypeError('A CryptoKey is required');
    if (!key.extractable) throw new DOMException('The key is not extractable', 'InvalidAccessError');
    return keyData(key).slice().buffer;
  },
  async sign(algorithm, key, data) {
    if (!key.usages.includes('sign')) throw new DOMException('The key may not sign', 'InvalidAccessError');
    return toArrayBuffer(hmacOf(algorithm, key, data));
  },
  async verify(algorithm, key, signature, data) {
    if (!key.usages.includes('verify')) throw new DOMException('The key may not verify', 'InvalidAccessError');
    const expected = hmacOf(algorithm, key, data);
    const given = bytesOf(signature);
    if (given.length !== expected.length) return false;
    let diff = 0;
    for (let i = 0; i < expected.length; i++) diff |= expected[i] ^ given[i];
    return diff === 0;
  },
  async encrypt() {
    throw notSupported('encrypt');
  },
  async decrypt() {
    throw notSupported('decrypt');
  },
  async deriveBits() {
    throw notSupported('deriveBits');
  },
  async deriveKey() {
    throw notSupported('deriveKey');
  },
  async wrapKey() {
    throw notSupported('wrapKey');
  },
  async unwrapKey() {
    throw notSupported('unwrapKey');
  },
});
