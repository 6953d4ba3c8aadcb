import { describe, expect, it } from 'vitest';
import type { FunctionsError, InvocationEvent, LogEvent } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

describe.each(RUNTIMES)('%s: a failed invocation', (runtime) => {
  it('carries its id, its logs and its metrics; its events carry the same id; the stack does not start in createError', async () => {
    const p = pool(
      runtime,
      `export default { async fetch(req) {
        const path = new URL(req.url).pathname;
        console.log('before', path);
        if (path === '/throw') throw new TypeError('bad input');
        if (path === '/hang') await new Promise(() => {});
        return new Response('ok');
      } }`,
      { maxWorkers: 1 },
    );
    const events: InvocationEvent[] = [];
    const logs: LogEvent[] = [];
    p.on('invocation', (e) => events.push(e));
    p.on('log', (e) => logs.push(e));
    try {
      const ok = await p.invoke({ path: '/ok' });
      const thrown = (await p.invoke({ path: '/throw' }).catch((e: unknown) => e)) as FunctionsError;
      const timedOut = (await p.invoke({ path: '/hang' }, { timeoutMs: 400 }).catch((e: unknown) => e)) as FunctionsError;

      expect(thrown.code).toBe('HANDLER_ERROR');
      expect(timedOut.code).toBe('TIMEOUT');
      const ids = [ok.invocationId, thrown.invocationId, timedOut.invocationId];
      expect(new Set(ids).size).toBe(3);
      expect(events.map((e) => e.invocationId)).toEqual(ids);
      expect(events[1]?.error).toBe(thrown);

      for (const [error, path] of [[thrown, '/throw'], [timedOut, '/hang']] as const) {
        expect(error.logs.map((l) => l.message)).toEqual([`before ${path}`]);
        expect(logs.filter((l) => l.invocationId === error.invocationId).map((l) => l.message)).toEqual([`before ${path}`]);
        expect(error.metrics?.wallMs).toBeGreaterThan(0);
        expect(error.metrics?.workerId).toBeGreaterThan(0);
        expect(error.stack).not.toMatch(/createError/);
      }
      expect(thrown.workerStack).toMatch(/bad input|handler/);
    } finally {
      await p.close();
    }
  });
});
