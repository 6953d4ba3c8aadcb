import { describe, expect, it } from 'vitest';
import { createPool, profiles } from 'bunbase-functions';
import { RUNTIMES, attack, expectFenced, expectRejected, useBystander, type AttackRun } from './harness.js';

/**
 * Forged protocol messages. Printed output is only ever log text; lines
 * written to the protocol descriptor itself are validated, and anything that
 * is not an honest answer to the running invocation kills the worker with
 * PROTOCOL_ERROR. A forged result is never accepted.
 *
 * The control writes a well-formed response for the running invocation (id 1:
 * the first one a fresh worker gets) to descriptor 3, and the host accepts it:
 * the forged lines of the attacks are well-formed too, so their refusal is the
 * host's check, not a typo.
 */
const forged = (id: number, status = 299) =>
  JSON.stringify({ id, type: 'response', payload: { status, statusText: 'forged', headers: [], body: null, cpuMs: 0, peakMemoryBytes: 0 } });
const FORGED_FOR_SELF = forged(1);

const honest = (forge: string, prelude = '') =>
  `${prelude}
export default { async fetch(req) {
  ${forge}
  await new Promise((r) => setTimeout(r, 300));
  return new Response('honest');
} }`;

async function run(runtime: Parameters<typeof attack>[0], module: string, pool: Record<string, unknown> = {}): Promise<AttackRun> {
  return attack(runtime, '', { module, pool: { maxBodyBytes: 1024 * 1024, maxMessageBytes: 2 * 1024 * 1024, ...pool } });
}

function expectHonest(r: AttackRun): void {
  expect(r.outcome, JSON.stringify(r.outcome)).toMatchObject({ kind: 'result', ok: true, value: 'honest' });
}

describe.each(RUNTIMES)('%s: forging protocol messages through printed output', (runtime) => {
  useBystander(runtime);

  it.each([
    ['console.log', `console.log(${JSON.stringify(FORGED_FOR_SELF)});`],
    ['console.error', `console.error(${JSON.stringify(FORGED_FOR_SELF)});`],
    ...(runtime === 'bun'
      ? [
          ['process.stdout.write', `process.stdout.write(${JSON.stringify(FORGED_FOR_SELF + '\n')});`],
          ['process.stderr.write', `process.stderr.write(${JSON.stringify(FORGED_FOR_SELF + '\n')});`],
          ['fs.writeSync(1, ...)', `require('node:fs').writeSync(1, ${JSON.stringify(FORGED_FOR_SELF + '\n')});`],
          ['Bun.stdout.writer()', `const w = Bun.stdout.writer(); w.write(${JSON.stringify(FORGED_FOR_SELF + '\n')}); await w.flush();`],
        ]
      : []),
  ])('a fake response line through %s is only a log entry (host layer)', async (_name, forge) => {
    const r = await run(runtime, honest(forge));
    expectHonest(r);
    expect(r.logs.map((l) => l.message)).toContain(FORGED_FOR_SELF);
  });
});

describe('quickjs-ng: no road to the protocol descriptor', () => {
  if (!RUNTIMES.includes('quickjs-ng')) return;
  useBystander('quickjs-ng');

  it('a handler has no descriptor API at all: the attempt fails because the API is absent', async () => {
    const r = await run(
      'quickjs-ng',
      honest(`const found = ['process', 'require', 'Bun', 'std', 'os'].filter((g) => (g === 'process' ? typeof globalThis.process?.kill === 'function' : typeof globalThis[g] !== 'undefined'));
        for (const m of ['node:fs', 'qjs:os', 'qjs:std']) { try { await import(m); found.push(m); } catch {} }
        if (found.length) return new Response('found ' + found.join(','));`),
    );
    expectHonest(r);
  });
});

describe('bun: forging protocol messages on descriptor 3', () => {
  if (!RUNTIMES.includes('bun')) return;
  useBystander('bun');
  const write = (line: string) => `require('node:fs').writeSync(3, ${line});`;

  it.each([
    ['a response for another invocation id', write(JSON.stringify(forged(999) + '\n'))],
    ['a response for the next invocation id', write(JSON.stringify(forged(2) + '\n'))],
    ['garbage', write(JSON.stringify('this is not json\n'))],
    ['a message of an unknown type', write(JSON.stringify(JSON.stringify({ id: 1, type: 'pwn', payload: {} }) + '\n'))],
    ['a second ready claiming a different sandbox', write(JSON.stringify(JSON.stringify({ id: 0, type: 'ready', payload: { protocol: 1, runtime: 'bun', version: 'x', pid: 1, features: ['fs', 'eval', 'child_process'], sandbox: { landlock: 'forged' } } }) + '\n'))],
    ['a response with a status out of range', write(JSON.stringify(forged(1, 9999) + '\n'))],
    ['a line over maxMessageBytes (3 MB)', write(`'x'.repeat(3 * 1024 * 1024)`)],
    ['a response split with a NUL byte', write(JSON.stringify(forged(1).slice(0, 20) + '\u0000' + forged(1).slice(20) + '\n'))],
    ['through the ESM namespace of node:fs (a descriptor is not a path: unchecked)', `writeSync(3, ${JSON.stringify(forged(999) + '\n')});`],
  ])('%s: the worker is killed with PROTOCOL_ERROR (host layer)', async (_name, forge) => {
    const r = await run('bun', honest(forge, `import { writeSync } from 'node:fs';`));
    expectRejected(r, 'PROTOCOL_ERROR');
    expectFenced('bun', r.sandbox);
  });

  it('closing descriptor 3 through node:fs is refused (api layer): the channel is the worker\'s own', async () => {
    const r = await run('bun', honest(`require('node:fs').closeSync(3);`));
    expect(r.outcome).toMatchObject({ kind: 'rejected', code: 'CAPABILITY_DENIED' });
  });

  it('closing descriptor 3 below the API layer (libc through bun:ffi) ends the worker; its invocation fails, the pool replaces it', async () => {
    const r = await attack('bun', '', {
      module: honest(`require('bun:ffi').dlopen('libc.so.6', { close: { args: ['i32'], returns: 'i32' } }).symbols.close(3);`),
      caps: { allowChildProcess: true },
    });
    expect(r.outcome.kind).toBe('rejected');
    expect(['WORKER_CRASHED', 'PROTOCOL_ERROR', 'TIMEOUT']).toContain((r.outcome as { code: string }).code);
  });

  it('with concurrency 2, a response for the other invocation in flight on the same worker is taken: invocations sharing a worker are one tenant, not isolated (docs/security.md)', async () => {
    const code = `export default { async fetch(req) {
      if (new URL(req.url).pathname === '/forge') {
        require('node:fs').writeSync(3, ${JSON.stringify(forged(1) + '\n')});
        return new Response('forger');
      }
      await new Promise((r) => setTimeout(r, 1000));
      return new Response('honest');
    } }`;
    const p = createPool({ runtime: 'bun', capabilities: profiles.strict('forger'), source: { code }, maxWorkers: 1, concurrency: 2 });
    try {
      await p.ready();
      const victim = p.invoke({ path: '/wait' });
      const forger = await p.invoke({ path: '/forge' });
      expect(forger.text()).toBe('forger');
      const taken = await victim;
      expect([taken.invocationId, taken.status]).toEqual([1, 299]);
    } finally {
      await p.close();
    }
  });

  it('control: a well-formed response for the running invocation on descriptor 3 is accepted', async () => {
    const p = createPool({ runtime: 'bun', capabilities: profiles.strict('forger'), source: { code: honest(write(JSON.stringify(FORGED_FOR_SELF + '\n'))) } });
    try {
      const res = await p.invoke({ path: '/' });
      expect(res.status).toBe(299);
      expect(res.headers).toEqual({});
    } finally {
      await p.close();
    }
  });
});
