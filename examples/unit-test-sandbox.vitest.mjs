// A handler under test in the unit-test sandbox (runtime quickjs-wasm: no
// native build, any OS; or quickjs-ng, the native worker), with vitest: its
// network is a mock, its clock is fake, its randomness is seeded.
//   npx vitest run --config examples/vitest.config.mjs
//   RUNTIME=quickjs-ng npx vitest run --config examples/vitest.config.mjs
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createPool, profiles } from 'bunbase-functions';

// The handler: converts an amount, caching the exchange rate for a minute.
const HANDLER = `
let cached = null;
export default {
  async fetch(req) {
    const { amount } = await req.json();
    if (cached === null || Date.now() - cached.at > 60_000) {
      const res = await fetch('https://rates.example.com/eur-usd');
      cached = { rate: (await res.json()).rate, at: Date.now() };
    }
    return Response.json({ usd: Math.round(amount * cached.rate * 100) / 100, requestId: crypto.randomUUID() });
  },
};`;

const runtime = process.env.RUNTIME ?? 'quickjs-wasm';
let pool;
let calls;

beforeEach(async () => {
  calls = [];
  pool = createPool({
    runtime,
    capabilities: profiles.custom('tests', { allowNetwork: true, allowedDomains: ['rates.example.com'] }),
    source: { code: HANDLER },
    maxWorkers: 1,
    // The network: every fetch the handler makes lands here, after the profile's checks.
    fetch: async (request) => {
      calls.push(request.url);
      return Response.json({ rate: calls.length === 1 ? 1.1 : 1.2 });
    },
    fakeClock: Date.UTC(2026, 0, 1),
    randomSeed: 42,
  });
  await pool.ready();
});
afterEach(() => pool.close());

const convert = async (amount) => (await pool.invoke({ method: 'POST', path: '/convert', body: JSON.stringify({ amount }) })).json();

test('converts with the fetched rate', async () => {
  expect((await convert(10)).usd).toBe(11);
  expect(calls).toEqual(['https://rates.example.com/eur-usd']);
});

test('caches the rate for a minute of (fake) time', async () => {
  await convert(10);
  await pool.advanceTime(59_000);
  expect((await convert(10)).usd).toBe(11);
  expect(calls).toHaveLength(1);
  await pool.advanceTime(2_000);
  expect((await convert(10)).usd).toBe(12);
  expect(calls).toHaveLength(2);
});

test('a seeded run repeats exactly', async () => {
  const first = (await convert(1)).requestId;
  await pool.close();
  pool = createPool({
    runtime,
    capabilities: profiles.custom('tests', { allowNetwork: true, allowedDomains: ['rates.example.com'] }),
    source: { code: HANDLER },
    fetch: () => Response.json({ rate: 1 }),
    randomSeed: 42,
  });
  expect((await convert(1)).requestId).toBe(first);
});
