import { afterEach, describe, expect, it } from 'vitest';
import { createPool, profiles, type Pool, type RuntimeName } from 'bunbase-functions';
import { RUNTIMES } from '../helpers.js';

const N = 20_000;
const MANY_HEADERS = `export default { fetch(req) {
  const h = new Headers();
  for (let i = 0; i < ${N}; i++) h.append('x-' + i, String(i));
  h.append('x-7', 'again');
  let seen = 0;
  for (const _ of h) seen++;
  h.forEach(() => seen++);
  return Response.json({ seen, x7: h.get('x-7'), request: [...req.headers].length });
} }`;

/**
 * The QuickJS prelude's Headers sorted its list for iteration with a get()
 * per name, each scanning the whole list: 2,000 headers (as many as a
 * request may carry) took a second of CPU to iterate once, 20,000 ran past
 * any deadline. Bun has Headers of its own. Bounded by CPU, with a budget far above what the work needs
 * (about 0.3 s natively) and far below what it took.
 */
describe.each(RUNTIMES.filter((r): r is RuntimeName => r !== 'bun'))('%s: many headers', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('iterate in time proportional to their number, joined per name', async () => {
    p = createPool({
      runtime,
      capabilities: profiles.custom('test-project', { maxCpu: 15_000, maxMemory: 256 * 1024 * 1024 }),
      source: { code: MANY_HEADERS },
      timeoutMs: 60_000,
    });
    const headers = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`h-${i}`, 'v']));
    const res = await p.invoke({ path: '/', headers });
    expect(res.json()).toEqual({ seen: 2 * N, x7: '7, again', request: 2000 });
  }, 90_000);
});
