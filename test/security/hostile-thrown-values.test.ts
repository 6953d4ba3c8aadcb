import { afterEach, describe, expect, it } from 'vitest';
import { MAX_RESPONSE_HEADER_BYTES, profiles, type Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

/**
 * A handler controls what it throws and the head of what it returns. Each row
 * was a lost invocation (TIMEOUT at the deadline, the worker killed), a broken
 * protocol or a crashed worker on at least one runtime; now each is a clear
 * error, and the same worker answers the next call (the control).
 */
const MAX_ERROR_TEXT = 64 * 1024;
const HANDLER = `
const trap = () => { throw new Error('trap'); };
const attacks = {
  proxy: () => { throw new Proxy({}, { get: trap }); },
  prototypeTrap: () => { throw new Proxy({}, { get: trap, getPrototypeOf: trap }); },
  nameGetter: () => { throw new (class extends Error { get name() { return trap(); } })('named'); },
  codeGetter: () => { const e = new Error('coded'); Object.defineProperty(e, 'code', { get: trap }); throw e; },
  objectMessage: () => { const e = new Error('m'); Object.defineProperty(e, 'message', { value: { toString: trap } }); throw e; },
  hugeStack: () => { const e = new Error('deep'); Object.defineProperty(e, 'stack', { value: 's'.repeat(60e6) }); throw e; },
  hugeString: () => { throw 't'.repeat(60e6); },
  statusTextCrlf: () => new Response('x', { statusText: 'OK\\r\\nx-injected: 1' }),
  statusTextHuge: () => new Response('x', { statusText: 'a'.repeat(20e6) }),
};
export default { fetch(req) {
  const attack = attacks[new URL(req.url).pathname.slice(1)];
  return attack ? attack() : new Response('pong');
} }`;

describe.each(RUNTIMES)('%s: hostile thrown values and response heads', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  // 60 MB strings need room beside them: the limit met must be ours, not maxMemory.
  const open = () =>
    pool(runtime, HANDLER, {
      capabilities: profiles.custom('test-project', { maxMemory: 512 * 1024 * 1024 }),
      minWorkers: 1,
      maxWorkers: 1,
      timeoutMs: 60_000,
    });

  it.each([
    ['proxy', /unprintable exception/],
    ['prototypeTrap', /unprintable exception/],
    ['nameGetter', /named/],
    ['codeGetter', /coded/],
    ['objectMessage', /unprintable exception|Error/],
  ])('%s is HANDLER_ERROR, answered at once', async (attack, message) => {
    p = open();
    const error = await p.invoke({ path: `/${attack}` }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HANDLER_ERROR' });
    expect((error as Error).message).toMatch(message);
    expect((await p.invoke({ path: '/' })).text()).toBe('pong');
    expect(p.stats().workersStarted, 'the same worker answered').toBe(1);
  });

  it.each(['hugeStack', 'hugeString'])('%s (60 MB) is HANDLER_ERROR with the text cut and marked', async (attack) => {
    p = open();
    const error = await p.invoke({ path: `/${attack}` }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HANDLER_ERROR' });
    const { message, workerStack } = error as Error & { workerStack?: string };
    for (const text of [message, workerStack ?? '']) expect(text.length).toBeLessThan(2 * MAX_ERROR_TEXT + 1000);
    expect(`${message}\n${workerStack ?? ''}`).toMatch(/truncated/);
    expect((await p.invoke({ path: '/' })).text()).toBe('pong');
  });

  it('a statusText with CR LF is HANDLER_ERROR (Invalid statusText), never sent', async () => {
    p = open();
    const error = await p.invoke({ path: '/statusTextCrlf' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HANDLER_ERROR' });
    expect((error as Error).message).toMatch(/Invalid statusText/);
    expect((await p.invoke({ path: '/' })).text()).toBe('pong');
  });

  it('a 20 MB statusText is RESPONSE_TOO_LARGE (it counts with the headers)', async () => {
    p = open();
    const error = await p.invoke({ path: '/statusTextHuge' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RESPONSE_TOO_LARGE' });
    expect((error as Error).message).toContain(String(MAX_RESPONSE_HEADER_BYTES));
    expect((await p.invoke({ path: '/' })).text()).toBe('pong');
    expect(p.stats().workersStarted, 'the same worker answered').toBe(1);
  });
});
