// CryptoKey: its internal slots (type, extractable, algorithm, usages) and
// the key material, which only this implementation can reach.
let materialOf;
const CREATE = Symbol('create');

export class CryptoKey {
  #type;
  #extractable;
  #algorithm;
  #usages;
  #material;

  static {
    materialOf = (key) => key.#material;
  }

  constructor(token, type, extractable, algorithm, usages, material) {
    if (token !== CREATE) throw new TypeError('Illegal constructor');
    this.#type = type;
    this.#extractable = extractable;
    this.#algorithm = Object.freeze(algorithm);
    this.#usages = Object.freeze([...usages]);
    this.#material = material;
  }
  get type() {
    return this.#type;
  }
  get extractable() {
    return this.#extractable;
  }
  get algorithm() {
    return this.#algorithm;
  }
  get usages() {
    return this.#usages;
  }
}
Object.defineProperty(CryptoKey.prototype, Symbol.toStringTag, { value: 'CryptoKey', configurable: true });

// Usages are kept in the spec's order, without repeats.
const ORDER = ['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey'];

export function createKey(type, extractable, algorithm, usages, material) {
  const sorted = ORDER.filter((u) => usages.includes(u));
  return new CryptoKey(CREATE, type, Boolean(extractable), algorithm, sorted, material);
}

export function keyMaterial(key) {
  if (!(key instanceof CryptoKey)) throw new TypeError('Expected a CryptoKey');
  return materialOf(key);
}
