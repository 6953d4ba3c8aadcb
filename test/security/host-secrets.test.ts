import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIMES, attack, checkAttack, expectWorked, useBystander, type AttackRow } from './harness.js';

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
    const run = await attack(runtime, body, { pool: { env: { GIVEN: 'given-by-host' } } });
    const seen = String(expectWorked(run));
    expect(seen).not.toContain(SECRET);
    expect(seen).not.toContain('BUNBASE_SECURITY_SECRET');
    // The explicit env arrives as the handler's env argument (and, in Bun, in process.env).
    const control = await attack(runtime, `return env.GIVEN + ' ' + ${body.replace(/^return /, '').replace(/;$/, '')};`, { pool: { env: { GIVEN: 'given-by-host' } } });
    expect(String(expectWorked(control))).toContain('given-by-host');
  });

  // /proc/<host pid>/environ: the host passes its pid in the request, as an attacker could guess it.
  const hostEnviron: AttackRow =
    runtime === 'bun'
      ? {
          name: '/proc/<host pid>/environ',
          prelude: `import { readFileSync } from 'node:fs';`,
          body: `return readFileSync('/proc/' + input.hostPid + '/environ', 'latin1');`,
          input: { hostPid: process.pid },
          caps: { allowFilesystem: true },
          stop: 'os',
          // Unfenced, the unpatched fs reads the host's initial environment.
          control: { check: (v) => expect(String(v)).toMatch(/=/) },
        }
      : {
          name: '/proc/<host pid>/environ',
          body: `return (await (await import('node:fs/promises')).readFile('/proc/' + input.hostPid + '/environ', 'latin1'));`,
          input: { hostPid: process.pid },
          caps: { allowFilesystem: true },
          stop: 'api',
          codes: [/CAPABILITY_DENIED|never allowed/],
          control: { body: `return (await (await import('node:fs/promises')).readFile('/etc/hostname', 'latin1'));`, check: (v) => expect(typeof v).toBe('string') },
        };
  it(`/proc/<host pid>/environ is refused (${hostEnviron.stop} layer)`, () => checkAttack(runtime, hostEnviron));

  if (runtime === 'bun') {
    it('/proc/<host pid>/environ through the patched fs is refused (api layer)', () =>
      checkAttack(runtime, {
        name: 'patched',
        body: `return require('node:fs').readFileSync('/proc/' + input.hostPid + '/environ', 'latin1');`,
        input: { hostPid: process.pid },
        caps: { allowFilesystem: true },
        stop: 'api',
        codes: ['CAPABILITY_DENIED'],
        control: { prelude: `import { readFileSync } from 'node:fs';`, body: `return readFileSync('/proc/' + input.hostPid + '/environ', 'latin1');`, pool: { osSandbox: false }, check: (v) => expect(String(v)).toMatch(/=/) },
      }));
  }
});
