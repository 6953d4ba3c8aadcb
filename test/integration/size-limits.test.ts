import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

describe.each(RUNTIMES)('%s: size limits', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('a response over maxBodyBytes is RESPONSE_TOO_LARGE and the worker keeps serving', async () => {
    p = pool(runtime, `export default { fetch(req) { return new Response(req.url.endsWith('/big') ? 'x'.repeat(300000) : 'small') } }`, {
      maxBodyBytes: 100_000,
    });
    await expect(p.invoke({ path: '/big' })).rejects.toMatchObject({ code: 'RESPONSE_TOO_LARGE' });
    expect((await p.invoke({ path: '/' })).text()).toBe('small');
  });

  it('logs beyond maxLogBytes are cut with a truncation marker', async () => {
    p = pool(runtime, `export default { fetch() { for (let i = 0; i < 2000; i++) console.log('line ' + i + ' ' + 'y'.repeat(100)); return new Response('ok') } }`, {
      maxLogBytes: 10_000,
    });
    const res = await p.invoke({ path: '/' });
    expect(res.text()).toBe('ok');
    const total = res.logs.reduce((n, l) => n + l.message.length, 0);
    expect(total).toBeLessThan(12_000);
    expect(res.logs.at(-1)?.message).toMatch(/truncated/);
    expect(res.logs[0]?.message).toMatch(/^line 0 /);
  });
});
