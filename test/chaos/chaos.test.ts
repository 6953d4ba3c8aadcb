import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROCESS_RUNTIMES, alive, waitFor } from '../helpers.js';

/**
 * Chaos: workers SIGKILLed, SIGSTOPped and killed while starting under load,
 * a low descriptor limit, close() with hung and queued calls, a host that
 * exits without close(). Each run is a host process of its own
 * (chaos-host.mjs), so a fault that took a host down could never take the
 * test runner with it. Every run asserts: every call settled (the host's
 * watchdog reports a hang otherwise) with its own answer or a code, close()
 * resolved, no worker process, work directory or descriptor is left, and
 * stats().invocations adds up.
 *
 * The short form runs in `npm test`; `npm run chaos` runs the long form
 * (10,000 invocations per run) and prints each run's report.
 */
const HOST = fileURLToPath(new URL('./chaos-host.mjs', import.meta.url));
const LONG = process.env['BUNBASE_CHAOS'] === 'long';
const INVOCATIONS = LONG ? 10_000 : 200;
const RUN_TIMEOUT_MS = LONG ? 40 * 60_000 : 180_000;
/** Codes a call may end with under these faults (POOL_CLOSED only for calls close() cut short). */
const FAULT_CODES = ['WORKER_CRASHED', 'TIMEOUT', 'RESOURCE_EXHAUSTED'];

interface Report {
  hung?: boolean;
  outcomes: Record<string, number>;
  wrong: number;
  faults: number;
  mostLive: number;
  settleMs: { p50: number; p99: number; max: number };
  close: { ms: number; extra: Record<string, number> };
  counters: { addUp: boolean };
  leftover: { processes: number[]; strays: number[]; workDirs: number; descriptors: { before: number; after: number } };
}

async function runHost(settings: Record<string, unknown>, maxFds?: number): Promise<{ status: number | null; lines: string[] }> {
  const json = JSON.stringify({ invocations: INVOCATIONS, watchdogMs: RUN_TIMEOUT_MS - 60_000, ...settings });
  const child =
    maxFds === undefined
      ? spawn(process.execPath, [HOST, json], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('bash', ['-c', `ulimit -n ${maxFds} && exec "$0" "$1" "$2"`, process.execPath, HOST, json], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  if (stderr !== '') throw new Error(`the host wrote to stderr (status ${status}): ${stderr}`);
  return { status, lines: stdout.trim().split('\n') };
}

async function chaos(settings: Record<string, unknown>, maxFds?: number): Promise<Report> {
  const { status, lines } = await runHost(settings, maxFds);
  const report = JSON.parse(lines.at(-1) ?? '{}') as Report;
  if (LONG) console.log(JSON.stringify({ maxFds, ...report }));
  expect(report.hung, JSON.stringify(report)).toBeUndefined();
  expect(status).toBe(0);
  expect(report.wrong).toBe(0);
  const total = Object.values(report.outcomes).reduce((a, b) => a + b, 0);
  expect(total).toBe(INVOCATIONS);
  expect(report.outcomes['ok'] ?? 0).toBeGreaterThan(0);
  for (const code of Object.keys(report.outcomes)) if (code !== 'ok') expect(FAULT_CODES).toContain(code);
  expect(report.counters.addUp, JSON.stringify(report.counters)).toBe(true);
  expect(report.leftover.processes).toEqual([]);
  expect(report.leftover.strays).toEqual([]);
  expect(report.leftover.workDirs).toBe(0);
  expect(report.leftover.descriptors.after).toBeLessThanOrEqual(report.leftover.descriptors.before);
  return report;
}

// Faults are signals and descriptor limits on worker processes: quickjs-wasm workers are not processes.
describe.each(PROCESS_RUNTIMES)('%s: chaos', (runtime) => {
  describe.each([
    { minWorkers: 0, concurrency: 1 },
    { minWorkers: 4, concurrency: 1 },
    { minWorkers: 0, concurrency: 8 },
    { minWorkers: 4, concurrency: 8 },
  ])('SIGKILL of a random worker every 5-50 ms, 32 calls in flight', ({ minWorkers, concurrency }) => {
    it(`minWorkers ${minWorkers}, concurrency ${concurrency}`, async () => {
      const report = await chaos({ runtime, fault: 'sigkill', everyMs: [5, 50], minWorkers, concurrency });
      expect(report.faults).toBeGreaterThan(0);
    }, RUN_TIMEOUT_MS);
  });

  it('SIGSTOP of random workers (half of them continued before their deadline): hung ones end TIMEOUT and are replaced', async () => {
    const report = await chaos({ runtime, fault: 'sigstop', everyMs: [50, 200], timeoutMs: 1000 });
    expect(report.faults).toBeGreaterThan(0);
  }, RUN_TIMEOUT_MS);

  it('kills during start-up (minWorkers 4, workers recycled every 10 calls): queued work waits for the next worker', async () => {
    const report = await chaos({ runtime, fault: 'startup', minWorkers: 4, recycleAfter: 10 });
    expect(report.faults).toBeGreaterThan(0);
  }, RUN_TIMEOUT_MS);

  it('ulimit -n 120 with maxWorkers 64 and SIGKILLs: workers past the limit are refused (RESOURCE_EXHAUSTED), the host survives', async () => {
    const report = await chaos({ runtime, fault: 'sigkill', everyMs: [20, 80], maxWorkers: 64, inFlight: 64 }, 120);
    expect(report.mostLive).toBeGreaterThan(0);
    expect(report.mostLive).toBeLessThan(64);
  }, RUN_TIMEOUT_MS);

  it('close() with a hung call on every slot and more queued, under SIGKILLs: it ends, what was cut short is POOL_CLOSED', async () => {
    const report = await chaos({ runtime, fault: 'sigkill', everyMs: [5, 50], minWorkers: 4, concurrency: 8, closeWith: 'hung' });
    expect(report.close.extra['POOL_CLOSED'] ?? 0).toBeGreaterThan(0);
    for (const code of Object.keys(report.close.extra)) expect(['ok', 'POOL_CLOSED', 'WORKER_CRASHED']).toContain(code);
  }, RUN_TIMEOUT_MS);

  it('a host that exits halfway without close(), under SIGKILLs, leaves no worker process and no work directory', async () => {
    const { status, lines } = await runHost({ runtime, fault: 'sigkill', everyMs: [5, 50], minWorkers: 4, exitMidRun: true });
    expect(status).toBe(0);
    const exit = JSON.parse(lines.at(-1) ?? '{}') as { exited: boolean; pids: number[]; hostDirs: string[] };
    expect(exit.exited).toBe(true);
    expect(exit.hostDirs).toHaveLength(1);
    await waitFor(() => exit.pids.every((pid) => !alive(pid)), 10_000);
    expect(readdirSync(tmpdir()).filter((name) => exit.hostDirs.includes(name))).toEqual([]);
  }, RUN_TIMEOUT_MS);
});
