// The DER that SPKI and PKCS #8 keys need: a reader for the few structures
// below and writers for them. Not a general ASN.1 library.
import { concatBytes, dataError } from './util.js';

export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaPss: '1.2.840.113549.1.1.10',
  rsaOaep: '1.2.840.113549.1.1.7',
  ecPublicKey: '1.2.840.10045.2.1',
  'P-256': '1.2.840.10045.3.1.7',
  'P-384': '1.3.132.0.34',
  'P-521': '1.3.132.0.35',
  Ed25519: '1.3.101.112',
  X25519: '1.3.101.110',
  'SHA-1': '1.3.14.3.2.26',
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};

/** Reads one TLV at offset: { tag, start, end, content } (content is a view). */
export function readTlv(bytes, offset = 0) {
  if (offset + 2 > bytes.length) throw dataError('truncated DER');
  const tag = bytes[offset];
  let len = bytes[offset + 1];
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > bytes.length) throw dataError('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[p + i];
    p += n;
  }
  if (p + len > bytes.length) throw dataError('truncated DER');
  return { tag, start: offset, end: p + len, content: bytes.subarray(p, p + len) };
}

/** The TLVs inside a constructed value, with their tags checked when given. */
export function children(tlv, tags = undefined) {
  const out = [];
  for (let p = 0; p < tlv.content.length; ) {
    const c = readTlv(tlv.content, p);
    out.push(c);
    p = c.end;
  }
  if (tags) {
    for (let i = 0; i < tags.length; i++) {
      if (tags[i] !== null && (!out[i] || out[i].tag !== tags[i])) throw dataError('unexpected DER structure');
    }
  }
  return out;
}

export function readOid(tlv) {
  if (tlv.tag !== 0x06) throw dataError('expected an OBJECT IDENTIFIER');
  const b = tlv.content;
  const parts = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if (!(b[i] & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** An INTEGER's content without its sign byte. */
export function readUnsigned(tlv) {
  if (tlv.tag !== 0x02) throw dataError('expected an INTEGER');
  let b = tlv.content;
  while (b.length > 1 && b[0] === 0) b = b.subarray(1);
  return b;
}

export function tlv(tag, content) {
  const n = content.length;
  let head;
  if (n < 0x80) head = [tag, n];
  else if (n < 0x100) head = [tag, 0x81, n];
  else if (n < 0x10000) head = [tag, 0x82, n >> 8, n & 255];
  else head = [tag, 0x83, n >> 16, (n >> 8) & 255, n & 255];
  return concatBytes(new Uint8Array(head), content);
}

export const seq = (...items) => tlv(0x30, concatBytes(...items));
export const octets = (bytes) => tlv(0x04, bytes);
export const bits = (bytes) => tlv(0x03, concatBytes(new Uint8Array([0]), bytes));
export const NULL = new Uint8Array([0x05, 0x00]);

export function unsigned(bytes) {
  let b = bytes;
  while (b.length > 1 && b[0] === 0) b = b.subarray(1);
  return tlv(0x02, b[0] & 0x80 ? concatBytes(new Uint8Array([0]), b) : b);
}

export function oid(dotted) {
  const parts = dotted.split('.').map(Number);
  const out = [parts[0] * 40 + parts[1]];
  for (const v of parts.slice(2)) {
    const chunk = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) chunk.unshift((x & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, new Uint8Array(out));
}

/** SubjectPublicKeyInfo -> { oid, params (TLV or undefined), key (bytes) }. */
export function readSpki(bytes) {
  const top = readTlv(bytes);
  if (top.tag !== 0x30 || top.end !== bytes.length) throw dataError('not an SPKI structure');
  const [alg, key] = children(top, [0x30, 0x03]);
  const [id, params] = children(alg, [0x06]);
  if (key.content[0] !== 0) throw dataError('unused bits in the SPKI key');
  return { oid: readOid(id), params, key: key.content.subarray(1) };
}

/** PrivateKeyInfo (PKCS #8) -> { oid, params, key (bytes) }. */
export function readPkcs8(bytes) {
  const top = readTlv(bytes);
  if (top.tag !== 0x30 || top.end !== bytes.length) throw dataError('not a PKCS #8 structure');
  const [, alg, key] = children(top, [0x02, 0x30, 0x04]);
  const [id, params] = children(alg, [0x06]);
  return { oid: readOid(id), params, key: key.content };
}

export const spki = (algorithmId, key) => seq(algorithmId, bits(key));
export const pkcs8 = (algorithmId, key) => seq(tlv(0x02, new Uint8Array([0])), algorithmId, octets(key));
