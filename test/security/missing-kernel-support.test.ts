import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, profiles, type Capabilities, type Pool, type RuntimeName } from 'bunbase-functions';
import { PROCESS_RUNTIMES, attackModule, useBystander, useLoopbackServer } from './harness.js';

/**
 * A kernel without one of the fence's features, simulated: the worker binary
 * (QuickJS-NG) or the launcher (Bun) is started through a small wrapper
 * (fixtures/without-syscall.c) whose seccomp filter makes
 * `landlock_create_ruleset` fail with ENOSYS, or `unshare` with EPERM.
 *
 * - The missing layer is reported `unavailable`, never silently on.
 * - `requireOsSandbox: true` then refuses to start (SANDBOX_UNAVAILABLE).
 * - Without it the pool starts, and the other layers still hold.
 * - And it attributes layers: with Landlock gone, `Bun.fetch('file:///etc/passwd')`
 *   (which the entry cannot patch) reads the file, so Landlock is what stops
 *   it in the fence, while the patched ESM `node:fs` is still refused by the API layer.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REAL = {
  'quickjs-ng': { env: 'BUNBASE_QJS_WORKER', binary: join(ROOT, 'build', 'Release', 'bunbase-worker') },
  bun: { env: 'BUNBASE_LAUNCHER', binary: join(ROOT, 'build', 'Release', 'bunbase-launcher') },
} as const;
const WITHOUT = {
  landlock: { nr: 444, errno: 38 }, // landlock_create_ruleset -> ENOSYS
  namespaces: { nr: 272, errno: 1 }, // unshare -> EPERM
} as const;
type Missing = keyof typeof WITHOUT;

let dir = '';
const wrappers = new Map<string, string>();
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bunbase-sec-kernel-'));
  for (const runtime of ['quickjs-ng', 'bun'] as const) {
    for (const missing of Object.keys(WITHOUT) as Missing[]) {
      const out = join(dir, `${runtime}-without-${missing}`);
      const { nr, errno } = WITHOUT[missing];
      execFileSync('cc', ['-Wall', '-Werror', `-DNR=${nr}`, `-DERRNO=${errno}`, `-DTARGET="${REAL[runtime].binary}"`, '-o', out, join(ROOT, 'test', 'security', 'fixtures', 'without-syscall.c')]);
      wrappers.set(`${runtime}/${missing}`, out);
    }
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pool whose workers start on the simulated kernel. The binary is chosen when the pool is created. */
function poolWithout(runtime: RuntimeName, missing: Missing, code: string, capabilities: Capabilities, requireOsSandbox = false): Pool {
  const name = REAL[runtime as keyof typeof REAL].env;
  process.env[name] = wrappers.get(`${runtime}/${missing}`);
  try {
    const pool = createPool({ runtime, capabilities, source: { code }, requireOsSandbox, minWorkers: 1 });
    pool.on('error', () => {});
    return pool;
  } finally {
    delete process.env[name];
  }
}

const HELLO = `export default { fetch() { return new Response('ok') } }`;

// OS layer only: quickjs-wasm starts no binary to wrap and has no fence to lose.
describe.each(PROCESS_RUNTIMES)('%s: on a kernel without a fence feature', (runtime) => {
  useBystander(runtime);
  const server = useLoopbackServer((_req, res) => res.end('reached'));

  it.each([
    ['landlock', 'landlock'],
    ['namespaces', 'netns'],
  ] as const)('without %s: the %s layer is reported unavailable, the others stay on', async (missing, layer) => {
    const pool = poolWithout(runtime, missing, HELLO, profiles.strict('kernel'));
    try {
      await pool.ready();
      const sandbox = pool.stats().sandbox;
      expect(sandbox[layer]).toBe('unavailable');
      for (const other of ['landlock', 'seccomp', 'rlimits', 'noNewPrivs', 'netns'].filter((l) => l !== layer)) expect(sandbox[other], other).toBe('on');
      expect((await pool.invoke({ path: '/' })).text()).toBe('ok');
    } finally {
      await pool.close();
    }
  });

  it.each(['landlock', 'namespaces'] as const)('without %s, requireOsSandbox refuses to start: SANDBOX_UNAVAILABLE', async (missing) => {
    const pool = poolWithout(runtime, missing, HELLO, profiles.strict('kernel'), true);
    try {
      await expect(pool.ready()).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
      await expect(pool.invoke({ path: '/' })).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
    } finally {
      await pool.close();
    }
  });

  if (runtime === 'bun') {
    it("without Landlock, Bun.fetch('file:///etc/passwd') reads it: Landlock is the layer that stops it; the ESM node:fs stays refused by the API layer", async () => {
      const body = `let esm; try { esm = readFileSync('/etc/passwd', 'utf8').slice(0, 5); } catch (e) { esm = e.code; }
        const fetched = (await (await Bun.fetch('file:///etc/passwd')).text()).slice(0, 5);
        return [esm, fetched];`;
      const pool = poolWithout(runtime, 'landlock', attackModule(body, `import { readFileSync } from 'node:fs';`), profiles.strict('kernel'));
      try {
        expect((await pool.invoke({ path: '/' })).json()).toEqual({ ok: true, value: ['CAPABILITY_DENIED', 'root:'] });
      } finally {
        await pool.close();
      }
    });

    it('without Landlock, seccomp still stops Bun.fetch (no socket at all); net.Stream is refused by the API layer', async () => {
      const body = `let tcp; try { new (require('node:net').Stream)(); tcp = 'constructed'; } catch (e) { tcp = e.code; }
        let fetched; try { fetched = await (await Bun.fetch('http://127.0.0.1:' + input.port + '/')).text(); } catch (e) { fetched = e.code; }
        return [tcp, fetched];`;
      const pool = poolWithout(runtime, 'landlock', attackModule(body), profiles.custom('kernel', { allowNetwork: true, allowedDomains: ['127.0.0.1'] }));
      try {
        const before = server.hits.length;
        const res = await pool.invoke({ method: 'POST', path: '/', body: JSON.stringify({ port: server.port() }) });
        expect(res.json()).toEqual({ ok: true, value: ['CAPABILITY_DENIED', 'EPERM'] });
        expect(server.hits.length).toBe(before);
      } finally {
        await pool.close();
      }
    });

    it('without namespaces, seccomp and Landlock still stop Bun.fetch to loopback', async () => {
      const pool = poolWithout(runtime, 'namespaces', attackModule(`return await (await Bun.fetch('http://127.0.0.1:' + input.port + '/')).text();`), profiles.strict('kernel'));
      try {
        const before = server.hits.length;
        const res = await pool.invoke({ method: 'POST', path: '/', body: JSON.stringify({ port: server.port() }) });
        expect(res.json()).toMatchObject({ ok: false, code: 'EPERM' });
        expect(server.hits.length).toBe(before);
      } finally {
        await pool.close();
      }
    });
  } else {
    it('without Landlock, the API layer alone still refuses files: there is no file API without allowFilesystem', async () => {
      const pool = poolWithout(runtime, 'landlock', attackModule(`return (await (await import('node:fs/promises')).readFile('/etc/passwd', 'utf8')).slice(0, 5);`), profiles.strict('kernel'));
      try {
        expect((await pool.invoke({ path: '/' })).json()).toMatchObject({ ok: false, message: expect.stringMatching(/CAPABILITY_DENIED/) });
      } finally {
        await pool.close();
      }
    });
  }
});
