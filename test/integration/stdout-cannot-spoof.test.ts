import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

describe.each(RUNTIMES)('%s: output is never protocol', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('a handler printing a fake response line only produces a log entry', async () => {
    const fake = JSON.stringify({ id: 1, type: 'response', payload: { status: 299, statusText: '', headers: [], body: null, cpuMs: 0, peakMemoryBytes: 0 } });
    const print =
      runtime === 'bun'
        ? `process.stdout.write(${JSON.stringify(fake + '\n')}); console.log(${JSON.stringify(fake)});`
        : `console.log(${JSON.stringify(fake)});`;
    p = pool(runtime, `export default { async fetch() { ${print} await new Promise((r) => setTimeout(r, 50)); return new Response('real') } }`);
    const res = await p.invoke({ path: '/' });
    expect(res.status).toBe(200);
    expect(res.text()).toBe('real');
    expect(res.logs.length).toBeGreaterThan(0);
    for (const log of res.logs) expect(log.message).toBe(fake);
  });
});
