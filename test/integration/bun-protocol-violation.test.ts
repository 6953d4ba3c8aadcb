import { afterEach, describe, expect, it } from 'vitest';
import { createPool, profiles, type Pool } from 'bunbase-functions';
import { alive, waitFor } from '../helpers.js';

// Only Bun gives a handler raw descriptors; QuickJS-NG handlers cannot reach descriptor 3.
describe('bun: a worker that breaks the protocol', () => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it.each([
    ['garbage', `'this is not json\\n'`],
    ['a message of an unknown type', `JSON.stringify({ id: 1, type: 'pwn', payload: {} }) + '\\n'`],
    ['a response for an invocation never sent', `JSON.stringify({ id: 999, type: 'response', payload: { status: 200, statusText: '', headers: [], body: null, cpuMs: 0, peakMemoryBytes: 0 } }) + '\\n'`],
    ['an oversized line', `'x'.repeat(3 * 1024 * 1024)`],
  ])('writing %s to descriptor 3 kills that worker with PROTOCOL_ERROR; the host and the pool carry on', async (_name, line) => {
    p = createPool({
      runtime: 'bun',
      capabilities: profiles.strict('p'),
      source: {
        code: `import fs from 'node:fs';
        export default { async fetch(req) {
          if (req.url.endsWith('/forge')) { fs.writeSync(3, ${line}); await new Promise((r) => setTimeout(r, 1000)); }
          return new Response('honest');
        } }`,
      },
      maxBodyBytes: 1024 * 1024,
      maxMessageBytes: 2 * 1024 * 1024,
    });
    await p.ready();
    const [pid] = p.stats().pids;
    await expect(p.invoke({ path: '/forge' })).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' });
    await waitFor(() => !alive(pid as number));
    expect((await p.invoke({ path: '/' })).text()).toBe('honest');
  });
});
