import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

/**
 * A handler may replace any global it sees, including the ones the runtime
 * itself speaks the protocol with. The runtime took its own copies before
 * the handler loaded: the handler's replacements change what the handler
 * sees, never how its worker talks to the host.
 */
const HANDLER = `
JSON.stringify = () => '{"id":0,"type":"ready","payload":{}}';
JSON.parse = () => ({ forged: true });
export default {
  async fetch(req) {
    const body = await req.text();
    return new Response('got ' + body + ' ' + req.headers.get('x-a'), { headers: { 'x-b': 'c' } });
  },
};`;

describe.each(RUNTIMES)('%s: a handler that replaces JSON', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('is answered as usual: the worker speaks the protocol with its own JSON', async () => {
    p = pool(runtime, HANDLER, { maxWorkers: 1 });
    for (let i = 0; i < 3; i++) {
      const res = await p.invoke({ method: 'POST', path: '/', headers: { 'x-a': 'b' }, body: `n${i}` });
      expect(res.status).toBe(200);
      expect(res.text()).toBe(`got n${i} b`);
      expect(res.headers['x-b']).toBe('c');
    }
  });
});

describe.each(RUNTIMES)('%s: a handler that replaces Response', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('still answers with the Response it built before the replacement', async () => {
    p = pool(runtime, `const R = Response; globalThis.Response = function () { return {}; }; export default { fetch() { return new R('real') } }`);
    expect((await p.invoke({ path: '/' })).text()).toBe('real');
  });
});
