import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { profiles, type DenialEvent, type Pool } from 'bunbase-functions';
import { pool } from '../helpers.js';

const HANDLER = `import { readFile, writeFile, readdir, stat, mkdir, rm } from 'node:fs/promises';
export default { async fetch(req) {
  const { op, path, data } = await req.json();
  try {
    let value;
    if (op === 'read') value = await readFile(path, 'utf8');
    if (op === 'write') value = await writeFile(path, data);
    if (op === 'list') value = (await readdir(path)).sort();
    if (op === 'stat') { const s = await stat(path); value = { size: s.size, file: s.isFile() }; }
    if (op === 'mkdir') value = await mkdir(path, { recursive: true });
    if (op === 'rm') value = await rm(path, { force: true });
    return Response.json({ ok: true, value: value ?? null });
  } catch (e) {
    return Response.json({ ok: false, code: e.code ?? null, message: e.message });
  }
} }`;

describe('quickjs-wasm: files through host calls, with the profile path rules', () => {
  let root: string;
  let p: Pool | undefined;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'wasm-files-'));
    mkdirSync(join(root, 'allowed'));
    mkdirSync(join(root, 'readonly'));
    mkdirSync(join(root, 'secret'));
    writeFileSync(join(root, 'allowed/a.txt'), 'hello');
    writeFileSync(join(root, 'readonly/r.txt'), 'read me');
    writeFileSync(join(root, 'secret/s.txt'), 'secret');
    symlinkSync(join(root, 'secret'), join(root, 'allowed/link'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  afterEach(async () => p?.close());

  const run = async (body: object) => (await p!.invoke({ method: 'POST', path: '/', body: JSON.stringify(body) })).json() as {
    ok: boolean;
    value?: unknown;
    code?: string;
  };

  it('reads, writes, lists and stats inside allowedPaths; refuses outside, through a symlink, and writes to readOnlyPaths', async () => {
    p = pool('quickjs-wasm', HANDLER, {
      capabilities: profiles.custom('test-project', {
        allowFilesystem: true,
        allowedPaths: [join(root, 'allowed')],
        readOnlyPaths: [join(root, 'readonly')],
      }),
    });
    const denials: DenialEvent[] = [];
    p.on('denied', (d) => denials.push(d));
    expect(await run({ op: 'read', path: join(root, 'allowed/a.txt') })).toEqual({ ok: true, value: 'hello' });
    expect(await run({ op: 'write', path: join(root, 'allowed/b.txt'), data: 'new' })).toEqual({ ok: true, value: null });
    expect(readFileSync(join(root, 'allowed/b.txt'), 'utf8')).toBe('new');
    expect(await run({ op: 'stat', path: join(root, 'allowed/b.txt') })).toEqual({ ok: true, value: { size: 3, file: true } });
    expect(await run({ op: 'read', path: join(root, 'readonly/r.txt') })).toEqual({ ok: true, value: 'read me' });
    expect(await run({ op: 'read', path: join(root, 'allowed/missing.txt') })).toMatchObject({ ok: false, code: 'ENOENT' });
    for (const attempt of [
      { op: 'read', path: join(root, 'secret/s.txt') },
      { op: 'read', path: join(root, 'allowed/link/s.txt') },
      { op: 'read', path: join(root, 'allowed/../secret/s.txt') },
      { op: 'write', path: join(root, 'readonly/r.txt'), data: 'x' },
      { op: 'rm', path: join(root, 'readonly/r.txt') },
      { op: 'read', path: '/proc/self/environ' },
    ]) {
      expect(await run(attempt), JSON.stringify(attempt)).toMatchObject({ ok: false, code: 'CAPABILITY_DENIED' });
    }
    expect(readFileSync(join(root, 'readonly/r.txt'), 'utf8')).toBe('read me');
    expect(denials.filter((d) => d.capability === 'filesystem')).toHaveLength(6);
  });

  it('an import made during an invocation leaves nothing of the module on the global object', async () => {
    p = pool('quickjs-wasm', `export default { async fetch() { const fs = await import('node:fs/promises'); return new Response(typeof fs.readFile + ' ' + ('__qw_fs' in globalThis)) } }`, {
      capabilities: profiles.custom('wasm-files', { allowFilesystem: true, allowedPaths: [root] }),
    });
    expect((await p.invoke({ path: '/' })).text()).toBe('function false');
    expect((await p.invoke({ path: '/' })).text()).toBe('function false');
  });

  it('without allowFilesystem the import itself is refused, with a denial', async () => {
    p = pool('quickjs-wasm', HANDLER);
    const denials: DenialEvent[] = [];
    p.on('denied', (d) => denials.push(d));
    await expect(p.invoke({ path: '/' })).rejects.toMatchObject({ code: 'BUNDLE_LOAD_ERROR' });
    expect(denials.map((d) => d.capability)).toContain('filesystem');
  });
});
