// Body handling shared by Request and Response. Bodies are buffered: the
// worker receives and sends whole bodies, so a body is one Uint8Array.
import { native } from './native.js';
import { SimpleStream } from './stream.js';
import { Blob, blobBytes } from './blob.js';

const { utf8Encode, utf8Decode } = native;

function tagOf(value) {
  return Object.prototype.toString.call(value);
}

// Returns { bytes, type } for a BodyInit.
export function extractBody(init) {
  if (init == null) return { bytes: null, type: null };
  if (typeof init === 'string') return { bytes: utf8Encode(init), type: 'text/plain;charset=UTF-8' };
  if (init instanceof ArrayBuffer) return { bytes: new Uint8Array(init.slice(0)), type: null };
  if (ArrayBuffer.isView(init)) {
    return { bytes: new Uint8Array(init.buffer.slice(init.byteOffset, init.byteOffset + init.byteLength)), type: null };
  }
  if (tagOf(init) === '[object URLSearchParams]') {
    return { bytes: utf8Encode(String(init)), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  }
  if (init instanceof SimpleStream) return { bytes: init._bytes, type: null };
  if (init instanceof Blob) return { bytes: blobBytes(init), type: init.type || null };
  return { bytes: utf8Encode(String(init)), type: 'text/plain;charset=UTF-8' };
}

export function decodeText(bytes) {
  return bytes ? utf8Decode(bytes, false) : '';
}

// Installs text/json/arrayBuffer/bytes/body/bodyUsed on a class whose
// instances keep their state in a `state` object returned by getState.
export function mixinBody(cls, getState) {
  function consume(self) {
    const s = getState(self);
    if (s.used) throw new TypeError('Body has already been consumed.');
    s.used = true;
    return s.bytes;
  }
  Object.defineProperties(cls.prototype, {
    body: {
      get() {
        const s = getState(this);
        if (s.bytes === null) return null;
        s.stream ??= new SimpleStream(s.bytes, () => {
          s.used = true;
        });
        return s.stream;
      },
      configurable: true,
    },
    bodyUsed: {
      get() {
        return getState(this).used;
      },
      configurable: true,
    },
    arrayBuffer: {
      async value() {
        const b = consume(this);
        return b ? b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) : new ArrayBuffer(0);
      },
      writable: true,
      configurable: true,
    },
    bytes: {
      async value() {
        const b = consume(this);
        return b ? new Uint8Array(b) : new Uint8Array(0);
      },
      writable: true,
      configurable: true,
    },
    text: {
      async value() {
        return decodeText(consume(this));
      },
      writable: true,
      configurable: true,
    },
    json: {
      async value() {
        return JSON.parse(decodeText(consume(this)));
      },
      writable: true,
      configurable: true,
    },
    blob: {
      async value() {
        const b = consume(this);
        return new Blob(b ? [b] : [], { type: getState(this).headers.get('content-type') ?? '' });
      },
      writable: true,
      configurable: true,
    },
  });
}
