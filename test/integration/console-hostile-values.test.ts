import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

// console.log never fails because of what it is given, and never calls a
// getter (Node shows [Getter]): a Proxy whose traps throw, a throwing getter,
// an Error whose stack getter throws, a Symbol under %d made the handler throw.
const HANDLER = `export default () => {
  const trap = new Proxy({}, { get() { throw new Error('trap get'); }, ownKeys() { throw new Error('trap keys'); }, getPrototypeOf() { throw new Error('trap proto'); } });
  let calls = 0;
  const getters = { get boom() { calls++; throw new Error('getter'); }, get n() { calls++; return 5; }, ok: 1 };
  const badError = new Error('x');
  Object.defineProperty(badError, 'stack', { get() { throw new Error('stack getter'); } });
  console.log('proxy', trap);
  console.log('getters', getters);
  console.log(badError);
  console.log('%d|%i|%f', Symbol('s'), Symbol('t'), Symbol('u'));
  return new Response('getter calls: ' + calls);
}`;

describe.each(RUNTIMES)('%s: console.log of hostile values', (runtime) => {
  let p: Pool;
  beforeAll(() => {
    p = pool(runtime, HANDLER);
  });
  afterAll(async () => p.close());

  it('logs every line, calls no getter, and the handler answers', async () => {
    const res = await p.invoke({ path: '/' });
    expect(res.text()).toBe('getter calls: 0');
    const lines = res.logs.map((l) => l.message);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^proxy /);
    expect(lines[1]).toBe('getters { boom: [Getter], n: [Getter], ok: 1 }');
    expect(lines[2]).toContain('Uninspectable');
  });
});
