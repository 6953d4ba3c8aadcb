import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

describe.each(RUNTIMES)('%s: handler errors', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('a throwing handler gives HANDLER_ERROR with message and stack, and the worker lives on', async () => {
    p = pool(runtime, `export default { fetch(req) { if (req.url.endsWith('/ok')) return new Response('fine'); throw new TypeError('bad thing ' + 42) } }`);
    const error = await p.invoke({ path: '/boom' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HANDLER_ERROR', workerName: 'TypeError' });
    expect((error as Error).message).toContain('bad thing 42');
    expect((error as { workerStack?: string }).workerStack).toContain('bad thing 42');
    expect((await p.invoke({ path: '/ok' })).text()).toBe('fine');
    expect(p.stats().workersStarted).toBe(1);
  });

  it("a handler's own `throw null` is HANDLER_ERROR, not MEMORY_LIMIT, even with the heap well used, and the worker lives on", async () => {
    // On QuickJS-NG a null exception is also what the engine throws when the heap is full:
    // only a refusal by the allocator makes a null MEMORY_LIMIT.
    p = pool(runtime, `const held = []; for (let i = 0; i < 2000; i++) held.push(new Array(1000).fill(i)); export default { fetch(req) { if (req.url.endsWith('/ok')) return new Response(String(held.length)); throw null } }`);
    await expect(p.invoke({ path: '/null' })).rejects.toMatchObject({ code: 'HANDLER_ERROR' });
    expect((await p.invoke({ path: '/ok' })).text()).toBe('2000');
    expect(p.stats().workersStarted).toBe(1);
  });

  it('a rejected promise gives HANDLER_ERROR', async () => {
    p = pool(runtime, `export default async function () { await new Promise((r) => setTimeout(r, 5)); throw new RangeError('late failure') }`);
    await expect(p.invoke({ path: '/' })).rejects.toMatchObject({ code: 'HANDLER_ERROR', workerName: 'RangeError' });
  });

  it('returning something that is not a Response gives HANDLER_ERROR saying so', async () => {
    p = pool(runtime, `export default { fetch() { return { status: 200 } } }`);
    const error = await p.invoke({ path: '/' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HANDLER_ERROR' });
    expect((error as Error).message).toMatch(/Response/);
  });

  it('returning Response.error() gives HANDLER_ERROR saying so, and the worker lives on (its status 0 broke the protocol)', async () => {
    p = pool(runtime, `export default { fetch(req) { return req.url.endsWith('/ok') ? new Response('fine') : Response.error() } }`);
    const error = await p.invoke({ path: '/' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HANDLER_ERROR', workerName: 'TypeError' });
    expect((error as Error).message).toContain('Response.error()');
    expect((await p.invoke({ path: '/ok' })).text()).toBe('fine');
    expect(p.stats().workersStarted).toBe(1);
  });

  it('a status below 200 (101) is HANDLER_ERROR; 204, 205 and 304 arrive without a body', async () => {
    // Bun builds a 101 Response and keeps a body with 204; the QuickJS runtimes refuse both, as the Fetch standard does.
    p = pool(runtime, `export default { fetch(req) { const s = Number(new URL(req.url).searchParams.get('s')); return s === 101 ? new Response(null, { status: 101 }) : new Response(null, { status: s }) } }`);
    await expect(p.invoke({ path: '/?s=101' })).rejects.toMatchObject({ code: 'HANDLER_ERROR' });
    for (const status of [204, 205, 304]) {
      const res = await p.invoke({ path: `/?s=${status}` });
      expect([res.status, res.text()]).toEqual([status, '']);
    }
  });

  it('a bundle with a syntax error fails with BUNDLE_LOAD_ERROR before ready', async () => {
    p = pool(runtime, `export default { fetch(req) { return new Response('x' }`);
    await expect(p.ready()).rejects.toMatchObject({ code: 'BUNDLE_LOAD_ERROR' });
    const error = await p.invoke({ path: '/' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BUNDLE_LOAD_ERROR' });
    expect((error as Error).message).toMatch(/SyntaxError/);
  });

  it('a bundle that throws at top level or exports no handler fails with BUNDLE_LOAD_ERROR', async () => {
    p = pool(runtime, `throw new Error('top-level boom')`);
    await expect(p.invoke({ path: '/' })).rejects.toMatchObject({ code: 'BUNDLE_LOAD_ERROR', message: expect.stringContaining('top-level boom') });
    await p.close();
    p = pool(runtime, `export const notAHandler = 1;`);
    await expect(p.invoke({ path: '/' })).rejects.toMatchObject({ code: 'BUNDLE_LOAD_ERROR', message: expect.stringContaining('handler') });
  });
});
