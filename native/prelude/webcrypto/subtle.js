// SubtleCrypto over audited JavaScript: @noble/hashes (SHA, HMAC, PBKDF2,
// HKDF), @noble/ciphers (AES-GCM/CBC/CTR/KW), @noble/curves (ECDSA and ECDH
// on P-256/384/521, Ed25519, X25519) and RSA on BigInt (rsa.js). Part of the
// lazily loaded 'webcrypto' bundle: it runs after the prelude and uses
// globals only. docs/web-platform.md says why JS and not C.
import { hmac } from '@noble/hashes/hmac.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { aeskw, cbc, ctr, gcm } from '@noble/ciphers/aes.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { NULL, OID, oid, pkcs8, readPkcs8, readSpki, readOid, readTlv, children, seq, spki, octets, tlv, bits } from './asn1.js';
import * as rsa from './rsa.js';
import { CryptoKey, createKey, keyMaterial } from './key.js';
import {
  b64urlDecode,
  b64urlEncode,
  bigintOf,
  bytesOf,
  bytesOfBigint,
  concatBytes,
  copyOf,
  dataError,
  equalBytes,
  hashName,
  invalidAccess,
  normalize,
  notSupported,
  operationError,
  syntaxError,
  toArrayBuffer,
} from './util.js';

export { CryptoKey };

const HASH = { 'SHA-1': sha1, 'SHA-256': sha256, 'SHA-384': sha384, 'SHA-512': sha512 };
const HASH_BITS = { 'SHA-1': 160, 'SHA-256': 256, 'SHA-384': 384, 'SHA-512': 512 };
const BLOCK_BITS = { 'SHA-1': 512, 'SHA-256': 512, 'SHA-384': 1024, 'SHA-512': 1024 };
const CURVES = { 'P-256': { curve: p256, size: 32 }, 'P-384': { curve: p384, size: 48 }, 'P-521': { curve: p521, size: 66 } };
const RSA_NAMES = ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'RSA-OAEP'];
const AES_NAMES = ['AES-CTR', 'AES-CBC', 'AES-GCM', 'AES-KW'];

// Usages a key of each algorithm may have: [secret or private, public].
const USAGES = {
  'RSASSA-PKCS1-v1_5': [['sign'], ['verify']],
  'RSA-PSS': [['sign'], ['verify']],
  'RSA-OAEP': [['decrypt', 'unwrapKey'], ['encrypt', 'wrapKey']],
  ECDSA: [['sign'], ['verify']],
  Ed25519: [['sign'], ['verify']],
  ECDH: [['deriveKey', 'deriveBits'], []],
  X25519: [['deriveKey', 'deriveBits'], []],
  'AES-CTR': [['encrypt', 'decrypt', 'wrapKey', 'unwrapKey']],
  'AES-CBC': [['encrypt', 'decrypt', 'wrapKey', 'unwrapKey']],
  'AES-GCM': [['encrypt', 'decrypt', 'wrapKey', 'unwrapKey']],
  'AES-KW': [['wrapKey', 'unwrapKey']],
  HMAC: [['sign', 'verify']],
  PBKDF2: [['deriveKey', 'deriveBits']],
  HKDF: [['deriveKey', 'deriveBits']],
};

function checkUsages(usages, allowed, what) {
  for (const u of usages) if (!allowed.includes(u)) throw syntaxError(`${what} keys cannot be used to ${u}`);
}

function usagesFor(name, type) {
  const [secret, pub] = USAGES[name];
  return type === 'public' ? pub : secret;
}

function requireUsage(key, usage, name) {
  const material = keyMaterial(key);
  if (key.algorithm.name !== name) throw invalidAccess(`The key is a ${key.algorithm.name} key, not ${name}`);
  if (!key.usages.includes(usage)) throw invalidAccess(`The key may not be used to ${usage}`);
  return material;
}

const digestOf = (name, data) => HASH[name](data);

// ---- JWK -----------------------------------------------------------------------

function jwkAlg(algorithm) {
  const h = algorithm.hash?.name;
  switch (algorithm.name) {
    case 'HMAC':
      return `HS${HASH_BITS[h]}`;
    case 'RSASSA-PKCS1-v1_5':
      return h === 'SHA-1' ? 'RS1' : `RS${HASH_BITS[h]}`;
    case 'RSA-PSS':
      return h === 'SHA-1' ? 'PS1' : `PS${HASH_BITS[h]}`;
    case 'RSA-OAEP':
      return h === 'SHA-1' ? 'RSA-OAEP' : `RSA-OAEP-${HASH_BITS[h]}`;
    case 'ECDSA':
      return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[algorithm.namedCurve];
    case 'Ed25519':
      return 'Ed25519';
    default:
      if (AES_NAMES.includes(algorithm.name)) return `A${algorithm.length}${algorithm.name.slice(4)}`;
      return undefined;
  }
}

function checkJwk(jwk, kty, extractable, usages, algorithm) {
  if (jwk === null || typeof jwk !== 'object') throw new TypeError('JWK must be an object');
  if (jwk.kty !== kty) throw dataError(`JWK kty must be ${kty}`);
  if (usages.length && jwk.use !== undefined) {
    const use = ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'].some((u) => usages.includes(u)) ? 'enc' : 'sig';
    if (jwk.use !== use) throw dataError(`JWK use must be ${use}`);
  }
  if (jwk.key_ops !== undefined) {
    if (!Array.isArray(jwk.key_ops)) throw dataError('JWK key_ops must be an array');
    for (const u of usages) if (!jwk.key_ops.includes(u)) throw dataError(`JWK key_ops does not allow ${u}`);
  }
  if (jwk.ext === false && extractable) throw dataError('JWK is not extractable (ext: false)');
  const alg = jwkAlg(algorithm);
  if (jwk.alg !== undefined && alg !== undefined && jwk.alg !== alg && !(algorithm.name === 'Ed25519' && jwk.alg === 'EdDSA')) {
    throw dataError(`JWK alg ${jwk.alg} does not match ${alg}`);
  }
}

function jwkCommon(key, members) {
  // The standard's ECDSA export sets no alg (a curve allows several hashes).
  const alg = key.algorithm.name === 'ECDSA' ? undefined : jwkAlg(key.algorithm);
  return { ...members, ...(alg ? { alg } : {}), key_ops: [...key.usages], ext: key.extractable };
}

// ---- import ----------------------------------------------------------------------

function importSecret(format, data, algorithm, extractable, usages) {
  const { name } = algorithm;
  checkUsages(usages, USAGES[name][0], name);
  if (usages.length === 0) throw syntaxError('A secret key needs at least one usage');
  let bytes;
  if (format === 'raw' || (format === 'raw-secret' && name !== 'PBKDF2' && name !== 'HKDF')) bytes = copyOf(data);
  else if (format === 'jwk' && name !== 'PBKDF2' && name !== 'HKDF') {
    checkJwk(data, 'oct', extractable, usages, name === 'HMAC' ? { name, hash: { name: hashName(algorithm.hash) } } : { name, length: b64urlDecode(data.k).length * 8 });
    bytes = b64urlDecode(data.k, 'JWK k');
  } else throw notSupported(`${name} keys cannot be imported as ${format}`);
  if (name === 'HMAC') {
    const hash = hashName(algorithm.hash);
    if (bytes.length === 0) throw dataError('HMAC key data is empty');
    const length = algorithm.length === undefined ? bytes.length * 8 : Number(algorithm.length);
    if (length > bytes.length * 8 || length <= (bytes.length - 1) * 8) throw dataError('HMAC length does not match the key data');
    return createKey('secret', extractable, { name, hash: { name: hash }, length }, usages, { bytes });
  }
  if (AES_NAMES.includes(name)) {
    if (![16, 24, 32].includes(bytes.length)) throw dataError('AES key data must be 128, 192 or 256 bits');
    return createKey('secret', extractable, { name, length: bytes.length * 8 }, usages, { bytes });
  }
  if (extractable) throw syntaxError(`${name} keys cannot be extractable`);
  return createKey('secret', false, { name }, usages, { bytes });
}

function rsaAlgorithm(name, k, hash) {
  return { name, modulusLength: rsa.bitLength(k), publicExponent: bytesOfBigint(k.e), hash: { name: hash } };
}

function importRsa(format, data, algorithm, extractable, usages) {
  const { name } = algorithm;
  const hash = hashName(algorithm.hash);
  let k;
  let type;
  if (format === 'spki') {
    const { oid: id, key } = readSpki(copyOf(data));
    if (id !== OID.rsaEncryption && id !== OID.rsaPss && id !== OID.rsaOaep) throw dataError('not an RSA key');
    k = rsa.readPublicDer(key);
    type = 'public';
  } else if (format === 'pkcs8') {
    const { oid: id, key } = readPkcs8(copyOf(data));
    if (id !== OID.rsaEncryption && id !== OID.rsaPss && id !== OID.rsaOaep) throw dataError('not an RSA key');
    k = rsa.readPrivateDer(key);
    type = 'private';
  } else if (format === 'jwk') {
    type = data?.d === undefined ? 'public' : 'private';
    checkJwk(data, 'RSA', extractable, usages, { name, hash: { name: hash } });
    const big = (m) => bigintOf(b64urlDecode(data[m], `JWK ${m}`));
    k = { n: big('n'), e: big('e') };
    if (type === 'private') {
      k.d = big('d');
      if (data.p === undefined) throw dataError('JWK RSA private keys without CRT parameters are not supported');
      Object.assign(k, { p: big('p'), q: big('q'), dp: big('dp'), dq: big('dq'), qi: big('qi') });
      if (k.p * k.q !== k.n) throw dataError('inconsistent RSA private key');
    }
  } else throw notSupported(`${name} keys cannot be imported as ${format}`);
  checkUsages(usages, usagesFor(name, type), `${name} ${type}`);
  if (type === 'private' && usages.length === 0) throw syntaxError('A private key needs at least one usage');
  return createKey(type, extractable, rsaAlgorithm(name, k, hash), usages, { rsa: k });
}

function ecPublicFromJwk(curveName, jwk) {
  const { size } = CURVES[curveName];
  const x = b64urlDecode(jwk.x, 'JWK x');
  const y = b64urlDecode(jwk.y, 'JWK y');
  if (x.length !== size || y.length !== size) throw dataError('JWK x and y have the wrong length');
  return concatBytes(new Uint8Array([4]), x, y);
}

function checkPoint(curveName, pub) {
  try {
    return CURVES[curveName].curve.Point.fromBytes(pub).toBytes(false);
  } catch {
    throw dataError(`not a point on ${curveName}`);
  }
}

function importEc(format, data, algorithm, extractable, usages) {
  const { name } = algorithm;
  const curveName = algorithm.namedCurve;
  if (!CURVES[curveName]) throw notSupported(`Curve ${curveName} is not supported`);
  const { curve, size } = CURVES[curveName];
  let type;
  let d;
  let pub;
  if (format === 'raw' || format === 'raw-public') {
    type = 'public';
    pub = checkPoint(curveName, copyOf(data));
  } else if (format === 'spki') {
    const { oid: id, params, key } = readSpki(copyOf(data));
    if (id !== OID.ecPublicKey || !params || readOid(params) !== OID[curveName]) throw dataError(`not a ${curveName} key`);
    type = 'public';
    pub = checkPoint(curveName, key);
  } else if (format === 'pkcs8') {
    const { oid: id, params, key } = readPkcs8(copyOf(data));
    if (id !== OID.ecPublicKey || !params || readOid(params) !== OID[curveName]) throw dataError(`not a ${curveName} key`);
    const parts = children(readTlv(key), [0x02, 0x04]);
    d = parts[1].content.slice();
    if (d.length !== size) throw dataError('EC private key has the wrong length');
    type = 'private';
    pub = curve.getPublicKey(d, false);
  } else if (format === 'jwk') {
    type = data?.d === undefined ? 'public' : 'private';
    checkJwk(data, 'EC', extractable, usages, { name, namedCurve: curveName });
    if (data.crv !== curveName) throw dataError(`JWK crv must be ${curveName}`);
    pub = checkPoint(curveName, ecPublicFromJwk(curveName, data));
    if (type === 'private') {
      d = b64urlDecode(data.d, 'JWK d');
      if (d.length !== size || !equalBytes(curve.getPublicKey(d, false), pub)) throw dataError('JWK d does not match x and y');
    }
  } else throw notSupported(`${name} keys cannot be imported as ${format}`);
  checkUsages(usages, usagesFor(name, type), `${name} ${type}`);
  if (type === 'private' && usages.length === 0) throw syntaxError('A private key needs at least one usage');
  return createKey(type, extractable, { name, namedCurve: curveName }, usages, { d, pub });
}

const OKP = { Ed25519: ed25519, X25519: x25519 };

function importOkp(format, data, algorithm, extractable, usages) {
  const { name } = algorithm;
  const impl = OKP[name];
  let type;
  let priv;
  let pub;
  if (format === 'raw' || format === 'raw-public') {
    type = 'public';
    pub = copyOf(data);
  } else if (format === 'spki') {
    const { oid: id, key } = readSpki(copyOf(data));
    if (id !== OID[name]) throw dataError(`not an ${name} key`);
    type = 'public';
    pub = key.slice();
  } else if (format === 'pkcs8') {
    const { oid: id, key } = readPkcs8(copyOf(data));
    if (id !== OID[name]) throw dataError(`not an ${name} key`);
    const inner = readTlv(key);
    if (inner.tag !== 0x04) throw dataError('bad private key');
    priv = inner.content.slice();
    type = 'private';
  } else if (format === 'jwk') {
    type = data?.d === undefined ? 'public' : 'private';
    checkJwk(data, 'OKP', extractable, usages, { name });
    if (data.crv !== name) throw dataError(`JWK crv must be ${name}`);
    pub = b64urlDecode(data.x, 'JWK x');
    if (type === 'private') priv = b64urlDecode(data.d, 'JWK d');
  } else throw notSupported(`${name} keys cannot be imported as ${format}`);
  if (priv !== undefined) {
    if (priv.length !== 32) throw dataError(`${name} private keys are 32 bytes`);
    const derived = impl.getPublicKey(priv);
    if (pub !== undefined && !equalBytes(derived, pub)) throw dataError('JWK d does not match x');
    pub = derived;
  }
  if (pub.length !== 32) throw dataError(`${name} public keys are 32 bytes`);
  checkUsages(usages, usagesFor(name, type), `${name} ${type}`);
  if (type === 'private' && usages.length === 0) throw syntaxError('A private key needs at least one usage');
  return createKey(type, extractable, { name }, usages, { priv, pub });
}

function importAny(format, data, algorithm, extractable, usages) {
  const { name } = algorithm;
  if (format !== 'jwk') bytesOf(data);
  if (RSA_NAMES.includes(name)) return importRsa(format, data, algorithm, extractable, usages);
  if (name === 'ECDSA' || name === 'ECDH') return importEc(format, data, algorithm, extractable, usages);
  if (name === 'Ed25519' || name === 'X25519') return importOkp(format, data, algorithm, extractable, usages);
  if (USAGES[name]) return importSecret(format, data, algorithm, extractable, usages);
  throw notSupported(`${name} keys cannot be imported`);
}

// ---- export ----------------------------------------------------------------------

function exportAny(format, key) {
  const m = keyMaterial(key);
  if (!key.extractable) throw invalidAccess('The key is not extractable');
  const { name } = key.algorithm;
  if (m.bytes) {
    if (format === 'raw' || format === 'raw-secret') return m.bytes.slice();
    if (format === 'jwk') return jwkCommon(key, { kty: 'oct', k: b64urlEncode(m.bytes) });
  } else if (m.rsa) {
    const k = m.rsa;
    if (format === 'spki' && key.type === 'public') return spki(seq(oid(OID.rsaEncryption), NULL), rsa.writePublicDer(k));
    if (format === 'pkcs8' && key.type === 'private') return pkcs8(seq(oid(OID.rsaEncryption), NULL), rsa.writePrivateDer(k));
    if (format === 'jwk') {
      const e = (v) => b64urlEncode(bytesOfBigint(v));
      const pub = { kty: 'RSA', n: e(k.n), e: e(k.e) };
      if (key.type === 'public') return jwkCommon(key, pub);
      return jwkCommon(key, { ...pub, d: e(k.d), p: e(k.p), q: e(k.q), dp: e(k.dp), dq: e(k.dq), qi: e(k.qi) });
    }
  } else if (name === 'ECDSA' || name === 'ECDH') {
    const curveName = key.algorithm.namedCurve;
    const { size } = CURVES[curveName];
    const algId = seq(oid(OID.ecPublicKey), oid(OID[curveName]));
    if ((format === 'raw' || format === 'raw-public') && key.type === 'public') return m.pub.slice();
    if (format === 'spki' && key.type === 'public') return spki(algId, m.pub);
    if (format === 'pkcs8' && key.type === 'private') {
      return pkcs8(algId, seq(new Uint8Array([0x02, 0x01, 0x01]), octets(m.d), tlv(0xa1, bits(m.pub))));
    }
    if (format === 'jwk') {
      const jwk = { kty: 'EC', crv: curveName, x: b64urlEncode(m.pub.subarray(1, 1 + size)), y: b64urlEncode(m.pub.subarray(1 + size)) };
      if (key.type === 'private') jwk.d = b64urlEncode(m.d);
      return jwkCommon(key, jwk);
    }
  } else if (name === 'Ed25519' || name === 'X25519') {
    if ((format === 'raw' || format === 'raw-public') && key.type === 'public') return m.pub.slice();
    if (format === 'spki' && key.type === 'public') return spki(seq(oid(OID[name])), m.pub);
    if (format === 'pkcs8' && key.type === 'private') return pkcs8(seq(oid(OID[name])), octets(m.priv));
    if (format === 'jwk') {
      const jwk = { kty: 'OKP', crv: name, x: b64urlEncode(m.pub) };
      if (key.type === 'private') jwk.d = b64urlEncode(m.priv);
      return jwkCommon(key, jwk);
    }
  }
  // A format the algorithm has, but for its other key type, is the key's fault.
  const formats = m.bytes ? [] : m.rsa ? ['spki', 'pkcs8'] : ['raw', 'raw-public', 'spki', 'pkcs8'];
  if (formats.includes(format)) throw invalidAccess(`A ${key.type} ${name} key cannot be exported as ${format}`);
  throw notSupported(`A ${key.type} ${name} key cannot be exported as ${format}`);
}

// ---- generate ------------------------------------------------------------------------

function generateAny(algorithm, extractable, usages) {
  const { name } = algorithm;
  const random = (n) => crypto.getRandomValues(new Uint8Array(n));
  const pair = (privUsages, pubUsages, algo, privMaterial, pubMaterial) => {
    checkUsages(usages, [...privUsages, ...pubUsages], name);
    const privateUsages = usages.filter((u) => privUsages.includes(u));
    if (privateUsages.length === 0) throw syntaxError('The private key would have no usage');
    return {
      publicKey: createKey('public', true, algo, usages.filter((u) => pubUsages.includes(u)), pubMaterial),
      privateKey: createKey('private', extractable, algo, privateUsages, privMaterial),
    };
  };
  if (RSA_NAMES.includes(name)) {
    const hash = hashName(algorithm.hash);
    const e = bigintOf(bytesOf(algorithm.publicExponent));
    const k = rsa.generate(Number(algorithm.modulusLength), e);
    const [priv, pub] = USAGES[name];
    return pair(priv, pub, rsaAlgorithm(name, k, hash), { rsa: k }, { rsa: { n: k.n, e: k.e } });
  }
  if (name === 'ECDSA' || name === 'ECDH') {
    const curveName = algorithm.namedCurve;
    if (!CURVES[curveName]) throw notSupported(`Curve ${curveName} is not supported`);
    const { curve } = CURVES[curveName];
    const d = curve.utils.randomSecretKey();
    const pub = curve.getPublicKey(d, false);
    const [priv, pubUsages] = USAGES[name];
    return pair(priv, pubUsages, { name, namedCurve: curveName }, { d, pub }, { pub });
  }
  if (name === 'Ed25519' || name === 'X25519') {
    const priv = random(32);
    const pub = OKP[name].getPublicKey(priv);
    const [privUsages, pubUsages] = USAGES[name];
    return pair(privUsages, pubUsages, { name }, { priv, pub }, { pub });
  }
  if (AES_NAMES.includes(name)) {
    const length = Number(algorithm.length);
    if (![128, 192, 256].includes(length)) throw operationError('AES key length must be 128, 192 or 256');
    checkUsages(usages, USAGES[name][0], name);
    if (usages.length === 0) throw syntaxError('A secret key needs at least one usage');
    return createKey('secret', extractable, { name, length }, usages, { bytes: random(length / 8) });
  }
  if (name === 'HMAC') {
    const hash = hashName(algorithm.hash);
    const length = algorithm.length === undefined ? BLOCK_BITS[hash] : Number(algorithm.length);
    if (!(length > 0)) throw operationError('HMAC key length must be positive');
    checkUsages(usages, USAGES.HMAC[0], name);
    if (usages.length === 0) throw syntaxError('A secret key needs at least one usage');
    const bytes = random(Math.ceil(length / 8));
    if (length % 8) bytes[bytes.length - 1] &= 0xff << (8 - (length % 8));
    return createKey('secret', extractable, { name, hash: { name: hash }, length }, usages, { bytes });
  }
  throw notSupported(`${name} keys cannot be generated`);
}

// ---- the operations ---------------------------------------------------------------------

// AES-GCM with a tag shorter than 128 bits: the tag is the full tag's
// first bytes (NIST SP 800-38D). noble makes full tags only, so decryption
// recovers the plaintext with GCM's own key stream (encrypting the
// ciphertext XORs it away) and checks the tag of encrypting that again.
function shortTagGcm(cipher, t) {
  return {
    encrypt(data) {
      const full = cipher().encrypt(data);
      return full.slice(0, full.length - 16 + t);
    },
    decrypt(data) {
      if (data.length < t) throw operationError('AES-GCM data is shorter than its tag');
      const body = data.subarray(0, data.length - t);
      const plain = cipher().encrypt(body).slice(0, body.length);
      const full = cipher().encrypt(plain);
      if (!equalBytes(full.subarray(body.length, body.length + t), data.subarray(body.length))) throw operationError('AES-GCM decryption failed');
      return plain;
    },
  };
}

function aesCipher(algorithm, bytes, decrypt) {
  switch (algorithm.name) {
    case 'AES-GCM': {
      const iv = bytesOf(algorithm.iv);
      const tagLength = algorithm.tagLength === undefined ? 128 : Number(algorithm.tagLength);
      if (![32, 64, 96, 104, 112, 120, 128].includes(tagLength)) throw operationError('AES-GCM tagLength must be 32, 64, 96, 104, 112, 120 or 128');
      const aad = algorithm.additionalData === undefined ? undefined : bytesOf(algorithm.additionalData);
      if (iv.length === 0) throw operationError('AES-GCM needs an iv');
      if (tagLength === 128) return gcm(bytes, iv, aad);
      return shortTagGcm(() => gcm(bytes, iv, aad), tagLength / 8);
    }
    case 'AES-CBC': {
      const iv = bytesOf(algorithm.iv);
      if (iv.length !== 16) throw operationError('AES-CBC iv must be 16 bytes');
      return cbc(bytes, iv);
    }
    case 'AES-KW':
      return aeskw(bytes);
    default:
      throw notSupported(`${algorithm.name} cannot ${decrypt ? 'decrypt' : 'encrypt'}`);
  }
}

// AES-CTR with a counter of `length` bits that wraps inside its block, as
// WebCrypto has it (noble's ctr carries into the whole block).
function aesCtr(algorithm, bytes, data) {
  const counter = bytesOf(algorithm.counter);
  const length = Number(algorithm.length);
  if (counter.length !== 16) throw operationError('AES-CTR counter must be 16 bytes');
  if (!(length >= 1 && length <= 128)) throw operationError('AES-CTR length must be 1 to 128');
  const blocks = BigInt(Math.ceil(data.length / 16));
  const mod = 1n << BigInt(length);
  const low = bigintOf(counter) & (mod - 1n);
  if (blocks > mod) throw operationError('AES-CTR counter would repeat');
  if (low + blocks <= mod) return ctr(bytes, counter).encrypt(data);
  const first = Number(mod - low) * 16;
  const wrapped = bytesOfBigint(bigintOf(counter) & ~(mod - 1n) & ((1n << 128n) - 1n), 16);
  return concatBytes(ctr(bytes, counter).encrypt(data.subarray(0, first)), ctr(bytes, wrapped).encrypt(data.subarray(first)));
}

function encryptWith(algorithm, key, data, usage) {
  const m = requireUsage(key, usage, algorithm.name);
  if (algorithm.name === 'RSA-OAEP') {
    const label = algorithm.label === undefined ? new Uint8Array(0) : bytesOf(algorithm.label);
    return rsa.oaepEncrypt(m.rsa, HASH[key.algorithm.hash.name], data, label);
  }
  if (algorithm.name === 'AES-CTR') return aesCtr(algorithm, m.bytes, data);
  if (algorithm.name === 'AES-KW' && data.length % 8 !== 0) throw operationError('AES-KW data must be a multiple of 8 bytes');
  return aesCipher(algorithm, m.bytes, false).encrypt(data);
}

function decryptWith(algorithm, key, data, usage) {
  const m = requireUsage(key, usage, algorithm.name);
  if (algorithm.name === 'RSA-OAEP') {
    const label = algorithm.label === undefined ? new Uint8Array(0) : bytesOf(algorithm.label);
    return rsa.oaepDecrypt(m.rsa, HASH[key.algorithm.hash.name], data, label);
  }
  if (algorithm.name === 'AES-CTR') return aesCtr(algorithm, m.bytes, data);
  try {
    return aesCipher(algorithm, m.bytes, true).decrypt(data);
  } catch (e) {
    if (e instanceof DOMException) throw e;
    throw operationError(`${algorithm.name} decryption failed`);
  }
}

function signWith(algorithm, key, data) {
  const m = requireUsage(key, 'sign', algorithm.name);
  switch (algorithm.name) {
    case 'HMAC':
      return hmac(HASH[key.algorithm.hash.name], m.bytes, data);
    case 'RSASSA-PKCS1-v1_5':
      return rsa.pkcs1Sign(m.rsa, key.algorithm.hash.name, digestOf(key.algorithm.hash.name, data));
    case 'RSA-PSS': {
      const h = key.algorithm.hash.name;
      return rsa.pssSign(m.rsa, HASH[h], digestOf(h, data), Number(algorithm.saltLength));
    }
    case 'ECDSA': {
      const h = hashName(algorithm.hash);
      return CURVES[key.algorithm.namedCurve].curve.sign(digestOf(h, data), m.d, { prehash: false, lowS: false });
    }
    case 'Ed25519':
      return ed25519.sign(data, m.priv);
    default:
      throw notSupported(`${algorithm.name} cannot sign`);
  }
}

function verifyWith(algorithm, key, signature, data) {
  const m = requireUsage(key, 'verify', algorithm.name);
  switch (algorithm.name) {
    case 'HMAC':
      return equalBytes(hmac(HASH[key.algorithm.hash.name], m.bytes, data), signature);
    case 'RSASSA-PKCS1-v1_5':
      return rsa.pkcs1Verify(m.rsa, key.algorithm.hash.name, digestOf(key.algorithm.hash.name, data), signature);
    case 'RSA-PSS': {
      const h = key.algorithm.hash.name;
      return rsa.pssVerify(m.rsa, HASH[h], digestOf(h, data), signature, Number(algorithm.saltLength));
    }
    case 'ECDSA': {
      const h = hashName(algorithm.hash);
      const { curve, size } = CURVES[key.algorithm.namedCurve];
      if (signature.length !== 2 * size) return false;
      try {
        return curve.verify(signature, digestOf(h, data), m.pub, { prehash: false, lowS: false });
      } catch {
        return false;
      }
    }
    case 'Ed25519':
      try {
        return ed25519.verify(signature, data, m.pub);
      } catch {
        return false;
      }
    default:
      throw notSupported(`${algorithm.name} cannot verify`);
  }
}

function truncateBits(bytes, length) {
  if (length === null || length === undefined) return bytes;
  length = Number(length);
  if (length > bytes.length * 8) throw operationError(`${length} bits are more than this derivation gives`);
  const out = bytes.slice(0, Math.ceil(length / 8));
  if (length % 8) out[out.length - 1] &= 0xff << (8 - (length % 8));
  return out;
}

function deriveBitsWith(algorithm, key, length, usage = 'deriveBits') {
  const m = requireUsage(key, usage, algorithm.name);
  switch (algorithm.name) {
    case 'PBKDF2': {
      if (length === null || length === undefined || length % 8 !== 0) throw operationError('PBKDF2 length must be a multiple of 8');
      const iterations = Number(algorithm.iterations);
      if (!(iterations > 0)) throw operationError('PBKDF2 iterations must be positive');
      if (length === 0) return new Uint8Array(0);
      return pbkdf2(HASH[hashName(algorithm.hash)], m.bytes, bytesOf(algorithm.salt), { c: iterations, dkLen: length / 8 });
    }
    case 'HKDF': {
      if (length === null || length === undefined || length % 8 !== 0) throw operationError('HKDF length must be a multiple of 8');
      if (length === 0) return new Uint8Array(0);
      return hkdf(HASH[hashName(algorithm.hash)], m.bytes, bytesOf(algorithm.salt), bytesOf(algorithm.info), length / 8);
    }
    case 'ECDH':
    case 'X25519': {
      const peer = algorithm.public;
      if (!(peer instanceof CryptoKey) || peer.type !== 'public') throw invalidAccess('The public member must be a public CryptoKey');
      if (peer.algorithm.name !== key.algorithm.name) throw invalidAccess('The public key is of another algorithm');
      const p = keyMaterial(peer);
      let secret;
      if (algorithm.name === 'ECDH') {
        if (peer.algorithm.namedCurve !== key.algorithm.namedCurve) throw invalidAccess('The public key is on another curve');
        secret = CURVES[key.algorithm.namedCurve].curve.getSharedSecret(m.d, p.pub, true).subarray(1);
      } else {
        secret = x25519.getSharedSecret(m.priv, p.pub);
        if (secret.every((b) => b === 0)) throw operationError('X25519 gave the all-zero secret');
      }
      return truncateBits(secret, length);
    }
    default:
      throw notSupported(`${algorithm.name} cannot derive bits`);
  }
}

// The length in bits of the key that deriveKey must make.
function derivedLength(algorithm) {
  if (AES_NAMES.includes(algorithm.name)) {
    const length = Number(algorithm.length);
    if (![128, 192, 256].includes(length)) throw operationError('AES key length must be 128, 192 or 256');
    return length;
  }
  if (algorithm.name === 'HMAC') return algorithm.length === undefined ? BLOCK_BITS[hashName(algorithm.hash)] : Number(algorithm.length);
  if (algorithm.name === 'HKDF' || algorithm.name === 'PBKDF2') return null;
  throw notSupported(`${algorithm.name} keys cannot be derived`);
}

function serialize(value) {
  return value instanceof Uint8Array ? toArrayBuffer(value) : value;
}

function usagesOf(usages) {
  if (!Array.isArray(usages) && typeof usages?.[Symbol.iterator] !== 'function') throw new TypeError('keyUsages must be a sequence');
  const out = [...usages].map(String);
  const known = ['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey'];
  for (const u of out) if (!known.includes(u)) throw new TypeError(`'${u}' is not a valid key usage`);
  return out;
}

export const subtle = {
  async digest(algorithm, data) {
    const { name } = normalize(algorithm);
    if (!HASH[name]) throw notSupported(`${name} is not a digest`);
    return toArrayBuffer(HASH[name](copyOf(data)));
  },
  async encrypt(algorithm, key, data) {
    return toArrayBuffer(encryptWith(normalize(algorithm), key, copyOf(data), 'encrypt'));
  },
  async decrypt(algorithm, key, data) {
    return toArrayBuffer(decryptWith(normalize(algorithm), key, copyOf(data), 'decrypt'));
  },
  async sign(algorithm, key, data) {
    return toArrayBuffer(signWith(normalize(algorithm), key, copyOf(data)));
  },
  async verify(algorithm, key, signature, data) {
    return verifyWith(normalize(algorithm), key, copyOf(signature), copyOf(data));
  },
  async generateKey(algorithm, extractable, keyUsages) {
    return generateAny(normalize(algorithm), Boolean(extractable), usagesOf(keyUsages));
  },
  async importKey(format, keyData, algorithm, extractable, keyUsages) {
    return importAny(String(format), keyData, normalize(algorithm), Boolean(extractable), usagesOf(keyUsages));
  },
  async exportKey(format, key) {
    return serialize(exportAny(String(format), key));
  },
  async deriveBits(algorithm, baseKey, length = null) {
    return toArrayBuffer(deriveBitsWith(normalize(algorithm), baseKey, length));
  },
  async deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
    const algo = normalize(algorithm);
    const derived = normalize(derivedKeyType);
    const usages = usagesOf(keyUsages);
    const secret = deriveBitsWith(algo, baseKey, derivedLength(derived), 'deriveKey');
    return importAny('raw', secret, derived, Boolean(extractable), usages);
  },
  async wrapKey(format, key, wrappingKey, wrapAlgorithm) {
    const algo = normalize(wrapAlgorithm);
    const exported = exportAny(String(format), key);
    const bytes = format === 'jwk' ? new TextEncoder().encode(JSON.stringify(exported)) : exported;
    return toArrayBuffer(encryptWith(algo, wrappingKey, bytes, 'wrapKey'));
  },
  async unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, keyUsages) {
    const bytes = decryptWith(normalize(unwrapAlgorithm), unwrappingKey, copyOf(wrappedKey), 'unwrapKey');
    let data = bytes;
    if (format === 'jwk') {
      try {
        data = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        throw dataError('The unwrapped key is not JSON');
      }
    }
    return importAny(String(format), data, normalize(unwrappedKeyAlgorithm), Boolean(extractable), usagesOf(keyUsages));
  },
};
