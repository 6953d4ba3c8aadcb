// CompressionStream and DecompressionStream, loaded on first use (see
// compression.js) and handed the binding's C zlib when it has one; their
// streams come from the lazily loaded streams part.
import { installLazy, loadLazy } from './lazy.js';
import { native } from './native.js';

const NAMES = ['CompressionStream', 'DecompressionStream'];

export function installLazyCompression() {
  installLazy(NAMES, () =>
    loadLazy('compression', '__qw_compression', NAMES, (mod) => {
      if (typeof native.zlibOpen === 'function') mod.useNativeZlib(native);
    }),
  );
}
