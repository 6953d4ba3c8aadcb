// CompressionStream and DecompressionStream, loaded on first use (see
// compression.js); their streams come from the lazily loaded streams part.
import { installLazy, loadLazy } from './lazy.js';

const NAMES = ['CompressionStream', 'DecompressionStream'];

export function installLazyCompression() {
  installLazy(NAMES, () => loadLazy('compression', '__qw_compression', NAMES));
}
