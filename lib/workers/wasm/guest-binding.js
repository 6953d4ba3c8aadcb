// The prelude's binding for the quickjs-wasm runtime: the JavaScript twin of
// native/mod_*.c (docs/prelude-binding.md is the contract both keep). It runs
// inside the sandbox's context before the prelude, builds the `native` object
// the prelude takes from globalThis.__qw, and leaves the host an entry object
// (globalThis.__qw_entry) that the host takes and removes before any handler
// code runs. Everything that needs the outside world goes through the raw host
// functions in globalThis.__qw_host, which are taken and removed here.
import { describeThrown, isCapabilityDenied } from '../../thrown-value.ts';
import { installDisposables } from './disposables.js';
import { BASE64_ALPHABET, installUint8Base64 } from './uint8-base64.js';

(() => {
  const host = globalThis.__qw_host;
  delete globalThis.__qw_host;
  const options = host.options();
  const jsonParse = JSON.parse;
  const jsonStringify = JSON.stringify;
  // Text to the host: whole when the host reads strings whole (options.exactStrings,
  // engine-strings.ts); otherwise one with a NUL goes as JSON, which has none.
  const toHost = (s) => (options.exactStrings || !s.includes('\0') ? s : [jsonStringify(s)]);
  const fromHost = (r) => (typeof r === 'string' ? r : jsonParse(r[0]));

  // Strings cross to the host as UTF-8, where a lone surrogate would become
  // three replacement characters: the Encoding Standard wants one.
  const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
  const wellFormed = (s) =>
    typeof s.isWellFormed === 'function' ? (s.isWellFormed() ? s : s.toWellFormed()) : s.replace(LONE_SURROGATE, '\uFFFD');
  // A host call costs about as much as encoding a short ASCII string here, code unit by code
  // unit (bodies like 'ok', header-sized text): those never leave the engine.
  const SHORT_TEXT = 16;
  const charCodeAt = String.prototype.charCodeAt;
  const Bytes = Uint8Array;
  const hostEncode = (s) => new Bytes(host.utf8Encode(toHost(wellFormed(s))));
  function utf8Encode(value) {
    const s = String(value);
    const n = s.length;
    if (n > SHORT_TEXT) return hostEncode(s);
    const out = new Bytes(n);
    for (let i = 0; i < n; i++) {
      const c = charCodeAt.call(s, i);
      if (c > 0x7f) return hostEncode(s);
      out[i] = c;
    }
    return out;
  }
  const u8 = (buffer) => (buffer === null || buffer === undefined ? null : new Uint8Array(buffer));
  // The host copies bytes out of an ArrayBuffer; a view is cut to its own bytes first.
  const bufferOf = (bytes) =>
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? bytes.buffer
      : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const viewBytes = (v) => {
    if (v instanceof Uint8Array) return v;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    throw new TypeError('expected bytes');
  };

  // ---- the prelude's callbacks, the timers, pending host work -------------
  let callbacks = null;
  const timers = new Map();
  const calls = new Map();
  const fsOps = new Map();

  // What the handler threw, read so that reading cannot throw or grow without bound (thrown-value.ts).
  const errorInfo = describeThrown;

  function addTimer(fn, delay, args, repeat) {
    if (typeof fn !== 'function') {
      throw new TypeError(`The callback of ${repeat ? 'setInterval' : 'setTimeout'} must be a function (strings are not evaluated)`);
    }
    let ms = Number(delay);
    if (!(ms >= 1)) ms = repeat ? 1 : 0;
    if (ms > 2147483647) ms = 1;
    const id = host.timer(ms, repeat);
    timers.set(id, { fn, args, repeat });
    return id;
  }

  function clearTimer(id) {
    if (typeof id !== 'number' || !timers.has(id)) return;
    timers.delete(id);
    host.clearTimer(id);
  }

  const INTEGER_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array'];

  function getRandomValues(array) {
    const tag = ArrayBuffer.isView(array) ? Object.prototype.toString.call(array).slice(8, -1) : '';
    if (!INTEGER_ARRAYS.includes(tag)) throw new TypeError('crypto.getRandomValues: the argument must be an integer TypedArray');
    if (array.byteLength > 65536) {
      throw new RangeError(`crypto.getRandomValues: ${array.byteLength} bytes requested, at most 65536 are allowed (QuotaExceededError)`);
    }
    if (array.byteLength > 0) new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(new Uint8Array(host.random(array.byteLength)));
    return array;
  }

  const HEX = '0123456789abcdef';
  function randomUUID() {
    const b = new Uint8Array(host.random(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let out = '';
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
      out += HEX[b[i] >> 4] + HEX[b[i] & 15];
    }
    return out;
  }

  function hostCall(op, args) {
    return new Promise((resolve, reject) => {
      const call = host.call(String(op), jsonStringify(args));
      calls.set(call, { resolve, reject });
    });
  }

  function fsOp(op, path, data, a, b) {
    if (typeof path !== 'string') throw new TypeError('The "path" argument must be a string');
    return new Promise((resolve, reject) => {
      const id = host.fs(op, path, data === null ? undefined : bufferOf(viewBytes(data)), Boolean(a), Boolean(b));
      fsOps.set(id, { resolve, reject });
    });
  }

  const native = {
    env: jsonParse(options.env),
    allowEval: options.allowEval,
    allowFilesystem: options.allowFilesystem,
    projectId: options.projectId,
    engineVersion: options.engineVersion,
    maxBodyBytes: options.maxBodyBytes,
    setup(o) {
      if (o === null || typeof o !== 'object') throw new TypeError('setup expects an object');
      callbacks = o;
    },
    respond(id, status, statusText, headers, bytes) {
      const head = jsonStringify([Number(status), String(statusText), headers.map(([n, v]) => [String(n), String(v)])]);
      // Absent bytes are undefined, never null: the host tells the two apart by type only.
      host.respond(Number(id), head, bytes === null || bytes === undefined ? undefined : bufferOf(viewBytes(bytes)));
    },
    fail(id, error, named) {
      const code =
        named === 'RESPONSE_TOO_LARGE'
          ? named
          : isCapabilityDenied(error)
            ? 'CAPABILITY_DENIED'
            : 'HANDLER_ERROR';
      const info = errorInfo(error);
      host.fail(Number(id), code, toHost(info.name), toHost(info.message), info.stack === undefined ? undefined : toHost(info.stack));
    },
    currentId: () => host.currentId(),
    loadLazy: (name) => host.loadLazy(String(name)),
    denyEval: (what) => host.denyEval(String(what)),
    log: (level, message) => host.log(String(level), toHost(wellFormed(String(message)))),
    setTimeout: (fn, delay, ...args) => addTimer(fn, delay, args, false),
    setInterval: (fn, delay, ...args) => addTimer(fn, delay, args, true),
    clearTimeout: clearTimer,
    clearInterval: clearTimer,
    utf8Encode,
    utf8Decode: (bytes, fatal) => (bytes.byteLength === 0 ? '' : fromHost(host.utf8Decode(bufferOf(viewBytes(bytes)), fatal ? 1 : 0))),
    base64Encode: (bytes) => host.base64Encode(bufferOf(viewBytes(bytes))),
    base64Decode: (s) => new Uint8Array(host.base64Decode(String(s))),
    getRandomValues,
    randomUUID,
    hostCall,
    fsReadFile: (path) => fsOp(0, path, null),
    fsWriteFile: (path, bytes, append) => fsOp(1, path, bytes, append),
    fsReaddir: (path) => fsOp(2, path, null),
    fsStat: (path) => fsOp(3, path, null),
    fsMkdir: (path, recursive) => fsOp(4, path, null, recursive),
    fsRm: (path, recursive, force) => fsOp(5, path, null, recursive, force),
  };
  if (!options.allowFilesystem) {
    // As in mod_fs.c: without the capability the functions are not handed to the prelude.
    for (const name of ['fsReadFile', 'fsWriteFile', 'fsReaddir', 'fsStat', 'fsMkdir', 'fsRm']) delete native[name];
  }

  // ---- engine globals the native runtime adds and this engine build lacks ----
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  installDisposables(define);
  installUint8Base64(native.base64Encode);
  if (typeof globalThis.btoa !== 'function') {
    define('btoa', function btoa(data) {
      if (arguments.length === 0) throw new TypeError("Failed to execute 'btoa': 1 argument required, but only 0 present.");
      const s = String(data);
      const bytes = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 0xff) throw new DOMException('The string to be encoded contains characters outside of the Latin1 range.', 'InvalidCharacterError');
        bytes[i] = c;
      }
      return host.base64Encode(bytes.buffer);
    });
  }
  if (typeof globalThis.atob !== 'function') {
    define('atob', function atob(data) {
      if (arguments.length === 0) throw new TypeError("Failed to execute 'atob': 1 argument required, but only 0 present.");
      let s = String(data).replace(/[\t\n\f\r ]/g, '');
      if (s.length % 4 === 0) s = s.replace(/={1,2}$/, '');
      if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) {
        throw new DOMException('The string to be decoded is not correctly encoded.', 'InvalidCharacterError');
      }
      let out = '';
      let bits = 0;
      let n = 0;
      for (let i = 0; i < s.length; i++) {
        bits = (bits << 6) | BASE64_ALPHABET.indexOf(s[i]);
        n += 6;
        if (n >= 8) {
          n -= 8;
          out += String.fromCharCode((bits >> n) & 0xff);
        }
      }
      return out;
    });
  }

  // ---- the fake clock and seeded randomness of the unit-test sandbox --------
  if (options.fakeClock) {
    const RealDate = Date;
    const now = () => host.now();
    function FakeDate(...args) {
      if (!new.target) return new RealDate(now()).toString();
      return args.length === 0 ? Reflect.construct(RealDate, [now()], new.target) : Reflect.construct(RealDate, args, new.target);
    }
    FakeDate.prototype = RealDate.prototype;
    Object.defineProperty(RealDate.prototype, 'constructor', { value: FakeDate, writable: true, configurable: true });
    FakeDate.now = now;
    FakeDate.parse = RealDate.parse;
    FakeDate.UTC = RealDate.UTC;
    define('Date', FakeDate);
    const origin = now();
    // Not frozen: the prelude adds User Timing (mark, measure) to it, as to the engine's own.
    define('performance', { now: () => now() - origin, timeOrigin: origin });
  }
  if (options.randomSeed !== null) {
    // Math.random from the host's seeded generator: the same seed, the same run.
    Object.defineProperty(Math, 'random', {
      value: function random() {
        const b = new Uint32Array(host.random(8));
        return (b[0] * 2 ** 21 + (b[1] >>> 11)) / 2 ** 53;
      },
      writable: true,
      configurable: true,
    });
  }

  // ---- what the host calls ---------------------------------------------------
  globalThis.__qw_entry = {
    invoke(id, requestJson, body) {
      const [method, url, headers] = jsonParse(requestJson);
      callbacks.invoke(id, { method, url, headers, body: u8(body) });
    },
    cancel(id) {
      callbacks.cancel(id);
    },
    setHandler(ns) {
      return callbacks.setHandler(ns);
    },
    fsModule() {
      return callbacks.fs;
    },
    fire(id) {
      const t = timers.get(id);
      if (t === undefined) return;
      if (!t.repeat) timers.delete(id);
      t.fn(...t.args);
    },
    result(call, json, body) {
      const c = calls.get(call);
      if (c === undefined) return;
      calls.delete(call);
      const r = jsonParse(json);
      if (r.ok && body !== null) r.value.body = new Uint8Array(body);
      c.resolve(r);
    },
    fsDone(id, ok, json, bytes) {
      const op = fsOps.get(id);
      if (op === undefined) return;
      fsOps.delete(id);
      if (!ok) {
        const e = jsonParse(json);
        const error = new Error(e.message);
        Object.assign(error, e.props);
        op.reject(error);
        return;
      }
      op.resolve(bytes !== null ? new Uint8Array(bytes) : json === null ? undefined : jsonParse(json));
    },
  };
  globalThis.__qw = native;
})();
