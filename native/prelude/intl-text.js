// Bundled separately and evaluated on first use of Intl.RelativeTimeFormat,
// ListFormat or Segmenter (see lazy-intl.js), after the 'intl' part:
// formatjs's polyfills with the data of en, de, fr, es and ja.
import '@formatjs/intl-relativetimeformat/polyfill-force.js';
import '@formatjs/intl-relativetimeformat/locale-data/en.js';
import '@formatjs/intl-relativetimeformat/locale-data/de.js';
import '@formatjs/intl-relativetimeformat/locale-data/fr.js';
import '@formatjs/intl-relativetimeformat/locale-data/es.js';
import '@formatjs/intl-relativetimeformat/locale-data/ja.js';
import '@formatjs/intl-listformat/polyfill-force.js';
import '@formatjs/intl-listformat/locale-data/en.js';
import '@formatjs/intl-listformat/locale-data/de.js';
import '@formatjs/intl-listformat/locale-data/fr.js';
import '@formatjs/intl-listformat/locale-data/es.js';
import '@formatjs/intl-listformat/locale-data/ja.js';
import '@formatjs/intl-segmenter/polyfill-force.js';

globalThis.__qw_intl_text = {};
