// Bundled separately (see lazy-url.js): core-js's WHATWG URL and
// URLSearchParams, without touching any global but __qw_url.
import URL from 'core-js-pure/web/url.js';
import URLSearchParams from 'core-js-pure/web/url-search-params.js';

globalThis.__qw_url = { URL, URLSearchParams };
