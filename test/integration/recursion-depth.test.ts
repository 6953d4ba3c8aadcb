import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { PROCESS_RUNTIMES, pool } from '../helpers.js';

// Recursive code goes about as deep as in Node (about 11,000 frames of a
// one-line function): the native worker's engine stack was 1 MB, about 1,600
// frames, which recursive npm code (parsers, schema walkers) ran out of.
// Deeper still is a catchable RangeError, never a crash.
const HANDLER = `const depth = (k) => (k === 0 ? 0 : 1 + depth(k - 1));
export default (req) => {
  const n = Number(new URL(req.url).searchParams.get('n'));
  try {
    return new Response(String(depth(n)));
  } catch (e) {
    return new Response(e.name);
  }
};`;

describe.each(PROCESS_RUNTIMES)('%s: recursion depth', (runtime) => {
  let p: Pool;
  beforeAll(() => {
    p = pool(runtime, HANDLER);
  });
  afterAll(async () => p.close());

  // The sanitizer build (BUNBASE_QJS_WORKER, npm run test:asan) is unoptimised: its frames are
  // several times larger, about 1,000 fit.
  const deep = runtime === 'quickjs-ng' && process.env['BUNBASE_QJS_WORKER'] !== undefined ? 800 : 9000;

  it('reaches 9,000 frames, and past the limit throws RangeError', async () => {
    expect((await p.invoke({ path: `/?n=${deep}` })).text()).toBe(String(deep));
    expect((await p.invoke({ path: '/?n=1000000' })).text()).toBe('RangeError');
    expect((await p.invoke({ path: '/?n=10' })).text()).toBe('10');
  });
});
