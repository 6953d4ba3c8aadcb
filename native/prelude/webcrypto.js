// Bundled separately and evaluated on first use of crypto.subtle,
// SubtleCrypto or CryptoKey (see lazy-subtle.js): SubtleCrypto and the
// audited code behind it (webcrypto/).
import { CryptoKey, subtle } from './webcrypto/subtle.js';

const CREATE = Symbol('create');

class SubtleCrypto {
  constructor(token) {
    if (token !== CREATE) throw new TypeError('Illegal constructor');
  }
}
for (const [name, method] of Object.entries(subtle)) {
  Object.defineProperty(SubtleCrypto.prototype, name, { value: method, writable: true, configurable: true, enumerable: true });
}
Object.defineProperty(SubtleCrypto.prototype, Symbol.toStringTag, { value: 'SubtleCrypto', configurable: true });
Object.freeze(SubtleCrypto.prototype);

globalThis.__qw_subtle = { CryptoKey, SubtleCrypto, subtle: Object.freeze(new SubtleCrypto(CREATE)) };
