import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

const DEPTH = 200_000;
const DEEP_PARSE = `export default { fetch() {
  try { JSON.parse('['.repeat(${DEPTH}) + ']'.repeat(${DEPTH})) } catch (e) { return new Response('caught ' + e.name) }
  return new Response('parsed')
} }`;
const SLOW = `export default { async fetch() { await new Promise((r) => setTimeout(r, 1500)); return new Response('neighbour ok') } }`;

/**
 * The engine's stack limit counts the WebAssembly build's memory stack; a
 * deeply nested JSON.parse recurses mostly on the thread's own stack, which
 * ran out first: the thread ended, and with it the sandboxes of every other
 * pool on it (found by a handler parsing 100,000 nested arrays).
 */
describe.skipIf(!RUNTIMES.includes('quickjs-wasm'))('quickjs-wasm: deeply nested JSON', () => {
  const pools: Pool[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()));
  });

  it("is the handler's RangeError, and other pools' sandboxes on the shared threads go on", async () => {
    const neighbours = Array.from({ length: 4 }, () => pool('quickjs-wasm', SLOW, { timeoutMs: 60_000 }));
    const hostile = pool('quickjs-wasm', DEEP_PARSE, { timeoutMs: 60_000 });
    pools.push(...neighbours, hostile);
    await Promise.all([...neighbours, hostile].map((p) => p.ready()));
    const inFlight = neighbours.map((p) => p.invoke({ path: '/' }).then((r) => r.text(), (e: { code?: string }) => e.code));
    const res = await hostile.invoke({ path: '/' });
    expect(res.text()).toBe('caught RangeError');
    expect(await Promise.all(inFlight)).toEqual(Array(4).fill('neighbour ok'));
    expect(hostile.stats().workersExited).toBe(0);
  }, 120_000);
});
