// WHATWG Headers: case-insensitive names, repeated values kept in insertion
// order (so set-cookie survives), combined with ", " by get().
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const EDGE_WS = /^[\t\n\r ]+|[\t\n\r ]+$/g;

// Names already validated, by spelling: headers repeat across requests and
// the regex engine is the expensive part of the warm path.
const NAMES = new Map();

function normalizeName(name) {
  name = String(name);
  let lower = NAMES.get(name);
  if (lower !== undefined) return lower;
  if (!TOKEN.test(name)) throw new TypeError(`Invalid header name: "${name}"`);
  lower = name.toLowerCase();
  if (NAMES.size < 512) NAMES.set(name, lower);
  return lower;
}

function isEdgeWhitespace(c) {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function normalizeValue(value) {
  value = String(value);
  if (value.length > 0 && (isEdgeWhitespace(value.charCodeAt(0)) || isEdgeWhitespace(value.charCodeAt(value.length - 1)))) {
    value = value.replace(EDGE_WS, '');
  }
  if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
    throw new TypeError(`Invalid header value: "${value}"`);
  }
  return value;
}

export let headerList;

export class Headers {
  #list = [];

  static {
    headerList = (h) => h.#list;
  }

  constructor(init = undefined) {
    if (init == null) return;
    if (init instanceof Headers) {
      for (const [n, v] of init.#list) this.#list.push([n, v]);
      return;
    }
    if (typeof init !== 'object' && typeof init !== 'function') {
      throw new TypeError("Failed to construct 'Headers': The provided value is not of type 'HeadersInit'");
    }
    if (typeof init[Symbol.iterator] === 'function') {
      for (const pair of init) {
        const p = typeof pair === 'string' ? null : Array.from(pair);
        if (!p || p.length !== 2) throw new TypeError("Failed to construct 'Headers': each header pair must have exactly two items");
        this.append(p[0], p[1]);
      }
      return;
    }
    for (const key of Object.keys(init)) this.append(key, init[key]);
  }

  append(name, value) {
    this.#list.push([normalizeName(name), normalizeValue(value)]);
  }

  delete(name) {
    name = normalizeName(name);
    this.#list = this.#list.filter((e) => e[0] !== name);
  }

  get(name) {
    name = normalizeName(name);
    let out = null;
    for (const [n, v] of this.#list) if (n === name) out = out === null ? v : `${out}, ${v}`;
    return out;
  }

  getSetCookie() {
    return this.#list.filter((e) => e[0] === 'set-cookie').map((e) => e[1]);
  }

  has(name) {
    name = normalizeName(name);
    return this.#list.some((e) => e[0] === name);
  }

  set(name, value) {
    name = normalizeName(name);
    value = normalizeValue(value);
    const i = this.#list.findIndex((e) => e[0] === name);
    if (i < 0) {
      this.#list.push([name, value]);
      return;
    }
    this.#list[i] = [name, value];
    this.#list = this.#list.filter((e, j) => j <= i || e[0] !== name);
  }

  forEach(callback, thisArg = undefined) {
    for (const [n, v] of this) callback.call(thisArg, v, n, this);
  }

  // Sorted by name, values combined, set-cookie kept separate (the spec's
  // "sort and combine").
  *entries() {
    const names = [...new Set(this.#list.map((e) => e[0]))].sort();
    for (const name of names) {
      if (name === 'set-cookie') {
        for (const v of this.getSetCookie()) yield [name, v];
      } else {
        yield [name, this.get(name)];
      }
    }
  }

  *keys() {
    for (const [n] of this.entries()) yield n;
  }

  *values() {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  get [Symbol.toStringTag]() {
    return 'Headers';
  }
}
