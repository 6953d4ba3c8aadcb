// Using the production sandbox inside a unit test: the handler under test runs
// in the same worker runtime and profile as in production.
//   node --test examples/unit-test-sandbox.test.mjs
//   RUNTIME=quickjs-wasm node --test examples/unit-test-sandbox.test.mjs   (no native build needed)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createPool, profiles } from 'bunbase-functions';

const runtime = process.env.RUNTIME ?? 'quickjs-ng';
let pool;

before(() => {
  pool = createPool({
    runtime,
    capabilities: profiles.strict('tests'),
    source: {
      code: `export default {
        async fetch(req) {
          const { items } = await req.json();
          if (!Array.isArray(items)) return Response.json({ error: 'items must be an array' }, { status: 400 });
          return Response.json({ total: items.reduce((sum, i) => sum + i.price * i.qty, 0) });
        },
      };`,
    },
  });
});
after(() => pool.close());

test('computes the order total', async () => {
  const res = await pool.invoke({ method: 'POST', path: '/total', body: JSON.stringify({ items: [{ price: 2, qty: 3 }, { price: 1, qty: 1 }] }) });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json(), { total: 7 });
});

test('rejects a malformed order with 400', async () => {
  const res = await pool.invoke({ method: 'POST', path: '/total', body: JSON.stringify({ items: 'nope' }) });
  assert.equal(res.status, 400);
});

test('a handler bug surfaces as HANDLER_ERROR', async () => {
  await assert.rejects(pool.invoke({ method: 'POST', path: '/total', body: '{' }), { code: 'HANDLER_ERROR' });
});
