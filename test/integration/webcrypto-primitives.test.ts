import { createCipheriv, createECDH, generateKeyPairSync, hkdfSync, pbkdf2Sync, publicEncrypt, constants, diffieHellman, createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

// crypto.subtle's algorithms give the bytes node:crypto (OpenSSL) gives, and
// its keys move between formats and through wrapKey/unwrapKey intact.
const HANDLER = `
const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
const unhex = (h) => new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16)));
const s = crypto.subtle;
export default async (req) => {
  const v = await req.json();
  const key = unhex(v.key);
  const iv = unhex(v.iv);
  const data = unhex(v.data);
  const aes = (name) => s.importKey('raw', key, name, true, ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey']);
  const out = {};
  out.gcm = hex(await s.encrypt({ name: 'AES-GCM', iv: iv.subarray(0, 12), additionalData: unhex('aabb') }, await aes('AES-GCM'), data));
  out.cbc = hex(await s.encrypt({ name: 'AES-CBC', iv }, await aes('AES-CBC'), data));
  out.ctr = hex(await s.encrypt({ name: 'AES-CTR', counter: iv, length: 64 }, await aes('AES-CTR'), data));
  out.ctrWrap = hex(await s.encrypt({ name: 'AES-CTR', counter: unhex('000102030405060708090a0b0c0d0eff'), length: 8 }, await aes('AES-CTR'), data));
  out.gcmTampered = await s.decrypt({ name: 'AES-GCM', iv: iv.subarray(0, 12) }, await aes('AES-GCM'), unhex(out.gcm)).then(() => 'accepted', (e) => e.name);
  const kw = await s.importKey('raw', key, 'AES-KW', false, ['wrapKey', 'unwrapKey']);
  const inner = await s.importKey('raw', data.subarray(0, 16), { name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
  const wrapped = await s.wrapKey('raw', inner, kw, 'AES-KW');
  out.kw = hex(wrapped);
  const unwrapped = await s.unwrapKey('raw', wrapped, kw, 'AES-KW', { name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
  out.kwBack = hex(await s.exportKey('raw', unwrapped));
  const pw = await s.importKey('raw', unhex(v.data), 'PBKDF2', false, ['deriveBits', 'deriveKey']);
  out.pbkdf2 = hex(await s.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: iv, iterations: 1000 }, pw, 256));
  const ikm = await s.importKey('raw', key, 'HKDF', false, ['deriveBits', 'deriveKey']);
  out.hkdf = hex(await s.deriveBits({ name: 'HKDF', hash: 'SHA-384', salt: iv, info: unhex('0102') }, ikm, 336));
  const derived = await s.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: iv, info: new Uint8Array(0) }, ikm, { name: 'AES-GCM', length: 128 }, true, ['encrypt']);
  out.derivedAlg = derived.algorithm;
  const ecPriv = await s.importKey('jwk', v.ecJwk, { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  const ecPub = await s.importKey('raw', unhex(v.ecPeer), { name: 'ECDH', namedCurve: 'P-256' }, true, []);
  out.ecdh = hex(await s.deriveBits({ name: 'ECDH', public: ecPub }, ecPriv, 256));
  const xPriv = await s.importKey('pkcs8', unhex(v.xPkcs8), 'X25519', false, ['deriveBits']);
  const xPub = await s.importKey('spki', unhex(v.xPeerSpki), 'X25519', true, []);
  out.x25519 = hex(await s.deriveBits({ name: 'X25519', public: xPub }, xPriv, 256));
  const rsaPriv = await s.importKey('pkcs8', unhex(v.rsaPkcs8), { name: 'RSA-OAEP', hash: 'SHA-256' }, true, ['decrypt']);
  out.oaep = new TextDecoder().decode(await s.decrypt({ name: 'RSA-OAEP' }, rsaPriv, unhex(v.oaep)));
  const jwk = await s.exportKey('jwk', rsaPriv);
  out.rsaJwk = [jwk.kty, jwk.alg, jwk.key_ops, typeof jwk.qi];
  out.rsaPkcs8Same = hex(await s.exportKey('pkcs8', rsaPriv)) === v.rsaPkcs8;
  out.rsaAlg = [rsaPriv.algorithm.modulusLength, hex(rsaPriv.algorithm.publicExponent), rsaPriv.algorithm.hash.name, rsaPriv.type];
  out.badUsage = await s.importKey('raw', key, 'AES-GCM', false, ['sign']).then(() => 'accepted', (e) => e.name);
  out.noExport = await s.exportKey('raw', kw).then(() => 'exported', (e) => e.name);
  out.badLength = await s.importKey('raw', new Uint8Array(7), 'AES-GCM', false, ['encrypt']).then(() => 'accepted', (e) => e.name);
  out.unknown = await s.digest('MD5', data).then(() => 'digested', (e) => e.name);
  const gcmKey = await aes('AES-GCM');
  const short = await s.encrypt({ name: 'AES-GCM', iv: iv.subarray(0, 12), tagLength: 96 }, gcmKey, data);
  out.gcm96 = hex(short);
  out.gcm96Back = new TextDecoder().decode(await s.decrypt({ name: 'AES-GCM', iv: iv.subarray(0, 12), tagLength: 96 }, gcmKey, short)) === new TextDecoder().decode(data);
  const flipped = new Uint8Array(short);
  flipped[flipped.length - 1] ^= 1;
  out.gcm96Tampered = await s.decrypt({ name: 'AES-GCM', iv: iv.subarray(0, 12), tagLength: 96 }, gcmKey, flipped).then(() => 'accepted', (e) => e.name);
  out.gcmBadTag = await s.encrypt({ name: 'AES-GCM', iv: iv.subarray(0, 12), tagLength: 100 }, gcmKey, data).then(() => 'accepted', (e) => e.name);
  const ecdsa = await s.importKey('jwk', v.ecJwk, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
  out.ecdsaJwkMembers = Object.keys(await s.exportKey('jwk', ecdsa)).sort();
  out.privateAsSpki = await s.exportKey('spki', ecdsa).then(() => 'exported', (e) => e.name);
  out.rsaAsRaw = await s.exportKey('raw', rsaPriv).then(() => 'exported', (e) => e.name);
  out.noUsages = await s.importKey('raw', key, 'AES-GCM', true, []).then(() => 'accepted', (e) => e.name);
  out.interfaces = [Object.prototype.toString.call(crypto), Object.prototype.toString.call(s), crypto instanceof Crypto, s instanceof SubtleCrypto];
  out.floatRandom = (() => { try { crypto.getRandomValues(new Float32Array(4)); return 'filled'; } catch (e) { return [e instanceof DOMException, e.name]; } })();
  return Response.json(out);
};`;

const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const iv = Buffer.from('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff', 'hex');
const data = Buffer.from('the quick brown fox jumps over the lazy dog, twice over'.repeat(2));
const aad = Buffer.from('aabb', 'hex');

function expected() {
  const gcm = createCipheriv('aes-256-gcm', key, iv.subarray(0, 12));
  gcm.setAAD(aad);
  const gcmOut = Buffer.concat([gcm.update(data), gcm.final(), gcm.getAuthTag()]);
  const cbc = createCipheriv('aes-256-cbc', key, iv);
  const ctr = createCipheriv('aes-256-ctr', key, iv);
  // A counter of 8 bits that wraps after one block: the high bytes stay.
  const first = createCipheriv('aes-256-ctr', key, Buffer.from('000102030405060708090a0b0c0d0eff', 'hex')).update(data.subarray(0, 16));
  const rest = createCipheriv('aes-256-ctr', key, Buffer.from('000102030405060708090a0b0c0d0e00', 'hex')).update(data.subarray(16));
  const kw = createCipheriv('id-aes256-wrap', key, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
  const gcm96 = createCipheriv('aes-256-gcm', key, iv.subarray(0, 12), { authTagLength: 12 });
  const gcm96Out = Buffer.concat([gcm96.update(data), gcm96.final(), gcm96.getAuthTag()]);
  return {
    gcm: gcmOut.toString('hex'),
    gcm96: gcm96Out.toString('hex'),
    cbc: Buffer.concat([cbc.update(data), cbc.final()]).toString('hex'),
    ctr: Buffer.concat([ctr.update(data), ctr.final()]).toString('hex'),
    ctrWrap: Buffer.concat([first, rest]).toString('hex'),
    kw: Buffer.concat([kw.update(data.subarray(0, 16)), kw.final()]).toString('hex'),
    pbkdf2: pbkdf2Sync(data, iv, 1000, 32, 'sha256').toString('hex'),
    hkdf: Buffer.from(hkdfSync('sha384', key, iv, Buffer.from('0102', 'hex'), 42)).toString('hex'),
  };
}

let body = '';
let want: Record<string, unknown> = {};

beforeAll(() => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const peer = createECDH('prime256v1');
  peer.generateKeys();
  const ecJwk = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: ecdh.getPrivateKey().toString('base64url'), x: ecdh.getPublicKey().subarray(1, 33).toString('base64url'), y: ecdh.getPublicKey().subarray(33).toString('base64url') }, format: 'jwk' }).export({ format: 'jwk' });
  const x = generateKeyPairSync('x25519');
  const xPeer = generateKeyPairSync('x25519');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const oaep = publicEncrypt({ key: rsa.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from('oaep from node'));
  body = JSON.stringify({
    key: key.toString('hex'),
    iv: iv.toString('hex'),
    data: data.toString('hex'),
    ecJwk,
    ecPeer: peer.getPublicKey().toString('hex'),
    xPkcs8: x.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('hex'),
    xPeerSpki: xPeer.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
    rsaPkcs8: rsa.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('hex'),
    oaep: oaep.toString('hex'),
  });
  want = {
    ...expected(),
    ecdh: ecdh.computeSecret(peer.getPublicKey()).toString('hex'),
    x25519: diffieHellman({ privateKey: x.privateKey, publicKey: xPeer.publicKey }).toString('hex'),
  };
});

describe.each(RUNTIMES)('%s: crypto.subtle primitives', (runtime) => {
  let p: Pool;
  beforeAll(() => {
    p = pool(runtime, HANDLER, { maxWorkers: 1 });
  });
  afterAll(async () => p.close());

  it('match node:crypto and keep keys intact across formats', async () => {
    const out = (await p.invoke({ method: 'POST', path: '/', body })).json() as Record<string, unknown>;
    expect(out).toEqual({
      ...want,
      gcmTampered: 'OperationError',
      kwBack: data.subarray(0, 16).toString('hex'),
      derivedAlg: { name: 'AES-GCM', length: 128 },
      oaep: 'oaep from node',
      rsaJwk: ['RSA', 'RSA-OAEP-256', ['decrypt'], 'string'],
      rsaPkcs8Same: true,
      rsaAlg: [2048, '010001', 'SHA-256', 'private'],
      badUsage: 'SyntaxError',
      noExport: 'InvalidAccessError',
      badLength: 'DataError',
      unknown: 'NotSupportedError',
      gcm96Back: true,
      gcm96Tampered: 'OperationError',
      gcmBadTag: 'OperationError',
      ecdsaJwkMembers: ['crv', 'd', 'ext', 'key_ops', 'kty', 'x', 'y'],
      privateAsSpki: 'InvalidAccessError',
      rsaAsRaw: 'NotSupportedError',
      noUsages: 'SyntaxError',
      interfaces: ['[object Crypto]', '[object SubtleCrypto]', true, true],
      floatRandom: [true, 'TypeMismatchError'],
    });
  });
});
