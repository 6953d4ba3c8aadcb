// Bundled separately and evaluated on first use of Intl or of a locale-aware
// number or string method (see lazy-intl.js): Intl.getCanonicalLocales,
// Locale, PluralRules and NumberFormat from formatjs's polyfills, our
// Collator, and the data of five locales: en, de, fr, es, ja (another
// locale falls back to en; the same five in every Intl part). DateTimeFormat
// and the text classes are parts of their own (intl-datetime.js,
// intl-text.js).
import './intl/global.js';
import '@formatjs/intl-getcanonicallocales/polyfill-force.js';
import '@formatjs/intl-locale/polyfill-force.js';
import '@formatjs/intl-pluralrules/polyfill-force.js';
import '@formatjs/intl-pluralrules/locale-data/en.js';
import '@formatjs/intl-pluralrules/locale-data/de.js';
import '@formatjs/intl-pluralrules/locale-data/fr.js';
import '@formatjs/intl-pluralrules/locale-data/es.js';
import '@formatjs/intl-pluralrules/locale-data/ja.js';
import '@formatjs/intl-numberformat/polyfill-force.js';
import '@formatjs/intl-numberformat/locale-data/en.js';
import '@formatjs/intl-numberformat/locale-data/de.js';
import '@formatjs/intl-numberformat/locale-data/fr.js';
import '@formatjs/intl-numberformat/locale-data/es.js';
import '@formatjs/intl-numberformat/locale-data/ja.js';
import { Collator, localeCompare } from './intl/collator.js';

Object.defineProperty(Intl, 'Collator', { value: Collator, writable: true, configurable: true });
Object.defineProperty(String.prototype, 'localeCompare', { value: localeCompare, writable: true, configurable: true });
globalThis.__qw_intl = { Intl: globalThis.Intl };
