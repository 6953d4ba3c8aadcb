// A functions server: a registry of two tenants' functions kept in SQLite,
// served over HTTP at /<projectId>/<name>/...; one function's capabilities
// change while it runs. It serves on 127.0.0.1, calls itself, prints, stops.
//   node examples/functions-server.mjs
// Needs better-sqlite3 (npm install better-sqlite3), the registry's store.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry, createRequestListener } from 'bunbase-functions';

const dir = mkdtempSync(join(tmpdir(), 'functions-server-'));
const registry = await createRegistry({ database: join(dir, 'functions.db'), maxWorkers: 8, maxProjectConcurrency: 4 });
registry.on('poolclose', (e) => console.log(`  [pool of ${e.functionId} closed: ${e.reason}]`));

// Tenant acme: a greeting on QuickJS-NG.
await registry.register({
  id: 'acme-greet',
  name: 'greet',
  projectId: 'acme',
  runtime: 'quickjs-ng',
  source: {
    code: `export default (req, env) => {
      const name = new URL(req.url).searchParams.get('name') ?? 'world';
      return new Response(env.GREETING + ', ' + name + '!');
    }`,
  },
  capabilities: { maxCpu: 1000 },
  env: { GREETING: 'Hello' },
});

// Tenant globex: a calculator on Bun that evaluates expressions, which needs allowEval.
await registry.register({
  id: 'globex-calc',
  name: 'calc',
  projectId: 'globex',
  runtime: 'bun',
  source: {
    code: `export default async (req) => {
      const expression = await req.text();
      try {
        return Response.json({ expression, value: (0, eval)(expression) });
      } catch (error) {
        return Response.json({ expression, refused: error.name }, { status: 403 });
      }
    }`,
  },
  capabilities: {},
});

const server = createServer(createRequestListener(registry));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

async function call(path, init) {
  const response = await fetch(base + path, init);
  const text = await response.text();
  console.log(`${init?.method ?? 'GET'} ${path} -> ${response.status} ${text}`);
  return { status: response.status, text };
}

try {
  assert.equal((await call('/acme/greet/?name=Ada')).text, 'Hello, Ada!');
  assert.equal((await call('/globex/calc/', { method: 'POST', body: '6 * 7' })).status, 403);

  console.log('globex allows eval for calc (from the next call on)');
  await registry.updateCapabilities('globex-calc', { allowEval: true });
  assert.equal(JSON.parse((await call('/globex/calc/', { method: 'POST', body: '6 * 7' })).text).value, 42);

  console.log('acme deploys version 2 of greet');
  await registry.deploy('acme-greet', { source: { code: `export default () => new Response('Howdy!')` } });
  assert.equal((await call('/acme/greet/')).text, 'Howdy!');
  assert.equal((await call('/acme/calc/')).status, 404);

  for (const record of await registry.list()) {
    const history = await registry.capabilityHistory(record.id);
    console.log(`${record.projectId}/${record.name}: ${record.runtime}, version ${record.version}, capabilities changed ${history.length - 1} time(s)`);
  }
  const stats = registry.stats();
  console.log(`pools opened ${stats.pools.opened}, replaced ${stats.pools.replaced}, workers reserved ${stats.reservedWorkers}/${stats.maxWorkers}`);
} finally {
  await new Promise((resolve) => server.close(resolve));
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
}
