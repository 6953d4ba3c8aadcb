// What runs inside the worker for each conformance file: one handler per
// file, given the file's data as the request body, answering with the names
// of the cases that failed and the number of checks. Written here (no WPT
// harness code): each check does what the data file's README says a case
// means. The handlers use only Web APIs, so every runtime runs them as is.

/** URL constructor, URL.canParse and the setters on urltestdata.json. */
export const URL_TESTDATA = `
const FIELDS = ['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'];
export default async (req) => {
  const cases = (await req.json()).filter((c) => typeof c === 'object');
  const failed = [];
  let checks = 0;
  for (const c of cases) {
    const base = c.base === null ? undefined : c.base;
    const name = JSON.stringify(c.input) + (base === undefined ? '' : ' against ' + JSON.stringify(base));
    checks++;
    try {
      const u = base === undefined ? new URL(c.input) : new URL(c.input, base);
      const ok = !c.failure && FIELDS.every((k) => u[k] === c[k]) && (c.origin === undefined || u.origin === c.origin) &&
        (c.searchParams === undefined || u.searchParams.toString() === c.searchParams);
      if (!ok) failed.push('new URL(' + name + ')');
    } catch {
      if (!c.failure) failed.push('new URL(' + name + ') threw');
    }
    checks++;
    if (URL.canParse(c.input, base) !== !c.failure) failed.push('URL.canParse(' + name + ')');
  }
  return Response.json({ checks, failed });
};`;

/** The URL setters on setters_tests.json. */
export const URL_SETTERS = `
export default async (req) => {
  const data = await req.json();
  const failed = [];
  let checks = 0;
  for (const [attr, cases] of Object.entries(data)) {
    if (attr === 'comment') continue;
    for (const c of cases) {
      checks++;
      const name = attr + ' = ' + JSON.stringify(c.new_value) + ' on ' + JSON.stringify(c.href);
      try {
        const u = new URL(c.href);
        u[attr] = c.new_value;
        if (!Object.entries(c.expected).every(([k, v]) => u[k] === v)) failed.push(name);
      } catch {
        failed.push(name + ' threw');
      }
    }
  }
  return Response.json({ checks, failed });
};`;

/** Domain to ASCII on toascii.json, through the constructor and the host and hostname setters. */
export const URL_TOASCII = `
export default async (req) => {
  const cases = (await req.json()).filter((c) => typeof c === 'object');
  const failed = [];
  let checks = 0;
  for (const c of cases) {
    const name = JSON.stringify(c.input);
    checks++;
    try {
      const u = new URL('https://' + c.input + '/x');
      if (c.output === null || u.host !== c.output || u.hostname !== c.output || u.pathname !== '/x' || u.href !== 'https://' + c.output + '/x') failed.push('new URL ' + name);
    } catch {
      if (c.output !== null) failed.push('new URL ' + name + ' threw');
    }
    for (const attr of ['host', 'hostname']) {
      checks++;
      const u = new URL('https://x/x');
      try { u[attr] = c.input; } catch { failed.push(attr + ' = ' + name + ' threw'); continue; }
      if (u[attr] !== (c.output === null ? 'x' : c.output)) failed.push(attr + ' = ' + name);
    }
  }
  return Response.json({ checks, failed });
};`;

/** TextDecoder labels on encodings.json: each label as is, in capitals and padded with ASCII whitespace. */
export const ENCODING_LABELS = `
export default async (req) => {
  const table = await req.json();
  const failed = [];
  let checks = 0;
  for (const group of table) {
    for (const { name, labels } of group.encodings) {
      for (const label of labels) {
        for (const spelling of [label, label.toUpperCase(), '\\t\\n\\f\\r ' + label + ' \\t\\n\\f\\r']) {
          checks++;
          let got;
          try { got = new TextDecoder(spelling).encoding; } catch (e) { got = e instanceof RangeError ? 'RangeError' : String(e); }
          const want = name === 'replacement' ? 'RangeError' : name;
          if (got !== want) failed.push(JSON.stringify(spelling) + ' gave ' + got + ', not ' + want);
        }
      }
    }
  }
  return Response.json({ checks, failed });
};`;

/**
 * Headers: WPT has no data file for them (its tests are code), so these are
 * our own checks of the behaviours fetch/api/headers/*.any.js cover, named
 * after the file whose behaviour each one checks.
 */
export const HEADERS = `
const throws = (f, C = TypeError) => { try { f(); return false; } catch (e) { return e instanceof C; } };
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const checks = {
  'headers-basic: no init': () => [...new Headers()].length === 0,
  'headers-basic: undefined init': () => [...new Headers(undefined)].length === 0,
  'headers-basic: null init throws': () => throws(() => new Headers(null)),
  'headers-basic: a number init throws': () => throws(() => new Headers(1)),
  'headers-basic: a string init throws': () => throws(() => new Headers('a')),
  'headers-basic: sequence init': () => same([...new Headers([['b', '2'], ['a', '1']])], [['a', '1'], ['b', '2']]),
  'headers-basic: record init': () => same([...new Headers({ b: '2', a: '1' })], [['a', '1'], ['b', '2']]),
  'headers-basic: Headers init': () => same([...new Headers(new Headers({ a: '1' }))], [['a', '1']]),
  'headers-basic: a pair of three throws': () => throws(() => new Headers([['a', '1', '2']])),
  'headers-basic: a pair of one throws': () => throws(() => new Headers([['a']])),
  'headers-basic: a custom iterable init': () => same([...new Headers({ [Symbol.iterator]: function* () { yield ['x', 'y']; } })], [['x', 'y']]),
  'headers-basic: a Headers with its own @@iterator': () => {
    const h = new Headers({ a: '1' });
    h[Symbol.iterator] = function* () { yield ['b', '2']; };
    return same([...new Headers(h)], [['b', '2']]);
  },
  'headers-basic: entries is @@iterator': () => Headers.prototype[Symbol.iterator] === Headers.prototype.entries,
  'headers-basic: iterator prototype': () => {
    const proto = Object.getPrototypeOf(new Headers().entries());
    const iteratorProto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
    return Object.getPrototypeOf(proto) === iteratorProto && proto[Symbol.toStringTag] === 'Headers Iterator' &&
      Object.getPrototypeOf(new Headers().keys()) === proto && Object.getPrototypeOf(new Headers().values()) === proto &&
      typeof proto.next === 'function';
  },
  'headers-basic: iteration is sorted and lower-cased': () => same([...new Headers([['B', '1'], ['a', '2'], ['C', '3']]).keys()], ['a', 'b', 'c']),
  'headers-basic: iteration is live (append)': () => {
    const h = new Headers([['a', '1'], ['c', '3']]);
    const it = h.keys();
    const first = it.next().value;
    h.append('b', '2');
    return first === 'a' && same([...it], ['b', 'c']);
  },
  'headers-basic: iteration is live (delete)': () => {
    const h = new Headers([['a', '1'], ['b', '2'], ['c', '3']]);
    const it = h.values();
    it.next();
    h.delete('b');
    return same([...it], ['3']);
  },
  'headers-basic: forEach sees value, name, headers': () => {
    const h = new Headers({ a: '1' });
    const seen = [];
    h.forEach(function (v, n, o) { seen.push([v, n, o === h, this]); }, 'T');
    return same(seen, [['1', 'a', true, 'T']]);
  },
  'headers-casing: get is case-insensitive': () => new Headers({ 'Content-Type': 'x' }).get('CONTENT-type') === 'x',
  'headers-casing: has/delete are case-insensitive': () => { const h = new Headers({ Ab: '1' }); const had = h.has('aB'); h.delete('AB'); return had && !h.has('ab'); },
  'headers-combine: get combines with comma space': () => { const h = new Headers(); h.append('a', '1'); h.append('A', '2'); return h.get('a') === '1, 2'; },
  'headers-combine: iteration combines': () => same([...new Headers([['a', '1'], ['a', '2']])], [['a', '1, 2']]),
  'headers-combine: set replaces all': () => { const h = new Headers([['a', '1'], ['a', '2']]); h.set('a', '3'); return h.get('a') === '3' && [...h].length === 1; },
  'headers-normalize: values are trimmed of HTTP whitespace': () => new Headers({ a: ' \\t x \\t ' }).get('a') === 'x',
  'headers-errors: invalid name throws': () => throws(() => new Headers({ 'a b': '1' })) && throws(() => new Headers().append('', 'x')),
  'headers-errors: name with non-token char throws': () => throws(() => new Headers().get('é')) && throws(() => new Headers().has('a:')),
  'headers-errors: value with NUL/CR/LF throws': () => throws(() => new Headers({ a: 'x\\0y' })) && throws(() => new Headers({ a: 'x\\ry' })) && throws(() => new Headers({ a: 'x\\ny' })),
  'headers-errors: value beyond Latin-1 throws': () => throws(() => new Headers({ a: '\\u0100' })),
  'headers-errors: get of a missing header is null': () => new Headers().get('a') === null,
  'header-setcookie: getSetCookie': () => same(new Headers([['Set-Cookie', 'a=1'], ['set-cookie', 'b=2']]).getSetCookie(), ['a=1', 'b=2']),
  'header-setcookie: iteration keeps set-cookie separate': () =>
    same([...new Headers([['set-cookie', 'a=1'], ['x', '1'], ['set-cookie', 'b=2']])], [['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x', '1']]),
  'header-setcookie: set-cookie sorts among the others': () =>
    same([...new Headers([['z', '1'], ['set-cookie', 'a=1'], ['a', '1']]).keys()], ['a', 'set-cookie', 'z']),
  'header-setcookie: get combines set-cookie': () => new Headers([['set-cookie', 'a=1'], ['set-cookie', 'b=2']]).get('set-cookie') === 'a=1, b=2',
  'header-setcookie: getSetCookie of none is empty': () => same(new Headers({ a: '1' }).getSetCookie(), []),
  'headers-record: symbol keys are skipped': () => same([...new Headers({ a: '1', [Symbol('s')]: '2' })], [['a', '1']]),
  'headers-record: non-enumerable keys are skipped': () => same([...new Headers(Object.defineProperty({ a: '1' }, 'b', { value: '2', enumerable: false }))], [['a', '1']]),
  'headers-record: values are converted to strings': () => new Headers({ a: 1 }).get('a') === '1',
  'response-error: Response.error() headers are immutable': () => throws(() => Response.error().headers.set('a', 'b')),
  'response-static-redirect: Response.redirect() headers are immutable': () => throws(() => Response.redirect('http://x.example/').headers.append('a', 'b')),
  'response-clone: a clone has its own headers': () => { const r = new Response('', { headers: { a: '1' } }); const c = r.clone(); c.headers.set('a', '2'); return r.headers.get('a') === '1'; },
  'request-headers: Request headers are a Headers': () => new Request('http://x.example/', { headers: { a: '1' } }).headers.get('a') === '1',
  'headers-basic: toStringTag': () => Object.prototype.toString.call(new Headers()) === '[object Headers]',
};
export default () => {
  const failed = [];
  for (const [name, check] of Object.entries(checks)) {
    let ok = false;
    try { ok = check(); } catch {}
    if (!ok) failed.push(name);
  }
  return Response.json({ checks: Object.keys(checks).length, failed });
};`;
