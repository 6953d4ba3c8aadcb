import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROCESS_RUNTIMES } from '../helpers.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/host-out-of-descriptors.mjs', import.meta.url));

// Processes killed, stopped or starved of descriptors: quickjs-wasm workers are not processes.
describe.each(PROCESS_RUNTIMES)('%s: a host with few file descriptors', (runtime) => {
  it('refuses workers past its limit with RESOURCE_EXHAUSTED, serves everything with the workers it has, survives a full table and recovers', () => {
    // A child host with `ulimit -n 200` asks for 100 workers (300 descriptors).
    const run = spawnSync('bash', ['-c', `ulimit -n 200 && exec "${process.execPath}" "${FIXTURE}" ${runtime} 100`], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').pop() as string);
    expect(report.calls).toEqual({ ok: 100 });
    expect(report.mostLive).toBeGreaterThan(0);
    expect(report.mostLive).toBeLessThan(100);
    expect(Object.keys(report.refusals)).toEqual(['RESOURCE_EXHAUSTED']);
    expect(report.afterFull).toBe('RESOURCE_EXHAUSTED');
    expect(report.recovered).toBe('/recovered');
  });
});
