import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, profiles, type Pool } from 'bunbase-functions';
import { RUNTIMES } from '../helpers.js';

const entry = fileURLToPath(new URL('../fixtures/bundle/npm-handler.ts', import.meta.url));

describe.each(RUNTIMES)('%s: a TypeScript entry with npm imports is bundled by the host', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('runs hono + zod, a relative .ts module and JSON, with NODE_ENV defined', async () => {
    p = createPool({ runtime, capabilities: profiles.strict('ts'), source: { entry } });
    await p.ready();
    const ok = await p.invoke({
      method: 'POST',
      path: '/greet',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"Ada","mode":"loud"}',
    });
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({ text: 'HELLO, ADA!', env: 'production' });
    const bad = await p.invoke({
      method: 'POST',
      path: '/greet',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"Ada","mode":"shrill"}',
    });
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual({ error: 'mode' });
  });
});
