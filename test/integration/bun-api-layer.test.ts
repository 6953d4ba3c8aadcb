import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, profiles, type CapabilityOverrides, type DenialEvent, type Pool } from 'bunbase-functions';

/**
 * Bun's API layer: what the profile does not allow throws inside the handler,
 * is reported as a denial, and leaves the host untouched. The positive
 * controls show each attempt succeeds when the profile allows it.
 */
describe('bun: capabilities at the API layer', () => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  function run(overrides: CapabilityOverrides, body: string) {
    p = createPool({
      runtime: 'bun',
      capabilities: profiles.custom('api-layer', overrides),
      source: {
        code: `import fs from 'node:fs';
          import fsp from 'node:fs/promises';
          import cp from 'node:child_process';
          import net from 'node:net';
          export default { async fetch(req) {
            try { const value = await (async () => { ${body} })(); return Response.json({ ok: true, value }); }
            catch (e) { return Response.json({ ok: false, code: e.code, message: String(e.message) }); }
          } }`,
      },
    });
    const denials: DenialEvent[] = [];
    p.on('denied', (d) => denials.push(d));
    return p.invoke({ path: '/' }).then((res) => ({ result: res.json() as { ok: boolean; value?: unknown; code?: string; message?: string }, res, denials }));
  }

  const dir = mkdtempSync(join(tmpdir(), 'bunbase-api-'));
  const allowed = join(dir, 'allowed');
  const secret = join(dir, 'secret');
  mkdirSync(allowed);
  mkdirSync(secret);
  writeFileSync(join(allowed, 'data.txt'), 'tenant data');
  writeFileSync(join(secret, 'key.txt'), 'other tenant');
  symlinkSync(secret, join(allowed, 'escape'));

  it('denies reading a file without allowFilesystem, and reports the denial', async () => {
    const { result, res, denials } = await run({}, `return fs.readFileSync('/etc/passwd', 'utf8')`);
    expect(result).toMatchObject({ ok: false, code: 'CAPABILITY_DENIED' });
    expect(res.metrics.denials).toBe(1);
    expect(denials[0]).toMatchObject({ capability: 'filesystem', target: '/etc/passwd', projectId: 'api-layer' });
  });

  it('allows reads inside allowedPaths but not outside, nor through a symlink or ..', async () => {
    const ok = await run({ allowFilesystem: true, allowedPaths: [allowed] }, `return fs.readFileSync(${JSON.stringify(join(allowed, 'data.txt'))}, 'utf8')`);
    expect(ok.result).toEqual({ ok: true, value: 'tenant data' });
    await p?.close();
    for (const target of [join(secret, 'key.txt'), join(allowed, 'escape', 'key.txt'), join(allowed, '..', 'secret', 'key.txt')]) {
      const denied = await run({ allowFilesystem: true, allowedPaths: [allowed] }, `return await fsp.readFile(${JSON.stringify(target)}, 'utf8')`);
      expect(denied.result).toMatchObject({ ok: false, code: 'CAPABILITY_DENIED' });
      await p?.close();
    }
    const bunFile = await run({ allowFilesystem: true, allowedPaths: [allowed] }, `return await Bun.file(${JSON.stringify(join(secret, 'key.txt'))}).text()`);
    expect(bunFile.result).toMatchObject({ ok: false, code: 'CAPABILITY_DENIED' });
  });

  it('read-only paths can be read, never written', async () => {
    const target = join(allowed, 'new.txt');
    const { result } = await run(
      { allowFilesystem: true, allowedPaths: [dir], readOnlyPaths: [allowed] },
      `const before = fs.readFileSync(${JSON.stringify(join(allowed, 'data.txt'))}, 'utf8'); fs.writeFileSync(${JSON.stringify(target)}, 'x'); return before;`,
    );
    expect(result).toMatchObject({ ok: false, code: 'CAPABILITY_DENIED' });
    expect(existsSync(target)).toBe(false);
  });

  it('denies child processes unless allowChildProcess', async () => {
    const denied = await run({}, `return cp.execSync('echo pwned').toString()`);
    expect(denied.result).toMatchObject({ ok: false, code: 'CAPABILITY_DENIED' });
    await p?.close();
    const bunSpawn = await run({}, `return Bun.spawnSync(['echo', 'pwned']).stdout.toString()`);
    expect(bunSpawn.result).toMatchObject({ ok: false, code: 'CAPABILITY_DENIED' });
    await p?.close();
    const allowedRun = await run({ allowChildProcess: true }, `return cp.execFileSync('/bin/echo', ['fine']).toString().trim()`);
    expect(allowedRun.result).toEqual({ ok: true, value: 'fine' });
  });

  it('denies eval and every road to the Function constructor unless allowEval', async () => {
    for (const attempt of [
      `return eval('1 + 1')`,
      `return (0, eval)('1 + 1')`,
      `return Function('return 2')()`,
      `return (function () {}).constructor('return 3')()`,
      `return (async function () {}).constructor('return 4')()`,
      `return (function* () {}).constructor('yield 5')().next().value`,
      `return require('node:vm').runInNewContext('6')`,
    ]) {
      const { result } = await run({}, attempt);
      expect(result, attempt).toMatchObject({ ok: false, code: 'CAPABILITY_DENIED' });
      await p?.close();
    }
    const ok = await run({ allowEval: true }, `return eval('1 + 1') + Function('return 2')()`);
    expect(ok.result).toEqual({ ok: true, value: 4 });
  });

  it('raw sockets are never available, even with allowNetwork', async () => {
    for (const attempt of [`return net.connect(80, '127.0.0.1')`, `return Bun.connect({ hostname: '127.0.0.1', port: 80, socket: {} })`, `return Bun.listen({ hostname: '127.0.0.1', port: 0, socket: {} })`]) {
      const { result } = await run({ allowNetwork: true }, attempt);
      expect(result, attempt).toMatchObject({ ok: false, code: 'CAPABILITY_DENIED' });
      await p?.close();
    }
  });

  it('the host file tree stays untouched', () => {
    expect(readFileSync(join(secret, 'key.txt'), 'utf8')).toBe('other tenant');
  });
});
