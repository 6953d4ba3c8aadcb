// Intl.Collator and String.prototype.localeCompare. formatjs has no
// Collator, so this one is ours and simple: it compares strings the way the
// root collation does for Latin, Greek and Cyrillic text (letters before
// their accents, accents before case, lower case first), in code point order
// otherwise; `numeric`, `sensitivity`, `caseFirst` and `ignorePunctuation`
// are honoured. It is not the Unicode Collation Algorithm: language-specific
// tailorings (Swedish å after z, German phonebook order) are not applied.
const PUNCTUATION = /[\p{P}\p{S}\p{White_Space}]/gu;
const MARKS = /\p{M}/gu;
const DIGITS = /(\d+)/;

function chunks(s, numeric) {
  return numeric ? s.split(DIGITS) : [s];
}

function compareChunks(a, b, numeric) {
  const x = chunks(a, numeric);
  const y = chunks(b, numeric);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    if (i % 2 === 1) {
      const d = BigInt(x[i]) - BigInt(y[i]);
      if (d !== 0n) return d < 0n ? -1 : 1;
      continue;
    }
    return x[i] < y[i] ? -1 : 1;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

function compareCase(a, b, upperFirst) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    const xUpper = x !== x.toLowerCase();
    const yUpper = y !== y.toLowerCase();
    if (xUpper !== yUpper) return xUpper === upperFirst ? -1 : 1;
  }
  return 0;
}

const SENSITIVITIES = ['base', 'accent', 'case', 'variant'];

export class Collator {
  #locale;
  #options;
  #compare;

  constructor(locales = undefined, options = undefined) {
    const requested = locales === undefined ? [] : Intl.getCanonicalLocales(locales);
    this.#locale = requested[0] ?? 'en-US';
    const o = options ?? {};
    const usage = o.usage === undefined ? 'sort' : String(o.usage);
    if (usage !== 'sort' && usage !== 'search') throw new RangeError(`Value ${usage} out of range for Intl.Collator options property usage`);
    const sensitivity = o.sensitivity === undefined ? 'variant' : String(o.sensitivity);
    if (!SENSITIVITIES.includes(sensitivity)) throw new RangeError(`Value ${sensitivity} out of range for Intl.Collator options property sensitivity`);
    const caseFirst = o.caseFirst === undefined ? 'false' : String(o.caseFirst);
    if (!['upper', 'lower', 'false'].includes(caseFirst)) throw new RangeError(`Value ${caseFirst} out of range for Intl.Collator options property caseFirst`);
    this.#options = {
      locale: this.#locale,
      usage,
      sensitivity,
      ignorePunctuation: Boolean(o.ignorePunctuation),
      collation: 'default',
      numeric: Boolean(o.numeric ?? /-u-.*kn(-true)?(-|$)/.test(this.#locale)),
      caseFirst,
    };
    const { numeric, ignorePunctuation } = this.#options;
    const upperFirst = caseFirst === 'upper';
    const prepare = (s) => {
      s = String(s).normalize('NFD');
      return ignorePunctuation ? s.replace(PUNCTUATION, '') : s;
    };
    this.#compare = (a, b) => {
      const x = prepare(a);
      const y = prepare(b);
      const xl = x.toLowerCase();
      const yl = y.toLowerCase();
      const primary = compareChunks(xl.replace(MARKS, ''), yl.replace(MARKS, ''), numeric);
      if (primary !== 0 || sensitivity === 'base') return primary;
      if (sensitivity !== 'case') {
        const accents = compareChunks(xl, yl, numeric);
        if (accents !== 0 || sensitivity === 'accent') return accents;
      }
      const c = compareCase(sensitivity === 'case' ? x.replace(MARKS, '') : x, sensitivity === 'case' ? y.replace(MARKS, '') : y, upperFirst);
      if (c !== 0 || sensitivity === 'case') return c;
      return x < y ? -1 : x > y ? 1 : 0;
    };
  }

  get compare() {
    return this.#compare;
  }

  resolvedOptions() {
    return { ...this.#options };
  }

  static supportedLocalesOf(locales) {
    return Intl.getCanonicalLocales(locales);
  }
}
Object.defineProperty(Collator.prototype, Symbol.toStringTag, { value: 'Intl.Collator', configurable: true });

let plain;

// String.prototype.localeCompare through a Collator (one kept for the
// common call without locales or options).
export function localeCompare(that, locales = undefined, options = undefined) {
  if (this == null) throw new TypeError('String.prototype.localeCompare called on null or undefined');
  const collator = locales === undefined && options === undefined ? (plain ??= new Collator()) : new Collator(locales, options);
  return collator.compare(String(this), String(that));
}
