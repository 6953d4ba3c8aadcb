// What a denial looks like: the handler gets an exception, the host gets a
// `denied` event naming who tried what and which rule said no, and the
// invocation's metrics count it.
import { createPool, profiles } from 'bunbase-functions';

const runtime = process.env.RUNTIME ?? 'quickjs-ng';

const pool = createPool({
  runtime,
  capabilities: profiles.custom('denial-demo', { allowNetwork: true, allowedDomains: ['api.example.com'] }),
  source: {
    code: `export default {
      async fetch() {
        const attempts = {};
        for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://evil.example.net/', 'http://127.0.0.1:22/']) {
          try { await fetch(url); attempts[url] = 'reached'; }
          catch (e) { attempts[url] = e.code + ': ' + e.message; }
        }
        try { attempts.eval = eval('1 + 1'); } catch (e) { attempts.eval = e.name + ': ' + e.message; }
        return Response.json(attempts);
      },
    };`,
  },
});

pool.on('denied', (d) => console.log(`denied: project ${d.projectId} tried ${d.capability} ${d.target} (${d.rule})`));

try {
  const res = await pool.invoke({ path: '/' });
  console.log(JSON.stringify(res.json(), null, 2));
  console.log(`denials counted in this invocation: ${res.metrics.denials}`);
} finally {
  await pool.close();
}
