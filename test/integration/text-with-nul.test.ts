import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

// A NUL is an ordinary character in JavaScript strings and in UTF-8. quickjs-wasm used to pass
// text between host and engine as C strings, which a NUL ends: each of these came out cut short.
const HANDLER = `export default { async fetch(req) {
  console.log('log a\\u0000b');
  const body = await req.text();
  return Response.json({
    decoded: new TextDecoder().decode(new Uint8Array([97, 0, 98])).length,
    encoded: new TextEncoder().encode('a\\u0000b').length,
    body: body.length,
    bodyCodes: [...body].map((c) => c.charCodeAt(0)),
  });
} }`;

describe.each(RUNTIMES)('%s: text with NUL characters', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('decodes, encodes, reads bodies and logs them whole', async () => {
    p = pool(runtime, HANDLER);
    const logs: string[] = [];
    p.on('log', (entry) => logs.push(entry.message));
    const r = await p.invoke({ method: 'POST', path: '/', body: 'x\u0000y\u0000z' });
    expect(r.json()).toEqual({ decoded: 3, encoded: 3, body: 5, bodyCodes: [120, 0, 121, 0, 122] });
    expect(logs).toContain('log a\u0000b');
  });

  it('sends a response body with a NUL byte for byte', async () => {
    p = pool(runtime, `export default { fetch() { return new Response('a\\u0000b\\u0000é') } }`);
    const r = await p.invoke({ path: '/' });
    expect([...r.body]).toEqual([97, 0, 98, 0, 0xc3, 0xa9]);
  });
});
