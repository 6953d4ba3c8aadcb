import { createPool, type PoolOptions, type RuntimeName } from 'bunbase-functions';
import { profiles } from 'bunbase-functions';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The runtimes the conformance suite runs against. Both by default; set
 * BUNBASE_TEST_RUNTIMES=bun to run one while working on it. CI runs both.
 */
export const RUNTIMES: RuntimeName[] = (process.env['BUNBASE_TEST_RUNTIMES'] ?? 'bun,quickjs-ng')
  .split(',')
  .map((r) => r.trim())
  .filter((r): r is RuntimeName => r === 'bun' || r === 'quickjs-ng');

export function pool(runtime: RuntimeName, code: string, options: Partial<PoolOptions> = {}) {
  return createPool({
    runtime,
    capabilities: profiles.strict('test-project'),
    source: { code },
    ...options,
  });
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function childPids(): number[] {
  // Direct children of this test process, from /proc.
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}
