import { afterAll, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

// quickjs-wasm encodes short ASCII text inside the engine and hands the rest to the host:
// strings on both sides of that length, with the one character that leaves ASCII first,
// last or nowhere, must come out as the host's own TextEncoder makes them.
const CASES: string[] = [];
for (let n = 0; n <= 20; n++) {
  const ascii = 'a~\u007f\u0000'.repeat(6).slice(0, n);
  CASES.push(ascii);
  if (n > 0) {
    for (const odd of ['\u0080', 'é', '€', '\ud800', '😀']) {
      CASES.push(odd + ascii.slice(1), ascii.slice(0, -1) + odd);
    }
  }
}

const HANDLER = `export default { async fetch(req) {
  const cases = await req.json();
  return Response.json(cases.map((s) => [...new TextEncoder().encode(s)]));
} }`;

describe.each(RUNTIMES)('%s: TextEncoder on short and longer strings', (runtime) => {
  let p: Pool | undefined;
  afterAll(async () => p?.close());

  it('gives the bytes Node gives, whatever the length and wherever a non-ASCII character is', async () => {
    p = pool(runtime, HANDLER);
    const r = await p.invoke({ method: 'POST', path: '/', body: JSON.stringify(CASES) });
    const encoder = new TextEncoder();
    expect(r.json()).toEqual(CASES.map((s) => [...encoder.encode(s)]));
  });

  it('encodes a string response body the same way', async () => {
    const q = pool(runtime, `export default { fetch(req) { return new Response(new URL(req.url).searchParams.get('s')) } }`);
    try {
      for (const s of ['ok', 'é', 'x'.repeat(16), `${'x'.repeat(15)}é`, 'x'.repeat(17)]) {
        const r = await q.invoke({ path: `/?s=${encodeURIComponent(s)}` });
        expect([...r.body]).toEqual([...Buffer.from(s)]);
      }
    } finally {
      await q.close();
    }
  });
});
