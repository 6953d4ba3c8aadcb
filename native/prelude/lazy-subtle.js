// crypto.subtle and CryptoKey, loaded on first use (see webcrypto.js).
import { installLazy, loadLazy } from './lazy.js';

export function loadSubtle() {
  return loadLazy('webcrypto', '__qw_subtle', ['CryptoKey']);
}

export function installLazySubtle() {
  installLazy(['CryptoKey'], loadSubtle);
}
