// crypto.subtle and CryptoKey, loaded on first use (see hashes.js).
import { installLazy, loadLazy } from './lazy.js';

export function loadSubtle() {
  return loadLazy('hashes', '__qw_subtle', ['CryptoKey']);
}

export function installLazySubtle() {
  installLazy(['CryptoKey'], loadSubtle);
}
