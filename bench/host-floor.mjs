// The floor under the host's CPU per call: the pool (pool, session, process transport, codec)
// against a minimal driver of the same stand-in worker (bench/stand-in-worker.mjs) over the
// same kind of channel: one line out, one line back, JSON.parse, a promise. What the pool
// costs beyond that is its own; the rest is Node's and the kernel's share of a round trip.
//   node bench/host-floor.mjs <package root> [<package root>...]
// IN_FLIGHT calls at once (default 1: one call at a time), CONC the pool's concurrency
// (default 1), one worker; the contenders take turns in rounds, medians are printed.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callsInFlight, inTurn } from './rounds.mjs';
import { startStandInPool } from './stand-in-pool.mjs';
const STAND_IN = join(dirname(fileURLToPath(import.meta.url)), 'stand-in-worker.mjs');
const roots = process.argv.slice(2).map((r) => resolve(r));
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 1);
async function startPool(root) {
  const pool = await startStandInPool(root, { minWorkers: 1, maxWorkers: 1, concurrency: Number(process.env.CONC ?? 1), spinWaitUs: 0 });
  return { invoke: (r) => pool.invoke(r), close: () => pool.close() };
}
function startRaw() {
  const child = spawn(process.execPath, [STAND_IN], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { PROTOCOL: '1' } });
  const ch = child.stdio[3]; let pending = new Map(); let id = 1; let rest = '';
  ch.on('data', (chunk) => { const lines = (rest + chunk.toString()).split('\n'); rest = lines.pop(); for (const l of lines) { const m = JSON.parse(l); const r = pending.get(m.id); pending.delete(m.id); r?.(m); } });
  ch.write(JSON.stringify({ id: 0, type: 'init', payload: {} }) + '\n');
  return { invoke: () => new Promise((res) => { const i = id++; pending.set(i, res); ch.write(`{"id":${i},"type":"invoke","payload":{"method":"GET","url":"http://localhost/","headers":[],"body":null,"cpuMs":30000,"timeoutMs":30000}}\n`); }), close: () => child.kill() };
}
const targets = [startRaw()];
for (const r of roots) targets.push(await startPool(r));
const names = ['raw', ...roots];
const CALLS = 5000, ROUNDS = Number(process.env.ROUNDS ?? 10);
for (const t of targets) for (let i = 0; i < 3000; i++) await t.invoke({ path: '/' });
const per = targets.map(() => []);
for (let round = 0; round < ROUNDS; round++) for (const [k, t] of inTurn(targets, round)) {
  const before = process.cpuUsage();
  await callsInFlight(IN_FLIGHT, CALLS, () => t.invoke({ path: '/' }));
  const u = process.cpuUsage(before); per[k].push([(u.user + u.system) / CALLS, u.user / CALLS]);
}
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const [k, n] of names.entries()) console.log(n.padEnd(24), 'total', med(per[k].map((x) => x[0])).toFixed(1), 'user', med(per[k].map((x) => x[1])).toFixed(1), k > 0 ? `ratio ${med(per[k].map((x, i) => x[0] / per[1][i][0])).toFixed(3)}` : '');
for (const t of targets) await t.close();
process.exit(0);
