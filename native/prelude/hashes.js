// Bundled separately and evaluated on first use of crypto.subtle or
// CryptoKey (see lazy-subtle.js): the SubtleCrypto subset and the hashes
// behind it.
import { CryptoKey, subtle } from './subtle.js';

globalThis.__qw_subtle = { CryptoKey, subtle };
