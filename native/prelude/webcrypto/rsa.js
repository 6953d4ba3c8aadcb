// RSA over the engine's BigInt: key generation, RSASSA-PKCS1-v1_5, RSA-PSS
// and RSA-OAEP (RFC 8017), private operations with CRT and blinding. BigInt
// arithmetic is not constant-time; blinding keeps the private exponent's
// timing away from the input the caller chose.
import { NULL, OID, children, oid, readTlv, readUnsigned, seq, unsigned, octets } from './asn1.js';
import { bigintOf, bytesOfBigint, concatBytes, dataError, equalBytes, operationError } from './util.js';

function modPow(base, exp, mod) {
  let r = 1n;
  base %= mod;
  while (exp > 0n) {
    if (exp & 1n) r = (r * base) % mod;
    base = (base * base) % mod;
    exp >>= 1n;
  }
  return r;
}

function modInverse(a, m) {
  let [r0, r1] = [a % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw operationError('not invertible');
  return ((s0 % m) + m) % m;
}

function randomBigint(bits) {
  const bytes = new Uint8Array(Math.ceil(bits / 8));
  crypto.getRandomValues(bytes);
  return bigintOf(bytes) >> BigInt(bytes.length * 8 - bits);
}

const SMALL_PRIMES = [];
for (let n = 3; SMALL_PRIMES.length < 300; n += 2) if (SMALL_PRIMES.every((p) => n % p !== 0)) SMALL_PRIMES.push(n);
const SMALL = SMALL_PRIMES.map(BigInt);

function probablyPrime(n, rounds) {
  for (const p of SMALL) if (n % p === 0n) return n === p;
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  for (let i = 0; i < rounds; i++) {
    const a = 2n + (randomBigint(n.toString(2).length) % (n - 3n));
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let j = 1; j < s && composite; j++) {
      x = (x * x) % n;
      if (x === n - 1n) composite = false;
    }
    if (composite) return false;
  }
  return true;
}

function randomPrime(bits, e) {
  for (;;) {
    // Top two bits set so that p*q has the full modulus length.
    const candidate = randomBigint(bits) | (3n << BigInt(bits - 2)) | 1n;
    if ((candidate - 1n) % e !== 0n && probablyPrime(candidate, 24)) return candidate;
  }
}

export function generate(modulusLength, e) {
  if (modulusLength < 256 || modulusLength % 8 !== 0 || modulusLength > 8192) throw operationError(`RSA modulusLength ${modulusLength} is not supported`);
  if (e < 3n || (e & 1n) === 0n) throw operationError('RSA publicExponent must be an odd number of at least 3');
  for (;;) {
    const p = randomPrime(modulusLength / 2, e);
    const q = randomPrime(modulusLength / 2, e);
    if (p === q) continue;
    const n = p * q;
    if (n.toString(2).length !== modulusLength) continue;
    const phi = (p - 1n) * (q - 1n);
    let d;
    try {
      d = modInverse(e, phi);
    } catch {
      continue;
    }
    return complete({ n, e, d, p, q });
  }
}

/** Adds the CRT values a private key needs. */
export function complete(k) {
  if (k.d === undefined) return k;
  return { ...k, dp: k.dp ?? k.d % (k.p - 1n), dq: k.dq ?? k.d % (k.q - 1n), qi: k.qi ?? modInverse(k.q, k.p) };
}

export const byteLength = (k) => Math.ceil(k.n.toString(2).length / 8);
export const bitLength = (k) => k.n.toString(2).length;

function publicOp(k, m) {
  if (m >= k.n) throw operationError('message representative out of range');
  return modPow(m, k.e, k.n);
}

function privateOp(k, c) {
  if (c >= k.n) throw operationError('ciphertext representative out of range');
  const r = 2n + (randomBigint(bitLength(k)) % (k.n - 3n));
  const blinded = (c * modPow(r, k.e, k.n)) % k.n;
  const m1 = modPow(blinded, k.dp, k.p);
  const m2 = modPow(blinded, k.dq, k.q);
  const h = (k.qi * (((m1 - m2) % k.p) + k.p)) % k.p;
  const m = (m2 + h * k.q) % k.n;
  return (m * modInverse(r, k.n)) % k.n;
}

function mgf1(hash, seed, length) {
  const out = new Uint8Array(length);
  for (let counter = 0, o = 0; o < length; counter++) {
    const c = new Uint8Array([counter >>> 24, (counter >>> 16) & 255, (counter >>> 8) & 255, counter & 255]);
    const block = hash(concatBytes(seed, c));
    out.set(block.subarray(0, Math.min(block.length, length - o)), o);
    o += block.length;
  }
  return out;
}

function xor(a, b) {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

// ---- RSASSA-PKCS1-v1_5 -------------------------------------------------------

function pkcs1Encode(hashName, digest, len) {
  const t = seq(seq(oid(OID[hashName]), NULL), octets(digest));
  if (len < t.length + 11) throw operationError('RSA key too short for this hash');
  const em = new Uint8Array(len).fill(0xff);
  em[0] = 0;
  em[1] = 1;
  em[len - t.length - 1] = 0;
  em.set(t, len - t.length);
  return em;
}

export function pkcs1Sign(k, hashName, digest) {
  const len = byteLength(k);
  return bytesOfBigint(privateOp(k, bigintOf(pkcs1Encode(hashName, digest, len))), len);
}

export function pkcs1Verify(k, hashName, digest, signature) {
  const len = byteLength(k);
  if (signature.length !== len) return false;
  const s = bigintOf(signature);
  if (s >= k.n) return false;
  return equalBytes(bytesOfBigint(publicOp(k, s), len), pkcs1Encode(hashName, digest, len));
}

// ---- RSA-PSS -------------------------------------------------------------------

export function pssSign(k, hash, digest, saltLength) {
  const emBits = bitLength(k) - 1;
  const emLen = Math.ceil(emBits / 8);
  const hLen = digest.length;
  if (emLen < hLen + saltLength + 2) throw operationError('RSA key too short for this hash and salt length');
  const salt = crypto.getRandomValues(new Uint8Array(saltLength));
  const h = hash(concatBytes(new Uint8Array(8), digest, salt));
  const db = new Uint8Array(emLen - hLen - 1);
  db[db.length - saltLength - 1] = 1;
  db.set(salt, db.length - saltLength);
  const masked = xor(db, mgf1(hash, h, db.length));
  masked[0] &= 0xff >> (8 * emLen - emBits);
  const em = concatBytes(masked, h, new Uint8Array([0xbc]));
  return bytesOfBigint(privateOp(k, bigintOf(em)), byteLength(k));
}

export function pssVerify(k, hash, digest, signature, saltLength) {
  const len = byteLength(k);
  if (signature.length !== len) return false;
  const s = bigintOf(signature);
  if (s >= k.n) return false;
  const emBits = bitLength(k) - 1;
  const emLen = Math.ceil(emBits / 8);
  const hLen = digest.length;
  const em = bytesOfBigint(publicOp(k, s), len).subarray(len - emLen);
  if (emLen < hLen + saltLength + 2 || em[emLen - 1] !== 0xbc) return false;
  const masked = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff << (8 - (8 * emLen - emBits)) & 0xff;
  if (masked[0] & topMask) return false;
  const db = xor(masked, mgf1(hash, h, masked.length));
  db[0] &= 0xff >> (8 * emLen - emBits);
  const zeros = emLen - hLen - saltLength - 2;
  for (let i = 0; i < zeros; i++) if (db[i] !== 0) return false;
  if (db[zeros] !== 1) return false;
  const salt = db.subarray(db.length - saltLength);
  return equalBytes(hash(concatBytes(new Uint8Array(8), digest, salt)), h);
}

// ---- RSA-OAEP ------------------------------------------------------------------

export function oaepEncrypt(k, hash, message, label) {
  const len = byteLength(k);
  const lHash = hash(label);
  const hLen = lHash.length;
  if (message.length > len - 2 * hLen - 2) throw operationError('the data is too long for RSA-OAEP with this key');
  const db = concatBytes(lHash, new Uint8Array(len - message.length - 2 * hLen - 2), new Uint8Array([1]), message);
  const seed = crypto.getRandomValues(new Uint8Array(hLen));
  const maskedDb = xor(db, mgf1(hash, seed, db.length));
  const maskedSeed = xor(seed, mgf1(hash, maskedDb, hLen));
  const em = concatBytes(new Uint8Array([0]), maskedSeed, maskedDb);
  return bytesOfBigint(publicOp(k, bigintOf(em)), len);
}

export function oaepDecrypt(k, hash, ciphertext, label) {
  const len = byteLength(k);
  const lHash = hash(label);
  const hLen = lHash.length;
  if (ciphertext.length !== len || len < 2 * hLen + 2) throw operationError('decryption failed');
  const em = bytesOfBigint(privateOp(k, bigintOf(ciphertext)), len);
  const maskedSeed = em.subarray(1, 1 + hLen);
  const maskedDb = em.subarray(1 + hLen);
  const seed = xor(maskedSeed, mgf1(hash, maskedDb, hLen));
  const db = xor(maskedDb, mgf1(hash, seed, maskedDb.length));
  let bad = em[0] | (equalBytes(db.subarray(0, hLen), lHash) ? 0 : 1);
  let index = -1;
  for (let i = hLen; i < db.length; i++) {
    if (index < 0 && db[i] === 1) index = i;
    else if (index < 0 && db[i] !== 0) bad |= 1;
  }
  if (bad || index < 0) throw operationError('decryption failed');
  return db.slice(index + 1);
}

// ---- key encodings -------------------------------------------------------------

export function readPublicDer(bytes) {
  const [n, e] = children(readTlv(bytes), [0x02, 0x02]);
  return { n: bigintOf(readUnsigned(n)), e: bigintOf(readUnsigned(e)) };
}

export function readPrivateDer(bytes) {
  const parts = children(readTlv(bytes), [0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02]);
  const [n, e, d, p, q, dp, dq, qi] = parts.slice(1, 9).map((t) => bigintOf(readUnsigned(t)));
  if (p * q !== n) throw dataError('inconsistent RSA private key');
  return { n, e, d, p, q, dp, dq, qi };
}

export const writePublicDer = (k) => seq(unsigned(bytesOfBigint(k.n)), unsigned(bytesOfBigint(k.e)));

export function writePrivateDer(k) {
  return seq(new Uint8Array([0x02, 0x01, 0x00]), ...[k.n, k.e, k.d, k.p, k.q, k.dp, k.dq, k.qi].map((v) => unsigned(bytesOfBigint(v))));
}
