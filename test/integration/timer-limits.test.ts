import { afterEach, describe, expect, it } from 'vitest';
import { createPool, profiles, type Pool, type PoolOptions } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

/** The longest delay a Node timer takes; a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const SLOW = `export default { async fetch() { await new Promise((r) => setTimeout(r, 150)); return new Response('slow ok') } }`;

function warningsDuring<T>(run: () => Promise<T>): Promise<{ result: T; warnings: string[] }> {
  const warnings: string[] = [];
  const listen = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', listen);
  return run().then(
    async (result) => {
      // Warnings are emitted on a later tick.
      await new Promise((r) => setImmediate(r));
      process.off('warning', listen);
      return { result, warnings };
    },
    (error: unknown) => {
      process.off('warning', listen);
      throw error;
    },
  );
}

describe('durations that become timers', () => {
  const runtime = RUNTIMES[0]!;
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('past the longest Node timer are INVALID_OPTIONS, for the pool and for one call, not a deadline checked every millisecond', async () => {
    for (const field of ['timeoutMs', 'startTimeoutMs', 'idleTimeoutMs', 'shutdownTimeoutMs']) {
      let error: unknown;
      try {
        createPool({ runtime, capabilities: profiles.strict('p'), source: { code: SLOW }, [field]: MAX_TIMER_MS + 1 } as PoolOptions);
      } catch (e) {
        error = e;
      }
      expect(error, field).toMatchObject({ code: 'INVALID_OPTIONS' });
      expect((error as Error).message, field).toContain(field);
    }
    p = pool(runtime, SLOW);
    for (const timeoutMs of [MAX_TIMER_MS + 1, 1e12, -1, Number.NaN, 1.5, '100']) {
      const error = await p.invoke({ path: '/' }, { timeoutMs } as never).catch((e: unknown) => e);
      expect(error, String(timeoutMs)).toMatchObject({ code: 'INVALID_OPTIONS' });
      expect((error as Error).message).toContain('timeoutMs');
    }
    await expect(p.invoke({ path: '/' }, { signal: 'stop' } as never)).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringContaining('signal') });
    await expect(p.invoke({ path: '/' }, null as never)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    // Refused calls are counted like any other refusal, and the pool goes on.
    expect((await p.invoke({ path: '/' })).text()).toBe('slow ok');
  });

  it('the longest Node timer itself works, for the pool and for one call, without a timer warning', async () => {
    p = pool(runtime, SLOW, { timeoutMs: MAX_TIMER_MS, idleTimeoutMs: MAX_TIMER_MS });
    const { result, warnings } = await warningsDuring(async () => [
      (await p!.invoke({ path: '/' })).text(),
      (await p!.invoke({ path: '/' }, { timeoutMs: MAX_TIMER_MS, signal: new AbortController().signal })).text(),
    ]);
    expect(result).toEqual(['slow ok', 'slow ok']);
    expect(warnings.filter((w) => w.includes('TimeoutOverflow'))).toEqual([]);
  });
});
