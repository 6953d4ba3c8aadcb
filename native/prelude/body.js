// Body handling shared by Request and Response. A body is either bytes
// (s.bytes, the common case: the worker sends and receives whole bodies) or a
// stream the handler wrote (s.source), read to the end when needed.
import { native } from './native.js';
import { bufferedBytes, bytesStream, isReadableStream, readAll } from './stream.js';
import { Blob, blobBytes } from './blob.js';
import { FormData, parseFormData, serializeFormData } from './formdata.js';

const { utf8Encode, utf8Decode } = native;

function tagOf(value) {
  return Object.prototype.toString.call(value);
}

// Returns { bytes, source, type } for a BodyInit.
export function extractBody(init) {
  if (init == null) return { bytes: null, source: null, type: null };
  if (typeof init === 'string') return { bytes: utf8Encode(init), source: null, type: 'text/plain;charset=UTF-8' };
  if (init instanceof ArrayBuffer) return { bytes: new Uint8Array(init.slice(0)), source: null, type: null };
  if (ArrayBuffer.isView(init)) {
    return { bytes: new Uint8Array(init.buffer.slice(init.byteOffset, init.byteOffset + init.byteLength)), source: null, type: null };
  }
  if (tagOf(init) === '[object URLSearchParams]') {
    return { bytes: utf8Encode(String(init)), source: null, type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  }
  if (init instanceof Blob) return { bytes: blobBytes(init), source: null, type: init.type || null };
  if (init instanceof FormData) {
    const { bytes, type } = serializeFormData(init);
    return { bytes, source: null, type };
  }
  if (isReadableStream(init)) {
    const bytes = bufferedBytes(init);
    if (bytes !== undefined) return { bytes, source: null, type: null, shared: true };
    return { bytes: null, source: init, type: null };
  }
  return { bytes: utf8Encode(String(init)), source: null, type: 'text/plain;charset=UTF-8' };
}

export function decodeText(bytes) {
  return bytes ? utf8Decode(bytes, false) : '';
}

// Marks the body used and returns its bytes (null for no body).
export async function consumeState(s, limit = Infinity) {
  if (s.used) throw new TypeError('Body has already been consumed.');
  s.used = true;
  if (s.source) {
    const source = s.source;
    s.source = null;
    s.bytes = await readAll(source, limit);
  }
  return s.bytes;
}

// Marks the body used and returns its bytes, when it has no stream to read
// (the caller checked s.source): the same as consumeState without a promise.
function takeBytes(s) {
  if (s.used) throw new TypeError('Body has already been consumed.');
  s.used = true;
  return s.bytes;
}

// For clone(): the body of the copy, { bytes, source, shared }. A body
// stream is split in two, bytes are shared (never mutated).
export function cloneBody(s) {
  if (s.used) throw new TypeError('clone: Body has already been consumed.');
  if (!s.source) {
    s.shared = true;
    return { bytes: s.bytes, source: null, shared: true };
  }
  const [a, b] = s.source.tee();
  s.source = a;
  return { bytes: s.bytes, source: b, shared: s.shared };
}

// Installs body/bodyUsed/text/json/arrayBuffer/bytes/blob on a class whose
// instances keep their state in the object returned by getState, and their
// Headers in what getHeaders returns for that state.
//
// A body without a stream is read without awaiting anything: the promise a
// method returns is settled when it returns.
export function mixinBody(cls, getState, getHeaders) {
  const method = (fn) => ({ value: fn, writable: true, configurable: true });
  Object.defineProperties(cls.prototype, {
    body: {
      get() {
        const s = getState(this);
        if (s.source) return s.source;
        if (s.bytes === null) return null;
        s.shared = true;
        s.bodyStream ??= bytesStream(s.bytes, () => {
          s.used = true;
        });
        return s.bodyStream;
      },
      configurable: true,
    },
    bodyUsed: {
      get() {
        return getState(this).used;
      },
      configurable: true,
    },
    // A body nobody else can see (not cloned, no stream handed out) is given
    // away as it is: a large body is then never held twice.
    arrayBuffer: method(async function arrayBuffer() {
      const s = getState(this);
      const b = s.source ? await consumeState(s) : takeBytes(s);
      if (!b) return new ArrayBuffer(0);
      if (!s.shared && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return b.buffer;
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    }),
    bytes: method(async function bytes() {
      const s = getState(this);
      const b = s.source ? await consumeState(s) : takeBytes(s);
      if (!b) return new Uint8Array(0);
      return s.shared ? new Uint8Array(b) : b;
    }),
    text: method(async function text() {
      const s = getState(this);
      return decodeText(s.source ? await consumeState(s) : takeBytes(s));
    }),
    json: method(async function json() {
      const s = getState(this);
      return JSON.parse(decodeText(s.source ? await consumeState(s) : takeBytes(s)));
    }),
    formData: method(async function formData() {
      const s = getState(this);
      return parseFormData(s.source ? await consumeState(s) : takeBytes(s), getHeaders(s).get('content-type'));
    }),
    blob: method(async function blob() {
      const s = getState(this);
      const b = s.source ? await consumeState(s) : takeBytes(s);
      return new Blob(b ? [b] : [], { type: getHeaders(s).get('content-type') ?? '' });
    }),
  });
}
