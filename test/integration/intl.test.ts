import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

// Intl and the locale-aware methods give what Node's ICU gives, for the
// locales the QuickJS runtimes carry (en, de, fr, es, ja). Spaces are
// compared loosely: CLDR versions differ in which no-break space they use.
const PROBES = `
const date = new Date(Date.UTC(2024, 6, 1, 12, 5));
return {
  number: (1234567.891).toLocaleString('en-US'),
  numberDe: (1234567.891).toLocaleString('de-DE'),
  currency: new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' }).format(1234.5),
  currencyJa: new Intl.NumberFormat('ja-JP', { style: 'currency', currency: 'JPY' }).format(1234),
  percent: new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1 }).format(0.1234),
  compact: new Intl.NumberFormat('en', { notation: 'compact' }).format(1234567),
  linkedom: new Intl.NumberFormat('en-US', { useGrouping: false, maximumFractionDigits: 6 }).format(1234.5678912),
  parts: new Intl.NumberFormat('en-US').formatToParts(-1.5).map((p) => p.type),
  dateDe: date.toLocaleDateString('de-DE', { timeZone: 'UTC' }),
  dateUs: date.toLocaleDateString('en-US', { timeZone: 'UTC' }),
  newYork: new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', dateStyle: 'medium', timeStyle: 'short' }).format(date),
  tokyo: new Intl.DateTimeFormat('ja-JP', { timeZone: 'Asia/Tokyo', hour: 'numeric', minute: '2-digit' }).format(date),
  berlin: new Intl.DateTimeFormat('de-DE', { timeZone: 'Europe/Berlin', dateStyle: 'full' }).format(date),
  zone: new Intl.DateTimeFormat('en-US', { timeZone: 'europe/paris' }).resolvedOptions().timeZone,
  plural: [0, 1, 2, 5].map((n) => new Intl.PluralRules('en-US').select(n)),
  ordinal: [1, 2, 3, 4, 11, 22].map((n) => new Intl.PluralRules('en-US', { type: 'ordinal' }).select(n)),
  relative: [new Intl.RelativeTimeFormat('en', { numeric: 'auto' }).format(-1, 'day'), new Intl.RelativeTimeFormat('de').format(3, 'hour')],
  list: new Intl.ListFormat('en', { type: 'conjunction' }).format(['a', 'b', 'c']),
  words: [...new Intl.Segmenter('en', { granularity: 'word' }).segment('Hello, brave new world!')].filter((s) => s.isWordLike).map((s) => s.segment),
  graphemes: [...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment('e\\u0301a')].length,
  sorted: ['b', 'a', 'B', 'A', 'item10', 'item2'].sort(new Intl.Collator('en', { numeric: true }).compare),
  base: 'a'.localeCompare('Á', 'en', { sensitivity: 'base' }),
  accent: 'a'.localeCompare('á', 'en', { sensitivity: 'accent' }) < 0,
  canonical: Intl.getCanonicalLocales(['EN-us', 'de-de']),
  locale: new Intl.Locale('en-Latn-US').language,
};`;

const loose = (v: unknown): unknown => JSON.parse(JSON.stringify(v).replace(/[\u00a0\u202f]/g, ' '));

describe.each(RUNTIMES)('%s: Intl', (runtime) => {
  let p: Pool;
  beforeAll(() => {
    // Intl's data is evaluated on first use; quickjs-wasm parses it from source (seconds under load), the native worker has bytecode.
    p = pool(runtime, `export default () => Response.json((() => {${PROBES}})())`, { maxWorkers: 1, timeoutMs: 110_000 });
  });
  afterAll(async () => p.close());

  it("formats, compares and segments as Node's ICU does", async () => {
    const expected = new Function(PROBES)();
    expect(loose((await p.invoke({ path: '/' })).json())).toEqual(loose(expected));
  }, 120_000);
});
