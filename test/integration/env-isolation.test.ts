import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

describe.each(RUNTIMES)('%s: environment', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => {
    delete process.env['BUNBASE_TEST_HOST_SECRET'];
    await p?.close();
  });

  it('the handler sees only the env the host passed, never the host process env', async () => {
    process.env['BUNBASE_TEST_HOST_SECRET'] = 'hunter2';
    const probe =
      runtime === 'bun'
        ? `JSON.stringify({ env, processEnv: { ...process.env } })`
        : `JSON.stringify({ env, processEnv: typeof process === 'undefined' ? {} : { ...process.env } })`;
    p = pool(runtime, `export default { fetch(req, env) { return new Response(${probe}) } }`, { env: { API_KEY: 'k-123' } });
    const seen = (await p.invoke({ path: '/' })).json() as { env: Record<string, string>; processEnv: Record<string, string> };
    expect(seen.env).toEqual({ API_KEY: 'k-123' });
    expect(JSON.stringify(seen)).not.toContain('hunter2');
    // Every runtime adds NODE_ENV=production unless the pool's env names it (docs/web-platform.md).
    expect(seen.processEnv).toEqual({ API_KEY: 'k-123', NODE_ENV: 'production' });
  });

  it("the pool's env may set NODE_ENV", async () => {
    p = pool(runtime, `export default { fetch() { return new Response(process.env.NODE_ENV) } }`, { env: { NODE_ENV: 'development' } });
    expect((await p.invoke({ path: '/' })).text()).toBe('development');
  });
});
