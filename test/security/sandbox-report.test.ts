import { readFileSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPool, profiles, type Capabilities, type PoolOptions, type WorkerStartEvent } from 'bunbase-functions';
import { PROCESS_RUNTIMES } from './harness.js';

/**
 * The OS fence is on around every worker of both runtimes, and what the pool
 * reports is what the kernel says: each claim in `stats().sandbox` is checked
 * against /proc/<worker pid> from the outside (NoNewPrivs, Seccomp mode, the
 * network namespace, the capability sets, RLIMIT_NOFILE). The control is the
 * same pool with `osSandbox: false`: every one of those checks then comes out
 * the other way, so the checks can fail.
 */
const CODE = `export default { fetch() { return new Response('ok') } }`;

function status(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}
const netns = (pid: number | 'self') => readlinkSync(`/proc/${pid}/ns/net`);
const maxOpenFiles = (pid: number) => Number((readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files')) ?? '').split(/\s{2,}/)[1]);

async function started(runtime: PoolOptions['runtime'], capabilities: Capabilities, options: Partial<PoolOptions> = {}) {
  const events: WorkerStartEvent[] = [];
  const pool = createPool({ runtime, capabilities, source: { code: CODE }, minWorkers: 1, ...options });
  pool.on('workerstart', (e) => events.push(e));
  await pool.ready();
  const pid = pool.stats().pids[0] as number;
  return { pool, pid, sandbox: pool.stats().sandbox, events };
}

const PROFILES: [string, () => Capabilities, boolean][] = [
  ['strict', () => profiles.strict('report'), false],
  ['custom with allowNetwork', () => profiles.custom('report', { allowNetwork: true }), true],
  ['permissive', () => profiles.permissive('report'), true],
];

// OS layer only: quickjs-wasm has no fence to check in /proc (its report, { os: 'none' }, is tested in test/integration).
describe.each(PROCESS_RUNTIMES)('%s: the OS fence is on, and the report matches the kernel', (runtime) => {
  it.each(PROFILES)('%s: every layer on, checked in /proc', async (_name, caps, network) => {
    const { pool, pid, sandbox, events } = await started(runtime, caps());
    try {
      expect(sandbox).toMatchObject({ landlock: 'on', seccomp: 'on', rlimits: 'on', noNewPrivs: 'on', capabilities: 'on', netns: network ? 'off' : 'on' });
      expect(sandbox['landlockAbi']).toBeGreaterThanOrEqual(4);
      expect(events[0]?.info.sandbox).toEqual(sandbox);
      const s = status(pid);
      expect(s['NoNewPrivs']).toBe('1');
      expect(s['Seccomp']).toBe('2');
      expect(s['CapEff']).toBe('0000000000000000');
      expect(s['CapBnd']).toBe('0000000000000000');
      if (network) expect(netns(pid)).toBe(netns('self'));
      else expect(netns(pid)).not.toBe(netns('self'));
      expect(maxOpenFiles(pid)).toBeLessThan(1024);
    } finally {
      await pool.close();
    }
  });

  it('the worker runs in a private working directory with a clean environment (issue 4, item 1)', async () => {
    process.env['BUNBASE_SECURITY_CANARY'] = 'must-not-reach-the-worker';
    const { pool, pid } = await started(runtime, profiles.strict('report'));
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      expect(cwd, 'the worker cwd').not.toBe(process.cwd());
      expect(cwd.startsWith(process.cwd() + '/'), 'the worker cwd is not inside the host tree').toBe(false);
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean);
      // HOME, the fence report and Bun's JIT size (launcher-args.ts) are set by us; the host's own never arrive.
      expect(environ.filter((e) => !/^(HOME|BUNBASE_SANDBOX|BUN_JSC_jitMemoryReservationSize)=/.test(e)), 'variables in the worker environment').toEqual([]);
    } finally {
      delete process.env['BUNBASE_SECURITY_CANARY'];
      await pool.close();
    }
  });

  it('requireOsSandbox: true starts when every layer is there', async () => {
    const { pool, sandbox } = await started(runtime, profiles.strict('report'), { requireOsSandbox: true });
    try {
      expect(sandbox).toMatchObject({ landlock: 'on', seccomp: 'on', rlimits: 'on', noNewPrivs: 'on', netns: 'on' });
      expect((await pool.invoke({ path: '/' })).text()).toBe('ok');
    } finally {
      await pool.close();
    }
  });

  it('requireOsSandbox with osSandbox: false is refused before any spawn (INVALID_OPTIONS)', () => {
    expect(() => createPool({ runtime, capabilities: profiles.strict('report'), source: { code: CODE }, osSandbox: false, requireOsSandbox: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });

  it('control: with osSandbox: false no layer is reported on, and /proc shows no fence', async () => {
    const { pool, pid, sandbox } = await started(runtime, profiles.strict('report'), { osSandbox: false });
    try {
      expect(Object.values(sandbox).filter((v) => v === 'on')).toEqual([]);
      const s = status(pid);
      expect(s['NoNewPrivs']).toBe('0');
      expect(s['Seccomp']).toBe('0');
      expect(netns(pid)).toBe(netns('self'));
      expect((await pool.invoke({ path: '/' })).text()).toBe('ok');
    } finally {
      await pool.close();
    }
  });
});
