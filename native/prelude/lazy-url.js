// URL and URLSearchParams come from whatwg-url-minimum (a separate bytecode blob). It
// is evaluated on first use only, so handlers that never touch URLs pay
// nothing for it at start-up or in memory.
import { native } from './native.js';

let mod = null;

export function loadUrl() {
  if (mod) return mod;
  // A polyfill may look for a native URL first: remove the lazy getters so it does
  // not re-enter this function.
  delete globalThis.URL;
  delete globalThis.URLSearchParams;
  native.loadUrl();
  mod = globalThis.__qw_url;
  delete globalThis.__qw_url;
  // Newer statics the polyfill predates.
  const { URL } = mod;
  if (typeof URL.canParse !== 'function') {
    Object.defineProperty(URL, 'canParse', {
      value: function canParse(url, base = undefined) {
        try {
          new URL(url, base);
          return true;
        } catch {
          return false;
        }
      },
      writable: true,
      configurable: true,
    });
  }
  if (typeof URL.parse !== 'function') {
    Object.defineProperty(URL, 'parse', {
      value: function parse(url, base = undefined) {
        try {
          return new URL(url, base);
        } catch {
          return null;
        }
      },
      writable: true,
      configurable: true,
    });
  }
  for (const name of ['URL', 'URLSearchParams']) {
    Object.defineProperty(globalThis, name, { value: mod[name], writable: true, configurable: true, enumerable: false });
  }
  return mod;
}

export function installLazyUrl() {
  for (const name of ['URL', 'URLSearchParams']) {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      enumerable: false,
      get() {
        return loadUrl()[name];
      },
      set(value) {
        Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
      },
    });
  }
}

// Absolute URL serialisation, as Request and Response.redirect need it.
export function parseUrl(input) {
  const { URL } = loadUrl();
  try {
    return new URL(input).href;
  } catch {
    throw new TypeError(`Failed to parse URL from ${input}`);
  }
}
