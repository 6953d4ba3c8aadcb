// Bundled separately and evaluated on first use of Intl.DateTimeFormat or of
// Date's locale methods (see lazy-intl.js), after the 'intl' part:
// formatjs's DateTimeFormat with the data of en, de, fr, es and ja and the
// IANA time zones of its "golden" set.
import '@formatjs/intl-datetimeformat/polyfill-force.js';
import '@formatjs/intl-datetimeformat/locale-data/en.js';
import '@formatjs/intl-datetimeformat/locale-data/de.js';
import '@formatjs/intl-datetimeformat/locale-data/fr.js';
import '@formatjs/intl-datetimeformat/locale-data/es.js';
import '@formatjs/intl-datetimeformat/locale-data/ja.js';
import '@formatjs/intl-datetimeformat/add-golden-tz.js';

globalThis.__qw_intl_datetime = {};
