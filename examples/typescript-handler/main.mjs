// A TypeScript handler with npm imports (hono, zod), bundled by the host.
//   node examples/typescript-handler/main.mjs              (QuickJS-NG worker)
//   RUNTIME=bun node examples/typescript-handler/main.mjs
// In your own project: npm install bunbase-functions esbuild hono zod.
import { fileURLToPath } from 'node:url';
import { buildHandler, createPool, profiles } from 'bunbase-functions';

const runtime = process.env.RUNTIME ?? 'quickjs-ng';
const entry = fileURLToPath(new URL('./handler.ts', import.meta.url));

// At deploy time: build (or find in the cache) once, so no pool's cold start waits for a build.
const bundle = await buildHandler(entry, { runtime });
console.log(
  `bundle: ${bundle.code.length} bytes from ${bundle.from} in ${bundle.buildMs.toFixed(0)} ms, ${bundle.inputs.length} input files`,
);

const started = performance.now();
const pool = createPool({
  runtime,
  capabilities: profiles.strict('typescript-example'),
  env: { GREETING: 'Hello' },
  source: { entry },
});
try {
  await pool.ready();
  const hello = await pool.invoke({ path: '/hello/Ada' });
  console.log(`cold start to first answer: ${(performance.now() - started).toFixed(0)} ms`);
  console.log(hello.status, hello.text());

  const order = await pool.invoke({
    method: 'POST',
    path: '/orders',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ item: 'tea', quantity: 3, express: true }),
  });
  console.log(
    order.status,
    order.json(),
    order.logs.map((l) => l.message.trim()),
  );

  const invalid = await pool.invoke({ method: 'POST', path: '/orders', body: JSON.stringify({ item: '', quantity: 0 }) });
  console.log(invalid.status, invalid.json());

  const error = await pool.invoke({ path: '/fail' }).catch((e) => e);
  if (error.code !== 'HANDLER_ERROR' || !/handler\.ts:\d+:\d+/.test(error.workerStack)) {
    throw new Error(`expected a HANDLER_ERROR whose stack names handler.ts, got ${error.code}: ${error.workerStack}`);
  }
  console.log(error.code, error.workerStack.split('\n').slice(0, 2).join(' | '));
  if (hello.text() !== 'Hello, Ada!' || order.status !== 201 || order.json().total !== 23.5 || invalid.status !== 400) {
    throw new Error('the example did not answer as expected');
  }
} finally {
  await pool.close();
}
