// `new Response(string)` and `Response.json(value)` without init take a
// shorter road in the QuickJS prelude (native/prelude/response.js): what they
// make must be what the same call with an empty init makes.
import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from '../../lib/index.js';
import { pool, RUNTIMES } from '../helpers.js';

const HANDLER = `
function describe(r) {
  return { status: r.status, statusText: r.statusText, ok: r.ok, type: r.type, url: r.url, redirected: r.redirected,
    bodyUsed: r.bodyUsed, headers: [...r.headers], tag: Object.prototype.toString.call(r) };
}
async function both(make) {
  const a = make(undefined), b = make({});
  const out = { short: describe(a), long: describe(b) };
  const ca = a.clone();
  out.shortText = await a.text();
  out.longText = await b.text();
  out.cloneText = await ca.text();
  out.usedAfter = a.bodyUsed;
  a.headers.set('x-later', '1');
  a.headers.set('content-type', 'text/html');
  out.mutated = [...a.headers];
  return out;
}
export default { async fetch() {
  return Response.json({
    text: await both((init) => new Response('héllo', init)),
    json: await both((init) => Response.json({ a: [1, 'é'] }, init)),
    empty: await both((init) => new Response('', init)),
  });
} };`;

let p: Pool | undefined;
afterEach(async () => {
  await p?.close();
  p = undefined;
});

// The prelude is the QuickJS runtimes' (Bun has its own Response).
const QUICKJS = RUNTIMES.filter((r) => r !== 'bun');

describe.each(QUICKJS)('%s: Response from a string or JSON without init', (runtime) => {
  it('is the same response as with an empty init', async () => {
    p = pool(runtime, HANDLER);
    const out = (await p.invoke({ path: '/' })).json() as Record<string, Record<string, unknown>>;
    for (const [name, expectedType] of [['text', 'text/plain;charset=UTF-8'], ['json', 'application/json'], ['empty', 'text/plain;charset=UTF-8']] as const) {
      const r = out[name]!;
      expect(r['short'], name).toEqual(r['long']);
      expect(r['short'], name).toMatchObject({ status: 200, statusText: '', ok: true, bodyUsed: false, headers: [['content-type', expectedType]], tag: '[object Response]' });
      expect(r['shortText'], name).toBe(r['longText']);
      expect(r['cloneText'], name).toBe(r['longText']);
      expect(r['usedAfter'], name).toBe(true);
      expect(r['mutated'], name).toEqual([['content-type', 'text/html'], ['x-later', '1']]);
    }
    expect(out['text']!['shortText']).toBe('héllo');
    expect(out['json']!['shortText']).toBe('{"a":[1,"é"]}');
  });
});

describe.each(RUNTIMES)('%s: a text body gets the standard content type', (runtime) => {
  it('in the handler and in the answer, unless the handler names one', async () => {
    p = pool(
      runtime,
      `export default (req) => new URL(req.url).pathname === '/html'
        ? new Response('<b>x</b>', { headers: { 'content-type': 'text/html' } })
        : new Response(new Response('plain').headers.get('content-type'));`,
    );
    const plain = await p.invoke({ path: '/' });
    expect(plain.text()).toBe('text/plain;charset=UTF-8');
    expect(plain.headers['content-type']).toBe('text/plain;charset=UTF-8');
    expect((await p.invoke({ path: '/html' })).headers['content-type']).toBe('text/html');
  });
});
