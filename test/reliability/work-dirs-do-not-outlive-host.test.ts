import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROCESS_RUNTIMES, alive, waitFor } from '../helpers.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/host-exits-without-close.mjs', import.meta.url));

function host(runtime: string, mode: string, tmp: string): { pids: number[]; status: number | null; signal: string | null } {
  const run = spawnSync(process.execPath, [FIXTURE, runtime, mode], { encoding: 'utf8', env: { ...process.env, TMPDIR: tmp }, timeout: 60_000 });
  const pids = JSON.parse(run.stdout.trim().split('\n')[0] ?? '[]') as number[];
  return { pids, status: run.status, signal: run.signal };
}

// Processes killed, stopped or starved of descriptors: quickjs-wasm workers are not processes.
describe.each(PROCESS_RUNTIMES)('%s: a host that exits without close()', (runtime) => {
  it('leaves no worker process and no work directory, whether it exits, throws or is killed', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'bunbase-test-tmp-'));
    try {
      for (const mode of ['exit', 'throw']) {
        const run = host(runtime, mode, tmp);
        expect(run.pids).toHaveLength(3);
        expect(run.status).toBe(mode === 'exit' ? 0 : 1);
        await waitFor(() => run.pids.every((pid) => !alive(pid)), 10_000);
        expect(readdirSync(tmp)).toEqual([]);
      }
      const killed = host(runtime, 'kill', tmp);
      expect(killed.signal).toBe('SIGKILL');
      await waitFor(() => killed.pids.every((pid) => !alive(pid)), 10_000);
      // No handler ran: its directory is left, until the next host starts a worker.
      expect(readdirSync(tmp).filter((name) => name.startsWith('bunbase-'))).toHaveLength(1);
      const next = host(runtime, 'sweep', tmp);
      expect(next.status).toBe(0);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
