// The legacy encodings, loaded on the first TextDecoder for one
// of them (see legacy-encodings.js).
import { loadLazy } from './lazy.js';

export function loadLegacyEncodings() {
  return loadLazy('legacy-encodings', '__qw_legacy_encodings', []);
}
