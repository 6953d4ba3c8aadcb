// URL and URLSearchParams from whatwg-url-minimum, loaded on first use.
import { installLazy, loadLazy } from './lazy.js';

const NAMES = ['URL', 'URLSearchParams'];

// Newer statics the polyfill predates.
function addStatics({ URL }) {
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
}

export function loadUrl() {
  return loadLazy('url', '__qw_url', NAMES, addStatics);
}

export function installLazyUrl() {
  installLazy(NAMES, loadUrl);
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
