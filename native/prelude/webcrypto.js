// Bundled separately and evaluated on first use of crypto.subtle or
// CryptoKey (see lazy-subtle.js): SubtleCrypto and the audited code behind
// it (webcrypto/).
import { CryptoKey, subtle } from './webcrypto/subtle.js';

globalThis.__qw_subtle = { CryptoKey, subtle: Object.freeze(subtle) };
