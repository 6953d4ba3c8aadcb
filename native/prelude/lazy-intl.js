// Intl, loaded on first use, in three parts: 'intl' (locales, plural rules,
// numbers, collation) when Intl itself or a locale-aware Number/BigInt/String
// method is first touched; 'intl-datetime' on first use of
// Intl.DateTimeFormat or a Date locale method; 'intl-text' on first use of
// Intl.RelativeTimeFormat, ListFormat or Segmenter. linkedom, which makes an
// Intl.NumberFormat at load, pays for the first part only.
import { installLazy, loadLazy } from './lazy.js';
import { native } from './native.js';

const MEMBERS = {
  'intl-datetime': ['DateTimeFormat'],
  'intl-text': ['RelativeTimeFormat', 'ListFormat', 'Segmenter'],
};
const loadedParts = new Set();

function loadPart(Intl, part) {
  if (loadedParts.has(part)) return;
  loadedParts.add(part);
  for (const name of MEMBERS[part]) delete Intl[name];
  native.loadLazy(part);
  delete globalThis[`__qw_${part.replace('-', '_')}`];
}

function addLazyMembers({ Intl }) {
  for (const [part, names] of Object.entries(MEMBERS)) {
    for (const name of names) {
      Object.defineProperty(Intl, name, {
        configurable: true,
        enumerable: false,
        get() {
          loadPart(Intl, part);
          return Intl[name];
        },
        set(value) {
          Object.defineProperty(Intl, name, { value, writable: true, configurable: true, enumerable: false });
        },
      });
    }
  }
}

export function loadIntl() {
  return loadLazy('intl', '__qw_intl', ['Intl'], addLazyMembers).Intl;
}

// The engine's own locale methods ignore locales; these stand in until the
// part that replaces them is loaded, then call its version.
function deferMethod(proto, name, load) {
  const original = proto[name];
  const stand = {
    [name](...args) {
      load();
      const now = proto[name];
      return (now === stand ? original : now).apply(this, args);
    },
  }[name];
  Object.defineProperty(proto, name, { value: stand, writable: true, configurable: true, enumerable: false });
}

export function installLazyIntl() {
  installLazy(['Intl'], () => ({ Intl: loadIntl() }));
  deferMethod(Number.prototype, 'toLocaleString', loadIntl);
  deferMethod(BigInt.prototype, 'toLocaleString', loadIntl);
  deferMethod(String.prototype, 'localeCompare', loadIntl);
  for (const name of ['toLocaleString', 'toLocaleDateString', 'toLocaleTimeString']) {
    deferMethod(Date.prototype, name, () => loadPart(loadIntl(), 'intl-datetime'));
  }
}
