import { createPool, type PoolOptions, type RuntimeName } from 'bunbase-functions';
import { profiles } from 'bunbase-functions';
import { readdirSync, readFileSync } from 'node:fs';

const ALL_RUNTIMES: readonly RuntimeName[] = ['bun', 'quickjs-ng', 'quickjs-wasm'];

/**
 * The runtimes the conformance suite runs against. All three by default; set
 * BUNBASE_TEST_RUNTIMES=bun to run one while working on it. CI runs all.
 */
export const RUNTIMES: RuntimeName[] = (process.env['BUNBASE_TEST_RUNTIMES'] ?? ALL_RUNTIMES.join(','))
  .split(',')
  .map((r) => r.trim())
  .filter((r): r is RuntimeName => (ALL_RUNTIMES as string[]).includes(r));

/**
 * The runtimes whose workers are processes of their own (pids, exit codes,
 * stdout, an OS fence). quickjs-wasm sandboxes live in threads of the host
 * process, so tests about processes do not apply to them.
 */
export const PROCESS_RUNTIMES: RuntimeName[] = RUNTIMES.filter((r) => r !== 'quickjs-wasm');

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

/** Open descriptors of this process. */
export function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Rejects after `ms` with a message naming what hung: a watchdog for tests whose failure mode is a hang. */
export function watchdog<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const fail = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung: ${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, fail]).finally(() => clearTimeout(timer));
}

/** The response's text, or the error's code: observed at once, so no rejection is ever unhandled. */
export function outcome(call: Promise<{ text(): string }>): Promise<string> {
  return call.then(
    (response) => response.text(),
    (error: unknown) => String((error as { code?: string }).code ?? error),
  );
}

/** Settles every promise and returns each outcome's text or error code. */
export function outcomes(calls: Promise<{ text(): string }>[]): Promise<string[]> {
  return Promise.all(calls.map(outcome));
}

/** Top-level code that keeps a worker in start-up for `ms`, so a test can kill it there. */
export function slowStart(ms: number, body: string): string {
  return `const until = Date.now() + ${ms}; while (Date.now() < until) {}\n${body}`;
}

/**
 * SIGKILLs the next `count` workers of `pool` while they are still starting
 * (every worker of the pool must be starting when one is seen: minWorkers/maxWorkers 1).
 */
export async function killWhileStarting(pool: { stats(): { pids: number[]; workers: { starting: number; ready: number } } }, count: number, timeoutMs = 20_000): Promise<void> {
  const killed = new Set<number>();
  const until = Date.now() + timeoutMs;
  while (killed.size < count) {
    if (Date.now() > until) throw new Error(`saw only ${killed.size} of ${count} starting workers`);
    const s = pool.stats();
    if (s.workers.ready === 0 && s.workers.starting > 0) {
      for (const pid of s.pids) {
        if (killed.has(pid)) continue;
        killed.add(pid);
        process.kill(pid, 'SIGKILL');
      }
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}
