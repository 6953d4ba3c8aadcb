// structuredClone after HTML's StructuredSerialize/Deserialize, in one
// pass (the two halves are never apart here): primitives, the wrapper
// objects, Date, RegExp, ArrayBuffer (transferable), typed arrays and
// DataView (sharing the copied buffer as the originals share theirs), Map,
// Set, the Error types (name, message, stack), Blob and File, arrays and plain objects (own
// enumerable string keys, read with [[Get]], so getters become values).
// Symbols, functions and other platform objects are a DataCloneError.
// Written in JS rather than over the engine's serializer, which refuses
// accessors, drops Errors and has no notion of Blob or of transfer.
import { Blob, File, blobBytes } from './blob.js';

const ERROR_NAMES = new Set(['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError']);
const TYPED_ARRAYS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  ...(typeof Float16Array === 'function' ? [Float16Array] : []),
];
const ENGINE_UNCLONEABLE = new Set(
  ['Promise', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Generator', 'AsyncGenerator', 'Symbol', 'SharedArrayBuffer', 'Module'].map((n) => `[object ${n}]`),
);
const { toString } = Object.prototype;
const detached = (buffer) => buffer.detached === true;

function cloneError(message) {
  return new DOMException(message, 'DataCloneError');
}

function copyProperties(source, target, memory) {
  for (const key of Object.keys(source)) target[key] = clone(source[key], memory);
}

function clone(value, memory) {
  const type = typeof value;
  if (type === 'symbol') throw cloneError(`${String(value)} could not be cloned.`);
  if (type === 'function') throw cloneError(`${value.name || 'function'} could not be cloned.`);
  if (value === null || type !== 'object') return value;
  if (memory.has(value)) return memory.get(value);
  let out;
  if (Array.isArray(value)) {
    out = new Array(value.length);
    memory.set(value, out);
    copyProperties(value, out, memory);
    return out;
  }
  const tag = toString.call(value);
  switch (tag) {
    case '[object Boolean]':
      out = Object(Boolean.prototype.valueOf.call(value));
      break;
    case '[object Number]':
      out = Object(Number.prototype.valueOf.call(value));
      break;
    case '[object String]':
      out = Object(String.prototype.valueOf.call(value));
      break;
    case '[object BigInt]':
      out = Object(BigInt.prototype.valueOf.call(value));
      break;
    case '[object Date]':
      out = new Date(Date.prototype.getTime.call(value));
      break;
    case '[object RegExp]':
      out = new RegExp(value.source, value.flags);
      break;
    case '[object ArrayBuffer]':
      if (detached(value)) throw cloneError('An ArrayBuffer is detached and could not be cloned.');
      out = value.slice(0);
      break;
    case '[object DataView]':
    case '[object Map]':
    case '[object Set]':
    case '[object Error]':
      break;
    default:
      if (ArrayBuffer.isView(value) || value instanceof Blob) break;
      // Other objects of the platform (Request, Headers, streams, ...) and
      // of the engine (WeakMap, Promise, ...) cannot be cloned; ordinary
      // objects, class instances included, become plain objects.
      if (ENGINE_UNCLONEABLE.has(tag) || isPlatformObject(value)) throw cloneError(`${tag.slice(8, -1)} object could not be cloned.`);
      out = {};
      memory.set(value, out);
      copyProperties(value, out, memory);
      return out;
  }
  if (out !== undefined) {
    memory.set(value, out);
    return out;
  }
  if (ArrayBuffer.isView(value)) {
    const buffer = clone(value.buffer, memory);
    if (value instanceof DataView) out = new DataView(buffer, value.byteOffset, value.byteLength);
    else out = new (TYPED_ARRAYS.find((C) => value instanceof C))(buffer, value.byteOffset, value.length);
    memory.set(value, out);
    return out;
  }
  if (value instanceof Blob) {
    const bytes = blobBytes(value);
    out = value instanceof File ? new File([bytes], value.name, { type: value.type, lastModified: value.lastModified }) : new Blob([bytes], { type: value.type });
    memory.set(value, out);
    return out;
  }
  if (tag === '[object Map]') {
    out = new Map();
    memory.set(value, out);
    const entries = [...Map.prototype.entries.call(value)];
    for (const [k, v] of entries) out.set(clone(k, memory), clone(v, memory));
    return out;
  }
  if (tag === '[object Set]') {
    out = new Set();
    memory.set(value, out);
    const values = [...Set.prototype.values.call(value)];
    for (const v of values) out.add(clone(v, memory));
    return out;
  }
  // An Error: its name if it is one of the standard ones (else "Error"),
  // message and stack (HTML serializes no `cause`).
  const name = String(value.name);
  const Ctor = ERROR_NAMES.has(name) ? globalThis[name] : Error;
  const desc = Object.getOwnPropertyDescriptor(value, 'message');
  out = desc ? new Ctor(String(value.message)) : new Ctor();
  memory.set(value, out);
  if (typeof value.stack === 'string') Object.defineProperty(out, 'stack', { value: value.stack, writable: true, configurable: true, enumerable: false });
  return out;
}

// Objects of the platform's classes (looked up when needed: some are lazy).
const PLATFORM = [
  'Request',
  'Response',
  'Headers',
  'FormData',
  'AbortController',
  'AbortSignal',
  'Event',
  'EventTarget',
  'URL',
  'URLSearchParams',
  'CryptoKey',
  'ReadableStream',
  'WritableStream',
  'TransformStream',
  'TextEncoder',
  'TextDecoder',
];
function isPlatformObject(value) {
  const proto = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) return false;
  for (const name of PLATFORM) {
    const C = Object.getOwnPropertyDescriptor(globalThis, name)?.value;
    if (typeof C === 'function' && value instanceof C) return true;
  }
  return false;
}

export function structuredClone(value, options = undefined) {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'structuredClone': 1 argument required, but only 0 present.");
  const transfer = options?.transfer === undefined ? [] : Array.from(options.transfer);
  const seen = new Set();
  for (const t of transfer) {
    if (toString.call(t) !== '[object ArrayBuffer]') throw cloneError('Value at index is not a transferable type.');
    if (seen.has(t)) throw cloneError('ArrayBuffer at index is a duplicate of an earlier ArrayBuffer.');
    if (detached(t)) throw cloneError('An ArrayBuffer is detached and could not be transferred.');
    seen.add(t);
  }
  const memory = new Map();
  // Transferred buffers move: the clone gets their contents and the
  // originals are detached, once the clone is done (views of them are read
  // during it).
  for (const t of transfer) memory.set(t, t.slice(0));
  const out = clone(value, memory);
  for (const t of transfer) t.transfer();
  return out;
}
