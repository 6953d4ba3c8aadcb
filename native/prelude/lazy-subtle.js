// crypto.subtle, SubtleCrypto and CryptoKey, loaded on first use (see webcrypto.js).
import { installLazy, loadLazy } from './lazy.js';

const NAMES = ['CryptoKey', 'SubtleCrypto'];

export function loadSubtle() {
  return loadLazy('webcrypto', '__qw_subtle', NAMES);
}

export function installLazySubtle() {
  installLazy(NAMES, loadSubtle);
}
