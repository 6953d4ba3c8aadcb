// The worker reads an invoke line in the host's exact field order without a
// JSON tree (native/invoke_line.c) and everything else with JSON.parse: both
// readings must give the handler the same request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeInvoke } from '../../lib/protocol/index.js';
import { bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker;
let nextId = 1;
beforeAll(async () => {
  w = await ready(`export default async (req) => Response.json({
    method: req.method, url: req.url, headers: [...req.headers], body: req.body === null ? null : await req.text(),
  })`);
});
afterAll(async () => {
  await w.finish();
});

interface Payload {
  method: string;
  url: string;
  headers: [string, string][];
  body: string | null;
  cpuMs: number;
  timeoutMs: number;
}

async function answer(line: string, id: number): Promise<unknown> {
  w.child.stdio[3]!.write(line);
  const m = await w.waitFor((x) => x.id === id);
  expect(m.type).toBe('response');
  return JSON.parse(bodyText(m));
}

/** The same request sent in the host's order (fast path) and with its keys reversed (JSON.parse). */
async function both(p: Payload): Promise<[unknown, unknown]> {
  const fastId = nextId++;
  const fast = encodeInvoke(fastId, p);
  expect(fast).toBe(JSON.stringify({ id: fastId, type: 'invoke', payload: p }) + '\n');
  const slowId = nextId++;
  const reversed = Object.fromEntries(Object.entries(p).reverse());
  const slow = JSON.stringify({ payload: reversed, type: 'invoke', id: slowId }) + '\n';
  return [await answer(fast, fastId), await answer(slow, slowId)];
}

const base: Payload = { method: 'GET', url: 'http://localhost/', headers: [], body: null, cpuMs: 5000, timeoutMs: 5000 };
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('native worker: the invoke line read with and without a JSON tree', () => {
  it.each<[string, Partial<Payload>]>([
    ['no headers, no body', {}],
    ['a query and a percent-encoded path', { url: 'http://localhost/a%20b/%C3%A9?x=1&y=%22z%22' }],
    ['headers, Latin-1 byte strings included', { headers: [['accept', 'text/html'], ['x-latin', 'caf\u00e9'], ['x-empty', '']] }],
    ['a header value with a quote and a backslash (escaped in JSON)', { headers: [['x-q', 'a"b\\c']] }],
    ['a POST body', { method: 'POST', body: b64('{"hello":"wörld"}') }],
    ['65 headers (more than the fast reader holds)', { headers: Array.from({ length: 65 }, (_, i): [string, string] => [`x-h${i}`, `${i}`]) }],
    ['fractional limits', { cpuMs: 1500.5, timeoutMs: 2500.25 }],
    ['no limits', { cpuMs: 0, timeoutMs: 0 }],
  ])('%s', async (_, change) => {
    const [fast, slow] = await both({ ...base, ...change });
    expect(fast).toEqual(slow);
    expect(fast).toMatchObject({ method: change.method ?? 'GET' });
  });

  it('ignores lines that start like an invoke but are cut short or run on, and keeps serving', async () => {
    const line = encodeInvoke(nextId++, base);
    const stream = w.child.stdio[3]!;
    for (const bad of [line.slice(0, 40), line.slice(0, -3), line.replace('}}\n', '}}x'), line.replace('"id":', '"id":-')]) {
      stream.write(bad.replace(/\n$/, '') + '\n');
    }
    const id = nextId++;
    expect(await answer(encodeInvoke(id, base), id)).toMatchObject({ method: 'GET', url: 'http://localhost/' });
  });
});
