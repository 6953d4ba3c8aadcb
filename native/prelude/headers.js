// WHATWG Headers: case-insensitive names, repeated values kept in insertion
// order (so set-cookie survives), combined with ", " by get(). Iteration is
// live, as the spec's iterable declaration has it: each step looks at the
// current "sort and combine" of the list.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const EDGE_WS = /^[\t\n\r ]+|[\t\n\r ]+$/g;
// A ByteString (WebIDL) holds no code unit above 0xFF.
const NOT_BYTES = /[^\x00-\xff]/;

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
  if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0 || NOT_BYTES.test(value)) {
    throw new TypeError(`Invalid header value: "${value}"`);
  }
  return value;
}

export let headerList;
// Headers with the pairs appended in order, each checked and normalised as
// append() does, without looking append() up on the object (a request's
// headers from the host, made when the handler first reads them).
export let headersFromPairs;
// Makes a Headers object immutable (the spec's "immutable" guard), as the
// headers of Response.error(), Response.redirect() and fetch responses are.
export let freezeHeaders;
// A copy with the same list and guard (Request/Response clone()).
export let copyHeaders;
// Headers holding a list of ours, already normalised (a body's default
// content-type): what `new Headers()` and `append()` would make, without
// checking names and values known to be valid.
export let trustedHeaders;
let sortedOf;

const ENTRIES = 0;
const KEYS = 1;
const VALUES = 2;

class HeadersIterator {
  #headers;
  #kind;
  #index = 0;
  constructor(headers, kind) {
    this.#headers = headers;
    this.#kind = kind;
  }
  next() {
    if (!(#headers in this)) throw new TypeError("next method called on an object that is not a Headers Iterator");
    const pairs = sortedOf(this.#headers);
    if (this.#index >= pairs.length) return { value: undefined, done: true };
    const [name, value] = pairs[this.#index++];
    return { value: this.#kind === KEYS ? name : this.#kind === VALUES ? value : [name, value], done: false };
  }
}
Object.setPrototypeOf(HeadersIterator.prototype, Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())));
// The spec's iterator prototype has next() and the tag, nothing else.
Object.defineProperty(HeadersIterator.prototype, 'next', { enumerable: true });
Object.defineProperty(HeadersIterator.prototype, Symbol.toStringTag, { value: 'Headers Iterator', writable: false, enumerable: false, configurable: true });
delete HeadersIterator.prototype.constructor;

export class Headers {
  #list = [];
  #immutable = false;
  // "Sort and combine", kept until the list changes.
  #sorted = null;

  static {
    headerList = (h) => h.#list;
    freezeHeaders = (h) => {
      h.#immutable = true;
      return h;
    };
    headersFromPairs = (pairs) => {
      const h = new Headers();
      for (let i = 0; i < pairs.length; i++) h.#list.push([normalizeName(pairs[i][0]), normalizeValue(pairs[i][1])]);
      return h;
    };
    trustedHeaders = (list) => {
      const h = new Headers();
      for (let i = 0; i < list.length; i++) h.#list.push([list[i][0], list[i][1]]);
      return h;
    };
    copyHeaders = (h) => {
      const copy = new Headers();
      const list = h.#list;
      for (let i = 0; i < list.length; i++) copy.#list.push([list[i][0], list[i][1]]);
      copy.#immutable = h.#immutable;
      return copy;
    };
    // One pass to group the values by name: a get() per name scanned the
    // whole list each time, and 2,000 headers (as many as a request may
    // carry) took a second to iterate once.
    sortedOf = (h) => {
      if (h.#sorted) return h.#sorted;
      const byName = new Map();
      const list = h.#list;
      for (let i = 0; i < list.length; i++) {
        const values = byName.get(list[i][0]);
        if (values === undefined) byName.set(list[i][0], [list[i][1]]);
        else values.push(list[i][1]);
      }
      const names = [...byName.keys()].sort();
      const out = [];
      for (const name of names) {
        const values = byName.get(name);
        if (name === 'set-cookie') for (const v of values) out.push([name, v]);
        else out.push([name, values.join(', ')]);
      }
      return (h.#sorted = out);
    };
  }

  constructor(init = undefined) {
    if (init === undefined) return;
    if (init === null || (typeof init !== 'object' && typeof init !== 'function')) {
      throw new TypeError("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
    }
    const iterator = init[Symbol.iterator];
    if (iterator !== undefined && iterator !== null) {
      if (typeof iterator !== 'function') throw new TypeError("Failed to construct 'Headers': The object's @@iterator property is not callable.");
      if (#list in init && iterator === Headers.prototype.entries) {
        for (const [n, v] of init.#list) this.#list.push([n, v]);
        return;
      }
      const pairs = [];
      for (const pair of { [Symbol.iterator]: () => iterator.call(init) }) {
        if (pair === null || (typeof pair !== 'object' && typeof pair !== 'function')) {
          throw new TypeError("Failed to construct 'Headers': The provided value cannot be converted to a sequence.");
        }
        pairs.push(Array.from(pair));
      }
      for (const p of pairs) {
        if (p.length !== 2) throw new TypeError("Failed to construct 'Headers': Invalid value: each header pair must have exactly two items");
        this.append(p[0], p[1]);
      }
      return;
    }
    // A record: own enumerable string keys, in order.
    for (const key of Reflect.ownKeys(init)) {
      if (typeof key !== 'string') continue;
      const desc = Reflect.getOwnPropertyDescriptor(init, key);
      if (desc === undefined || !desc.enumerable) continue;
      this.append(key, init[key]);
    }
  }

  #mutate() {
    if (this.#immutable) throw new TypeError('Headers are immutable');
    this.#sorted = null;
  }

  append(name, value) {
    name = normalizeName(name);
    value = normalizeValue(value);
    this.#mutate();
    this.#list.push([name, value]);
  }

  delete(name) {
    name = normalizeName(name);
    this.#mutate();
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
    this.#mutate();
    const i = this.#list.findIndex((e) => e[0] === name);
    if (i < 0) {
      this.#list.push([name, value]);
      return;
    }
    this.#list[i] = [name, value];
    this.#list = this.#list.filter((e, j) => j <= i || e[0] !== name);
  }

  forEach(callback, thisArg = undefined) {
    if (typeof callback !== 'function') throw new TypeError("Failed to execute 'forEach' on 'Headers': parameter 1 is not of type 'Function'.");
    // Live, like the iterators: a callback that changes the headers sees it.
    for (let i = 0; i < sortedOf(this).length; i++) {
      const [n, v] = sortedOf(this)[i];
      callback.call(thisArg, v, n, this);
    }
  }

  entries() {
    return new HeadersIterator(this, ENTRIES);
  }

  keys() {
    return new HeadersIterator(this, KEYS);
  }

  values() {
    return new HeadersIterator(this, VALUES);
  }

}
Object.defineProperty(Headers.prototype, Symbol.toStringTag, { value: 'Headers', configurable: true });
Object.defineProperty(Headers.prototype, Symbol.iterator, { value: Headers.prototype.entries, writable: true, configurable: true, enumerable: false });
