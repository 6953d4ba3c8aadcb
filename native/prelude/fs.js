// The node:fs/promises subset, over the native fs functions (which check
// every path against the profile and run on libuv's thread pool).
import { native } from './native.js';

const { utf8Encode, utf8Decode, base64Encode } = native;

function pathString(path) {
  if (typeof path === 'string') return path;
  if (path && typeof path === 'object' && path.protocol === 'file:') return decodeURIComponent(path.pathname);
  if (path instanceof Uint8Array) return utf8Decode(path, false);
  throw new TypeError('The "path" argument must be of type string, Uint8Array or a file: URL');
}

// Node refuses a path with a NUL byte; the native side would see it cut short there.
function toPath(path) {
  const s = pathString(path);
  if (s.includes('\0')) {
    throw Object.assign(new TypeError("The argument 'path' must be a string, Uint8Array, or URL without null bytes"), { code: 'ERR_INVALID_ARG_VALUE' });
  }
  return s;
}

function encodingOf(options) {
  return typeof options === 'string' ? options : (options?.encoding ?? null);
}

function decode(bytes, encoding) {
  switch (encoding) {
    case null:
    case 'buffer':
      return bytes;
    case 'utf8':
    case 'utf-8':
      return utf8Decode(bytes, false);
    case 'base64':
      return base64Encode(bytes);
    case 'latin1':
    case 'binary':
      return String.fromCharCode(...bytes);
    case 'hex':
      return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    default:
      throw new TypeError(`Unknown encoding: ${encoding}`);
  }
}

class Stats {
  constructor(s) {
    Object.assign(this, s);
    const { isFile, isDirectory } = s;
    delete this.isFile;
    delete this.isDirectory;
    this.atime = new Date(s.atimeMs);
    this.mtime = new Date(s.mtimeMs);
    this.ctime = new Date(s.ctimeMs);
    Object.defineProperties(this, {
      isFile: { value: () => isFile },
      isDirectory: { value: () => isDirectory },
    });
  }
  isSymbolicLink() {
    return false;
  }
  isFIFO() {
    return (this.mode & 0o170000) === 0o010000;
  }
  isSocket() {
    return (this.mode & 0o170000) === 0o140000;
  }
  isBlockDevice() {
    return false;
  }
  isCharacterDevice() {
    return false;
  }
}

export function createFs() {
  if (typeof native.fsReadFile !== 'function') return undefined;
  return {
    async readFile(path, options = undefined) {
      return decode(await native.fsReadFile(toPath(path)), encodingOf(options));
    },
    async writeFile(path, data, options = undefined) {
      let bytes;
      if (typeof data === 'string') bytes = utf8Encode(data);
      else if (data instanceof Uint8Array) bytes = data;
      else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
      else throw new TypeError('The "data" argument must be of type string or an instance of Uint8Array');
      const flag = typeof options === 'object' && options ? options.flag : undefined;
      await native.fsWriteFile(toPath(path), bytes, flag === 'a' || flag === 'a+');
    },
    async readdir(path, options = undefined) {
      if (typeof options === 'object' && options?.withFileTypes) throw new TypeError('readdir: withFileTypes is not supported in bunbase-functions workers');
      return native.fsReaddir(toPath(path));
    },
    async stat(path) {
      return new Stats(await native.fsStat(toPath(path)));
    },
    async mkdir(path, options = undefined) {
      const recursive = typeof options === 'object' && Boolean(options?.recursive);
      await native.fsMkdir(toPath(path), recursive);
      return undefined;
    },
    async rm(path, options = undefined) {
      await native.fsRm(toPath(path), Boolean(options?.recursive), Boolean(options?.force));
    },
  };
}
