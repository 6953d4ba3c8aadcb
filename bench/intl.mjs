// Intl on each runtime (not a test): how often it gives what Node's ICU
// gives over a grid of cases (the five locales the QuickJS runtimes carry ×
// number, date, time zone, plural, relative-time, list and collation
// options), and what it costs: first use of each lazily loaded part, then
// the median of a warm format() call. QuickJS runs formatjs's polyfills and
// our Collator; Bun runs ICU. Spaces are compared loosely (CLDR versions
// differ in which no-break space they use).
//   npm run build && node bench/intl.mjs
import { createPool, profiles } from '../dist/index.js';

const runtimes = (process.env.BENCH_RUNTIMES ?? 'quickjs-ng,bun').split(',');

// Runs in the worker and in Node: returns { group: { case: output } }.
const CASES = `
const LOCALES = ['en-US', 'de-DE', 'fr-FR', 'es-ES', 'ja-JP'];
const NUMBERS = [0, -1.5, 1234567.891, 0.000123, 1e21];
const NUMBER_OPTIONS = [{}, { style: 'percent' }, { style: 'currency', currency: 'EUR' }, { style: 'currency', currency: 'JPY', currencyDisplay: 'name' },
  { notation: 'compact' }, { notation: 'scientific' }, { style: 'unit', unit: 'kilometer-per-hour', unitDisplay: 'long' }, { minimumFractionDigits: 2, maximumFractionDigits: 2 },
  { signDisplay: 'always' }, { notation: 'engineering' }];
const DATES = [Date.UTC(2024, 1, 29, 23, 59, 59), Date.UTC(1999, 11, 31, 12, 0, 0), Date.UTC(2025, 6, 4, 3, 7, 0)];
const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Australia/Sydney', 'Asia/Kolkata'];
const DATE_OPTIONS = [{ dateStyle: 'full' }, { dateStyle: 'short', timeStyle: 'short' }, { year: 'numeric', month: 'long', day: 'numeric', weekday: 'short' },
  { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }, { month: 'short', day: 'numeric', hour12: false, hour: '2-digit' }];
const out = { number: {}, date: {}, plural: {}, relative: {}, list: {}, collation: {} };
const run = (group, key, f) => { try { out[group][key] = f(); } catch (e) { out[group][key] = 'ERR ' + e.name; } };
for (const l of LOCALES) {
  NUMBER_OPTIONS.forEach((o, i) => NUMBERS.forEach((n, j) => run('number', l + ' ' + i + ' ' + j, () => new Intl.NumberFormat(l, o).format(n))));
  DATE_OPTIONS.forEach((o, i) => ZONES.forEach((z) => DATES.forEach((d, j) => run('date', l + ' ' + i + ' ' + z + ' ' + j, () => new Intl.DateTimeFormat(l, { ...o, timeZone: z }).format(d)))));
  ['cardinal', 'ordinal'].forEach((type) => [0, 1, 2, 3, 5, 11, 21, 1.5].forEach((n) => run('plural', l + ' ' + type + ' ' + n, () => new Intl.PluralRules(l, { type }).select(n))));
  ['auto', 'always'].forEach((numeric) => [['second', -30], ['minute', 1], ['day', -1], ['day', 2], ['week', -1], ['month', 3], ['year', -2]].forEach(([u, v]) =>
    run('relative', l + ' ' + numeric + ' ' + u + ' ' + v, () => new Intl.RelativeTimeFormat(l, { numeric }).format(v, u))));
  ['conjunction', 'disjunction', 'unit'].forEach((type) => run('list', l + ' ' + type, () => new Intl.ListFormat(l, { type }).format(['a', 'b', 'c'])));
}
const WORDS = ['peach', 'Péché', 'pêche', 'péché', 'Peach', 'item10', 'item2', 'a-b', 'ab', 'Zebra', 'zebra', 'émile', 'Eagle', 'öl', 'ozean', 'Ärger', 'apfel'];
for (const l of ['en', 'de', 'fr', 'es']) {
  for (const o of [{}, { sensitivity: 'base' }, { sensitivity: 'accent' }, { numeric: true }, { caseFirst: 'upper' }, { ignorePunctuation: true }]) {
    run('collation', l + ' ' + JSON.stringify(o), () => [...WORDS].sort(new Intl.Collator(l, o).compare).join(' '));
  }
}
return out;`;

const COST = `
async function time(n, f) { const times = []; for (let i = 0; i < n; i++) { const t = performance.now(); f(); times.push(performance.now() - t); } times.sort((a, b) => a - b); return times[times.length >> 1]; }
let t = performance.now();
const nf = new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' });
const firstNumberMs = performance.now() - t;
t = performance.now();
const dtf = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'America/New_York' });
dtf.format(0);
const firstDateMs = performance.now() - t;
t = performance.now();
new Intl.RelativeTimeFormat('fr').format(-1, 'day');
const firstTextMs = performance.now() - t;
return {
  firstNumberMs, firstDateMs, firstTextMs,
  numberUs: 1000 * await time(200, () => nf.format(1234.5)),
  dateUs: 1000 * await time(200, () => dtf.format(1700000000000)),
  compareUs: 1000 * await time(200, () => 'Péché'.localeCompare('pêche', 'fr')),
};`;

const loose = (v) => (typeof v === 'string' ? v.replace(/[\u00a0\u202f]/g, ' ') : v);
const reference = new Function(CASES)();
const results = {};
for (const runtime of runtimes) {
  const pool = createPool({
    runtime,
    capabilities: profiles.strict('bench'),
    source: {
      code: `export default async (req) => Response.json(new URL(req.url).pathname === '/cost' ? await (async () => {${COST}})() : (() => {${CASES}})())`,
    },
    timeoutMs: 300_000,
  });
  const cases = (await pool.invoke({ path: '/cases', timeoutMs: 300_000 })).json();
  await pool.close();
  // A fresh worker, so first use is first use.
  const fresh = createPool({
    runtime,
    capabilities: profiles.strict('bench'),
    source: { code: `export default async () => Response.json(await (async () => {${COST}})())` },
    timeoutMs: 300_000,
  });
  const cost = (await fresh.invoke({ path: '/cost', timeoutMs: 300_000 })).json();
  await fresh.close();
  const groups = {};
  for (const [group, expected] of Object.entries(reference)) {
    const keys = Object.keys(expected);
    const same = keys.filter((k) => loose(cases[group][k]) === loose(expected[k])).length;
    groups[group] = {
      same,
      total: keys.length,
      differ: keys
        .filter((k) => loose(cases[group][k]) !== loose(expected[k]))
        .slice(0, 10)
        .map((k) => `${k}: ${cases[group][k]} / node: ${expected[k]}`),
    };
  }
  results[runtime] = { groups, cost };
}

console.log(`Node ${process.versions.node}, ICU ${process.versions.icu}, CLDR ${process.versions.cldr}\n`);
console.log(`| cases equal to Node's ICU | ${runtimes.join(' | ')} |\n|---|${runtimes.map(() => '---').join('|')}|`);
for (const group of Object.keys(reference)) {
  console.log(`| ${group} | ${runtimes.map((r) => `${results[r].groups[group].same} / ${results[r].groups[group].total}`).join(' | ')} |`);
}
const total = (r) => Object.values(results[r].groups).reduce((a, g) => [a[0] + g.same, a[1] + g.total], [0, 0]);
console.log(`| all | ${runtimes.map((r) => `${total(r)[0]} / ${total(r)[1]} (${((100 * total(r)[0]) / total(r)[1]).toFixed(1)}%)`).join(' | ')} |\n`);
const rows = [
  ['first NumberFormat (ms)', 'firstNumberMs', 1],
  ['first DateTimeFormat with a time zone (ms)', 'firstDateMs', 1],
  ['first RelativeTimeFormat (ms)', 'firstTextMs', 1],
  ['NumberFormat.format, warm median (µs)', 'numberUs', 1],
  ['DateTimeFormat.format, warm median (µs)', 'dateUs', 1],
  ['localeCompare, warm median (µs)', 'compareUs', 1],
];
console.log(`| cost | ${runtimes.join(' | ')} |\n|---|${runtimes.map(() => '---').join('|')}|`);
for (const [label, key, digits] of rows) console.log(`| ${label} | ${runtimes.map((r) => results[r].cost[key].toFixed(digits)).join(' | ')} |`);
if (process.env.BENCH_VERBOSE) {
  for (const r of runtimes) for (const [group, g] of Object.entries(results[r].groups)) for (const d of g.differ) console.log(`${r} ${group} ${d}`);
}
