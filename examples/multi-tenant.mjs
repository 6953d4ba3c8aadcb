// A host app that runs each tenant's function in its own pool, with its own
// profile, behind one HTTP server: GET /t/<tenant>/... runs that tenant's code.
// It starts, sends a few requests to itself on 127.0.0.1, prints them and stops.
import { createServer } from 'node:http';
import { createPool, profiles } from 'bunbase-functions';

const runtime = process.env.RUNTIME ?? 'quickjs-ng';

const tenants = {
  acme: {
    code: `export default { fetch(req) { return Response.json({ tenant: 'acme', path: new URL(req.url).pathname }) } }`,
    capabilities: profiles.strict('acme'),
  },
  globex: {
    code: `export default async function (req, env) {
      return new Response('globex says ' + env.MOTTO + ' to ' + req.headers.get('user-agent'));
    }`,
    capabilities: profiles.custom('globex', { maxCpu: 1000 }),
    env: { MOTTO: 'hi' },
  },
  // A misbehaving tenant: it never answers. Its deadline kills only its own worker.
  initech: {
    code: `export default { fetch() { for (;;) {} } }`,
    capabilities: profiles.strict('initech'),
  },
};

const pools = new Map(
  Object.entries(tenants).map(([name, t]) => [
    name,
    createPool({ runtime, capabilities: t.capabilities, source: { code: t.code }, env: t.env ?? {}, timeoutMs: 500, maxWorkers: 2 }),
  ]),
);
for (const [name, pool] of pools) pool.on('log', (e) => console.log(`  [${name} log] ${e.message}`));

const server = createServer(async (req, res) => {
  const [, prefix, tenant, ...rest] = (req.url ?? '/').split('/');
  const pool = prefix === 't' ? pools.get(tenant ?? '') : undefined;
  if (pool === undefined) {
    res.writeHead(404).end('no such tenant\n');
    return;
  }
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  try {
    const result = await pool.invoke({
      method: req.method,
      path: '/' + rest.join('/'),
      headers: Object.fromEntries(Object.entries(req.headers).filter(([, v]) => typeof v === 'string')),
      body: chunks.length > 0 ? Buffer.concat(chunks) : null,
    });
    res.writeHead(result.status, result.headers).end(result.body);
  } catch (error) {
    // Codes are stable: map them to HTTP statuses once.
    const status = { TIMEOUT: 504, CPU_LIMIT: 504, QUEUE_FULL: 503, HANDLER_ERROR: 502 }[error.code] ?? 500;
    res.writeHead(status).end(`${error.code}: ${error.message}\n`);
  }
});

await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
try {
  for (const path of ['/t/acme/orders/7', '/t/globex/', '/t/initech/', '/t/acme/still-fine', '/t/nobody/']) {
    const response = await fetch(base + path, { headers: { 'user-agent': 'example' } });
    console.log(`${path} -> ${response.status} ${(await response.text()).trim()}`);
  }
  for (const [name, pool] of pools) {
    const s = pool.stats();
    console.log(`${name}: ${s.invocations.succeeded} ok, ${s.invocations.failed} failed, workers started ${s.workersStarted}`);
  }
} finally {
  server.close();
  await Promise.all([...pools.values()].map((p) => p.close()));
}
