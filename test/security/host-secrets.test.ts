import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIMES, attack, checkAttack, expectWorked, useBystander } from './harness.js';

/**
 * The host's secrets: a value set in this (the host's) process.env must never
 * be visible to a handler, whatever it reads. The handler gets only the pool's
 * `env`; the control passes a value through `env` and sees it, so a handler
 * that could not read its environment at all would fail the test.
 */
const SECRET = `host-secret-${Math.random().toString(36).slice(2)}`;
beforeAll(() => {
  process.env['BUNBASE_SECURITY_SECRET'] = SECRET;
});
afterAll(() => {
  delete process.env['BUNBASE_SECURITY_SECRET'];
});

const ENV_READS: Record<string, string> = {
  'process.env': `return JSON.stringify(typeof process === 'undefined' ? 'no process object' : { ...process.env });`,
  'Bun.env': `return JSON.stringify(typeof Bun === 'undefined' ? 'no Bun object' : { ...Bun.env });`,
  'import.meta.env': `return JSON.stringify(import.meta.env ?? 'no import.meta.env');`,
  'globalThis scan': `return JSON.stringify(Object.getOwnPropertyNames(globalThis).filter((k) => { try { return JSON.stringify(globalThis[k])?.includes('host-secret'); } catch { return false; } }));`,
};

describe.each(RUNTIMES)('%s: the host environment never reaches a handler', (runtime) => {
  useBystander(runtime);

  it.each(Object.entries(ENV_READS))('%s holds nothing of the host (control: the pool env is visible)', async (_name, body) => {
    // Touching every global loads every lazy part of the prelude: seconds on a loaded
    // machine for quickjs-wasm, which parses them from source.
    const pool = { env: { GIVEN: 'given-by-host' }, timeoutMs: 25_000 };
    const run = await attack(runtime, body, { pool });
    const seen = String(expectWorked(run));
    expect(seen).not.toContain(SECRET);
    expect(seen).not.toContain('BUNBASE_SECURITY_SECRET');
    // The explicit env arrives as the handler's env argument (and, in Bun, in process.env).
    const control = await attack(runtime, `return env.GIVEN + ' ' + ${body.replace(/^return /, '').replace(/;$/, '')};`, { pool });
    expect(String(expectWorked(control))).toContain('given-by-host');
  });

  // /proc/<host pid>/environ: the host passes its pid in the request, as an attacker could guess it.
  if (runtime === 'bun') {
    // No profile grants /proc: the controls read the file through Bun.fetch('file://…'),
    // the one road the API layer cannot patch, with the OS fence off.
    const unfenced = {
      body: `return (await (await Bun.fetch('file:///proc/' + input.hostPid + '/environ')).text());`,
      pool: { osSandbox: false },
      check: (v: unknown) => expect(String(v)).toMatch(/=/),
    };
    it.each([
      ['the patched fs (require)', '', `return require('node:fs').readFileSync('/proc/' + input.hostPid + '/environ', 'latin1');`],
      ['the ESM namespace of node:fs', `import { readFileSync } from 'node:fs';`, `return readFileSync('/proc/' + input.hostPid + '/environ', 'latin1');`],
      ['Bun.file', '', `return await Bun.file('/proc/' + input.hostPid + '/environ').text();`],
    ])('/proc/<host pid>/environ through %s is refused (api layer)', (_name, prelude, body) =>
      checkAttack(runtime, { name: 'environ', prelude, body, input: { hostPid: process.pid }, caps: { allowFilesystem: true }, stop: 'api', codes: ['CAPABILITY_DENIED'], control: unfenced }));

    it("/proc/<host pid>/environ through Bun.fetch('file://…') (unpatchable) is refused (os layer)", () =>
      checkAttack(runtime, { name: 'environ', body: unfenced.body, input: { hostPid: process.pid }, caps: { allowFilesystem: true }, stop: 'os', codes: ['EACCES'], control: { check: unfenced.check } }));
  } else {
    it('/proc/<host pid>/environ is refused (api layer)', () =>
      checkAttack(runtime, {
        name: '/proc/<host pid>/environ',
        body: `return (await (await import('node:fs/promises')).readFile('/proc/' + input.hostPid + '/environ', 'latin1'));`,
        input: { hostPid: process.pid },
        caps: { allowFilesystem: true },
        stop: 'api',
        codes: [/CAPABILITY_DENIED|never allowed/],
        control: { body: `return (await (await import('node:fs/promises')).readFile('/etc/hostname', 'latin1'));`, check: (v) => expect(typeof v).toBe('string') },
      }));
  }
}, 60_000);
