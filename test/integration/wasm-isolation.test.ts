import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { pool } from '../helpers.js';

const COUNTER = `let count = 0; globalThis.leak ??= 0;
export default { fetch() { count++; globalThis.leak++; return Response.json({ count, leak: globalThis.leak }) } }`;

describe('quickjs-wasm: isolation per invocation', () => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it("isolation 'invocation' gives every invocation a fresh context", async () => {
    p = pool('quickjs-wasm', COUNTER, { isolation: 'invocation', maxWorkers: 1 });
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push((await p.invoke({ path: '/' })).json());
    expect(seen).toEqual([{ count: 1, leak: 1 }, { count: 1, leak: 1 }, { count: 1, leak: 1 }]);
  });

  it("positive control: with isolation 'worker' state survives", async () => {
    p = pool('quickjs-wasm', COUNTER, { maxWorkers: 1 });
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push((await p.invoke({ path: '/' })).json());
    expect(seen).toEqual([{ count: 1, leak: 1 }, { count: 2, leak: 2 }, { count: 3, leak: 3 }]);
  });
});
