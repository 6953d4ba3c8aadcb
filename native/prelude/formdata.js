// FormData, its multipart/form-data serialisation (as a body) and parsing
// (Body.formData() for multipart/form-data and urlencoded bodies).
import { native } from './native.js';
import { Blob, File, blobBytes } from './blob.js';
import { loadUrl } from './lazy-url.js';

const { utf8Encode, utf8Decode } = native;

function entryValue(value, filename) {
  if (value instanceof Blob) {
    if (value instanceof File && filename === undefined) return value;
    return new File([value], filename === undefined ? (value instanceof File ? value.name : 'blob') : String(filename), { type: value.type });
  }
  return String(value);
}

export let formEntries;

export class FormData {
  #entries = [];

  static {
    formEntries = (f) => f.#entries;
  }

  constructor(form = undefined) {
    if (form !== undefined) throw new TypeError("Failed to construct 'FormData': there are no HTML forms here");
  }
  append(name, value, filename = undefined) {
    this.#entries.push([String(name), entryValue(value, filename)]);
  }
  delete(name) {
    name = String(name);
    this.#entries = this.#entries.filter((e) => e[0] !== name);
  }
  get(name) {
    name = String(name);
    const e = this.#entries.find((x) => x[0] === name);
    return e ? e[1] : null;
  }
  getAll(name) {
    name = String(name);
    return this.#entries.filter((e) => e[0] === name).map((e) => e[1]);
  }
  has(name) {
    name = String(name);
    return this.#entries.some((e) => e[0] === name);
  }
  set(name, value, filename = undefined) {
    name = String(name);
    const entry = [name, entryValue(value, filename)];
    const i = this.#entries.findIndex((e) => e[0] === name);
    if (i < 0) {
      this.#entries.push(entry);
      return;
    }
    this.#entries[i] = entry;
    this.#entries = this.#entries.filter((e, j) => j <= i || e[0] !== name);
  }
  forEach(callback, thisArg = undefined) {
    for (const [n, v] of this.#entries) callback.call(thisArg, v, n, this);
  }
  *entries() {
    for (const [n, v] of this.#entries) yield [n, v];
  }
  *keys() {
    for (const [n] of this.#entries) yield n;
  }
  *values() {
    for (const [, v] of this.#entries) yield v;
  }
  [Symbol.iterator]() {
    return this.entries();
  }
  get [Symbol.toStringTag]() {
    return 'FormData';
  }
}

const escapeName = (s) => s.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');

// multipart/form-data body and its content type.
export function serializeFormData(form) {
  const boundary = '----bunbase-' + Array.from(native.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
  const parts = [];
  for (const [name, value] of formEntries(form)) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"`;
    if (typeof value === 'string') {
      parts.push(utf8Encode(`${head}\r\n\r\n`), utf8Encode(value.replace(/\r(?!\n)|(?<!\r)\n/g, '\r\n')), utf8Encode('\r\n'));
    } else {
      head += `; filename="${escapeName(value.name)}"\r\nContent-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`;
      parts.push(utf8Encode(head), blobBytes(value), utf8Encode('\r\n'));
    }
  }
  parts.push(utf8Encode(`--${boundary}--\r\n`));
  let size = 0;
  for (const p of parts) size += p.length;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) {
    bytes.set(p, offset);
    offset += p.length;
  }
  return { bytes, type: `multipart/form-data; boundary=${boundary}` };
}

function indexOf(bytes, needle, from) {
  const first = needle[0];
  outer: for (let i = bytes.indexOf(first, from); i >= 0 && i <= bytes.length - needle.length; i = bytes.indexOf(first, i + 1)) {
    for (let k = 1; k < needle.length; k++) if (bytes[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

function param(header, name) {
  const m = new RegExp(`;\\s*${name}="((?:[^"\\\\]|\\\\.)*)"|;\\s*${name}=([^;\\s]+)`, 'i').exec(header);
  if (!m) return null;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}

// Body.formData(): multipart/form-data or application/x-www-form-urlencoded.
export function parseFormData(bytes, contentType) {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const form = new FormData();
  if (type === 'application/x-www-form-urlencoded') {
    const { URLSearchParams } = loadUrl();
    for (const [k, v] of new URLSearchParams(bytes ? utf8Decode(bytes, false) : '')) form.append(k, v);
    return form;
  }
  if (type !== 'multipart/form-data') throw new TypeError(`Could not parse content as FormData: content-type is ${contentType ?? 'missing'}`);
  const boundary = param(contentType, 'boundary');
  if (!boundary) throw new TypeError('Could not parse content as FormData: no multipart boundary');
  bytes ??= new Uint8Array(0);
  const delimiter = utf8Encode(`--${boundary}`);
  const crlfcrlf = utf8Encode('\r\n\r\n');
  let pos = indexOf(bytes, delimiter, 0);
  if (pos < 0) throw new TypeError('Could not parse content as FormData: boundary not found');
  for (;;) {
    pos += delimiter.length;
    if (bytes[pos] === 0x2d && bytes[pos + 1] === 0x2d) break; // "--": the end
    if (bytes[pos] === 0x0d && bytes[pos + 1] === 0x0a) pos += 2;
    const headEnd = indexOf(bytes, crlfcrlf, pos);
    if (headEnd < 0) throw new TypeError('Could not parse content as FormData: truncated part headers');
    const headers = utf8Decode(bytes.subarray(pos, headEnd), false).split('\r\n');
    const bodyStart = headEnd + 4;
    const next = indexOf(bytes, utf8Encode(`\r\n--${boundary}`), bodyStart);
    if (next < 0) throw new TypeError('Could not parse content as FormData: missing closing boundary');
    const body = bytes.subarray(bodyStart, next);
    let disposition = '';
    let partType = '';
    for (const h of headers) {
      const i = h.indexOf(':');
      const hn = h.slice(0, i).trim().toLowerCase();
      if (hn === 'content-disposition') disposition = h.slice(i + 1);
      else if (hn === 'content-type') partType = h.slice(i + 1).trim();
    }
    const name = param(disposition, 'name');
    if (name !== null) {
      const filename = param(disposition, 'filename');
      if (filename !== null) form.append(name, new File([body.slice()], filename, { type: partType }));
      else form.append(name, utf8Decode(body, false));
    }
    pos = next + 2;
  }
  return form;
}
