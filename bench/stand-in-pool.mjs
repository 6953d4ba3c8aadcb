// A real Pool of one package root (its dist/) whose workers are stand-ins that answer at once
// (bench/stand-in-worker.mjs): the host's own path (pool, session, process transport, codec)
// with no runtime behind it. Used by the host-CPU benches that compare package roots.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const STAND_IN = join(dirname(fileURLToPath(import.meta.url)), 'stand-in-worker.mjs');

/** The Pool class of `root`, ready, with `options` over the stand-in defaults. */
export async function startStandInPool(root, options) {
  const load = (path) => import(join(root, 'dist', path));
  const { Pool } = await load('pool.js');
  const { InvocationSession } = await load('workers/session.js');
  const { ProcessTransport } = await load('workers/process-transport.js');
  const { validateOptions } = await load('options.js');
  const { validateCapabilities, profiles } = await load('capabilities/index.js');
  const { PROTOCOL_VERSION } = await load('protocol/index.js');
  const validated = validateOptions({
    runtime: 'bun',
    osSandbox: false,
    capabilities: profiles.strict('bench'),
    source: { code: 'export default {}' },
    recycleAfter: 0,
    maxQueue: 1024,
    ...options,
  });
  const launch = {
    spawn: () => spawn(process.execPath, [STAND_IN], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { PROTOCOL: String(PROTOCOL_VERSION) } }),
  };
  const pool = new Pool({
    runtime: 'bun',
    options: validated,
    capabilities: validateCapabilities(validated.capabilities),
    bundle: { source: 'export default {}', filename: 'handler.js' },
    hostCall: () => Promise.reject(new Error('no host calls here')),
    createWorker: (context) => new InvocationSession('bun', context, new ProcessTransport('bun', context, launch)),
  });
  await pool.ready();
  return pool;
}
