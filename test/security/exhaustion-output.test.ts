import { describe, expect, it } from 'vitest';
import { RUNTIMES, useBystander } from './harness.js';
import { MB, exhaust } from './exhaustion-harness.js';

/**
 * Flooding the host with output: a 200 MB response body (whole or streamed)
 * and 100 MB of logs. The host never buffers more than its limits: the body
 * is refused with RESPONSE_TOO_LARGE, the logs are cut at maxLogBytes (4 MB here) with a
 * marker, and this (the host) process's resident memory grows by less than
 * 150 MB. The control sends the same way 1 MB, which arrives whole.
 */
const HOST_RSS_BUDGET = 150 * MB;
// The worker itself must be able to build the body: maxMemory is not what is tested here.
const ROOMY = { maxMemory: 512 * MB };

describe.each(RUNTIMES)('%s: output floods', (runtime) => {
  useBystander(runtime);
  // A quickjs-wasm sandbox's memory is this process's: the body it builds (up to its
  // maxMemory) shows in the host's RSS, and only the rest must stay within the budget.
  const rssBudget = HOST_RSS_BUDGET + (runtime === 'quickjs-wasm' ? ROOMY.maxMemory : 0);

  it('a 200 MB response body ends with RESPONSE_TOO_LARGE (host layer), host memory bounded', async () => {
    const result = await exhaust(runtime, {
      body: `return new Response(new Uint8Array(Number.isFinite(n) ? n : ${200 * MB}).fill(65));`,
      caps: ROOMY,
      // Building and encoding 200 MB takes the worker 2 s here, and over 10 s on a loaded machine.
      pool: { timeoutMs: 25_000 },
      controlN: MB,
    });
    expect(result.code).toBe('RESPONSE_TOO_LARGE');
    expect(result.hostRssGrowth).toBeLessThan(rssBudget);
    expect(result.control.body.byteLength).toBe(MB);
  }, 60_000);

  it('a 200 MB streamed response body ends with RESPONSE_TOO_LARGE (host layer), host memory bounded', async () => {
    const result = await exhaust(runtime, {
      body: `const total = Number.isFinite(n) ? n : ${200 * MB}; let sent = 0;
        return new Response(new ReadableStream({ pull(c) { const k = Math.min(${MB}, total - sent); if (k <= 0) return c.close(); c.enqueue(new Uint8Array(k).fill(66)); sent += k; } }));`,
      caps: ROOMY,
      // quickjs-wasm streams 200 MB through the prelude's streams in 5 to 15 s.
      pool: { timeoutMs: 25_000 },
      controlN: MB,
    });
    expect(result.code).toBe('RESPONSE_TOO_LARGE');
    expect(result.hostRssGrowth).toBeLessThan(rssBudget);
    expect(result.control.body.byteLength).toBe(MB);
  }, 60_000);

  // quickjs-wasm logs slowly (on a loaded machine about 0.1 ms a call and 90 ms a MB in
  // its engine), so its flood is 25 MB: still six times maxLogBytes.
  const floodMb = runtime === 'quickjs-wasm' ? 25 : 100;
  it.each([
    [`${floodMb} lines of 1 MB`, MB, floodMb],
    [`${floodMb} 000 lines of 1 KB`, 1024, floodMb * 1000],
  ])(`a ${floodMb} MB log flood (%s) is cut at maxLogBytes with a marker (host layer), host memory bounded`, async (_name, size, count) => {
    const result = await exhaust(runtime, {
      body: `const line = 'x'.repeat(${size}); const count = Number.isFinite(n) ? n : ${count}; for (let i = 0; i < count; i++) console.log(line); return new Response('done');`,
      // Room for the control's three lines, 25 times less than the flood.
      pool: { timeoutMs: 20_000, maxLogBytes: 4 * MB },
      controlN: 3,
    });
    expect(result.code).toBeUndefined();
    const logs = result.response!.logs;
    const bytes = logs.reduce((sum, l) => sum + l.message.length, 0);
    expect(bytes).toBeLessThanOrEqual(4 * MB + 1024);
    expect(logs.at(-1)?.message).toMatch(/truncated/);
    expect(result.hostRssGrowth).toBeLessThan(HOST_RSS_BUDGET);
    // The control's three lines arrive whole, without a marker.
    expect(result.control.logs.map((l) => l.message.length)).toEqual([size, size, size]);
  });
});
