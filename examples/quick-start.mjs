// The smallest real use: one pool, one handler, a few invocations.
//   node examples/quick-start.mjs            (QuickJS-NG worker)
//   RUNTIME=bun node examples/quick-start.mjs
import { createPool, profiles } from 'bunbase-functions';

const runtime = process.env.RUNTIME ?? 'quickjs-ng';

const pool = createPool({
  runtime,
  capabilities: profiles.strict('quick-start'),
  env: { GREETING: 'Hello' },
  source: {
    code: `
      export default {
        async fetch(request, env) {
          const url = new URL(request.url);
          const name = url.searchParams.get('name') ?? 'world';
          console.log('greeting', name);
          if (request.method === 'POST') {
            const data = await request.json();
            return Response.json({ received: data, sum: data.numbers.reduce((a, b) => a + b, 0) });
          }
          return new Response(env.GREETING + ', ' + name + '!', { headers: { 'content-type': 'text/plain' } });
        },
      };
    `,
  },
});

try {
  const hello = await pool.invoke({ method: 'GET', path: '/?name=bunbase' });
  console.log(`[${runtime}] ${hello.status} ${hello.text()}`);
  console.log(`  logs: ${JSON.stringify(hello.logs.map((l) => l.message))}`);
  console.log(`  cold start: ${hello.metrics.coldStart}, wall ${hello.metrics.wallMs.toFixed(1)} ms`);

  const sum = await pool.invoke({ method: 'POST', path: '/sum', body: JSON.stringify({ numbers: [1, 2, 3] }) });
  console.log(`[${runtime}] ${sum.status} ${JSON.stringify(sum.json())}`);
  console.log(`  warm call: wall ${sum.metrics.wallMs.toFixed(2)} ms, cpu ${sum.metrics.cpuMs.toFixed(2)} ms`);

  try {
    await pool.invoke({ method: 'POST', path: '/sum', body: 'not json' });
  } catch (error) {
    console.log(`[${runtime}] a bad body fails with ${error.code}: ${error.message}`);
  }
} finally {
  await pool.close();
}
