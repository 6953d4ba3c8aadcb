import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

const MB = 1024 * 1024;

/**
 * A request within both limits works on both runtimes: profiles.strict allows
 * 100 MB of memory and maxBodyBytes is 32 MiB by default. The worker is
 * charged for what it holds beyond its size at ready (the runtime's own).
 */
describe.each(RUNTIMES)('%s: a large request body under profiles.strict', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it.each([16, 24])('a %i MB body is read and answered', async (size) => {
    p = pool(
      runtime,
      `export default { async fetch(req) { const b = new Uint8Array(await req.arrayBuffer()); let sum = 0; for (let i = 0; i < b.length; i += 4096) sum += b[i]; return Response.json({ length: b.length, sum }); } }`,
      {
        timeoutMs: 60_000,
      },
    );
    const body = new Uint8Array(size * MB);
    for (let i = 0; i < body.length; i += 4096) body[i] = 1;
    const response = await p.invoke({ method: 'POST', path: '/', body });
    expect(response.json()).toEqual({ length: size * MB, sum: (size * MB) / 4096 });
  });
});
