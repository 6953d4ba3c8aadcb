import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { pool } from '../helpers.js';

// Busy for `ms` of wall time, then answers.
const BUSY = `export default { fetch(req) {
  const ms = Number(new URL(req.url).searchParams.get('ms') ?? '0');
  const t = Date.now();
  while (Date.now() - t < ms);
  return new Response('done');
} }`;

/** Host timer ticks seen while `work` runs: the host's event loop was free, or held. */
async function ticksDuring(work: () => Promise<unknown>): Promise<number> {
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 5);
  try {
    await work();
  } finally {
    clearInterval(ticker);
  }
  return ticks;
}

describe('quickjs-wasm: inline, on the host thread', () => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('runs the sandbox on the host thread: a busy handler holds the host event loop', async () => {
    p = pool('quickjs-wasm', BUSY, { inline: true, maxWorkers: 1 });
    await p.invoke({ path: '/' });
    expect(await ticksDuring(() => p!.invoke({ path: '/?ms=300' }))).toBeLessThanOrEqual(1);
    expect((await p.invoke({ path: '/' })).text()).toBe('done');
  });

  it('positive control: on the shared threads, the host ticks on meanwhile', async () => {
    p = pool('quickjs-wasm', BUSY, { maxWorkers: 1 });
    await p.invoke({ path: '/' });
    expect(await ticksDuring(() => p!.invoke({ path: '/?ms=300' }))).toBeGreaterThanOrEqual(5);
  });

  it('a handler that never returns is interrupted at its deadline, and the next call gets a new sandbox', async () => {
    p = pool('quickjs-wasm', `export default { fetch(req) { if (req.url.endsWith('/spin')) for (;;); return new Response('ok') } }`, {
      inline: true,
      maxWorkers: 1,
    });
    await p.invoke({ path: '/' });
    await expect(p.invoke({ path: '/spin' }, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect((await p.invoke({ path: '/' })).text()).toBe('ok');
  });
});
