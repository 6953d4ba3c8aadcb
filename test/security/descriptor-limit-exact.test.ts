import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNTIMES, attack, expectFenced } from './harness.js';

/**
 * maxFileDescriptors is what the handler may open, not a descriptor number:
 * RLIMIT_NOFILE counts Bun's own descriptors too, so the launcher leaves room
 * for them and the entry fills what is left over with placeholders the handler
 * cannot close (lib/entry/fd-budget.ts). QuickJS-NG counts its own in natively
 * and has no descriptor-holding API. Found by a hostile-code run: 59 of 50.
 */
const DIR = realpathSync(mkdtempSync(join(tmpdir(), 'bunbase-sec-fdx-')));
writeFileSync(join(DIR, 'f.txt'), 'x');
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const F = JSON.stringify(join(DIR, 'f.txt'));

const countOpens = `const fs = require('node:fs'); const fds = [];
  try { for (let i = 0; i < 10000; i++) fds.push(fs.openSync(${F}, 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
  for (const fd of fds) fs.closeSync(fd);
  return fds.length;`;

describe.each(RUNTIMES.filter((r) => r === 'bun'))('%s: maxFileDescriptors holds for what the handler opens', (runtime) => {
  it('a handler allowed 50 descriptors opens at most 50 before EMFILE', async () => {
    const run = await attack(runtime, countOpens, { caps: { allowFilesystem: true, allowedPaths: [DIR], maxFileDescriptors: 50 } });
    expectFenced(runtime, run.sandbox);
    expect(run.outcome).toMatchObject({ kind: 'result', ok: true });
    const opened = (run.outcome as { value: number }).value;
    expect(opened).toBeLessThanOrEqual(50);
    // Bun may open a descriptor or two of its own later; the handler keeps nearly all of its budget.
    expect(opened).toBeGreaterThanOrEqual(45);
  });

  it('the placeholders cannot be closed to make room', async () => {
    const run = await attack(
      runtime,
      `const fs = require('node:fs'); let closed = 0; for (let fd = 3; fd < 80; fd++) { try { fs.closeSync(fd); closed++; } catch (e) { if (e.code !== 'CAPABILITY_DENIED' && e.code !== 'EBADF') throw e; } } ${countOpens.replace("const fs = require('node:fs'); ", '')}`,
      { caps: { allowFilesystem: true, allowedPaths: [DIR], maxFileDescriptors: 50 } },
    );
    expect(run.outcome).toMatchObject({ kind: 'result', ok: true });
    expect((run.outcome as { value: number }).value).toBeLessThanOrEqual(50);
    expect(run.denials.some((d) => d.capability === 'filesystem' && d.rule.includes("worker's own descriptor"))).toBe(true);
  });

  it('control: without the fence the same handler opens far more than 50', async () => {
    const run = await attack(runtime, countOpens, {
      caps: { allowFilesystem: true, allowedPaths: [DIR], maxFileDescriptors: 50 },
      pool: { osSandbox: false },
    });
    expect((run.outcome as { value: number }).value).toBeGreaterThan(50);
  });
});
