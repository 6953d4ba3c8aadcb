// Lazily evaluated parts of the prelude (separate bytecode blobs): globals
// that load their implementation on first access, so handlers that never
// use them pay nothing for them at start-up or in memory.
import { native } from './native.js';

const loaded = new Map();

// Loads blob `name`, which leaves its exports on globalThis[key], and turns
// the lazy globals `names` into plain data properties.
export function loadLazy(name, key, names, fixup = undefined) {
  let mod = loaded.get(name);
  if (mod) return mod;
  // A polyfill may look for a native implementation first: remove the lazy
  // getters so it does not re-enter this function.
  for (const n of names) delete globalThis[n];
  native.loadLazy(name);
  mod = globalThis[key];
  delete globalThis[key];
  fixup?.(mod);
  loaded.set(name, mod);
  for (const n of names) {
    Object.defineProperty(globalThis, n, { value: mod[n], writable: true, configurable: true, enumerable: false });
  }
  return mod;
}

export function isLoaded(name) {
  return loaded.has(name);
}

export function installLazy(names, load) {
  for (const n of names) {
    Object.defineProperty(globalThis, n, {
      configurable: true,
      enumerable: false,
      get() {
        return load()[n];
      },
      set(value) {
        Object.defineProperty(globalThis, n, { value, writable: true, configurable: true, enumerable: false });
      },
    });
  }
}
