import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { profiles, type Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

// A C string ends at the first NUL: a path like `<allowed>/a.txt\0/../../secret` must be refused
// as Node refuses it, not checked or opened as whatever part the native side would see.
describe.each(RUNTIMES)('%s: a path with a NUL byte', (runtime) => {
  let root: string;
  let p: Pool | undefined;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'fs-nul-'));
    writeFileSync(join(root, 'a.txt'), 'own');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  afterEach(async () => p?.close());

  it('is refused with ERR_INVALID_ARG_VALUE, for reads and writes alike', async () => {
    p = pool(
      runtime,
      `import { readFile, writeFile } from 'node:fs/promises';
      export default { async fetch(req) {
        const { path, write } = await req.json();
        try { return new Response(write ? String(await writeFile(path, 'x')) : await readFile(path, 'utf8')); }
        catch (e) { return Response.json({ code: e.code ?? null, name: e.name }); }
      } }`,
      { capabilities: profiles.custom('test-project', { allowFilesystem: true, allowedPaths: [root] }) },
    );
    const ask = async (path: string, write = false) => (await p!.invoke({ method: 'POST', path: '/', body: JSON.stringify({ path, write }) })).text();
    expect(await ask(join(root, 'a.txt'))).toBe('own');
    expect(JSON.parse(await ask(`${join(root, 'a.txt')}\0/../../etc/passwd`))).toEqual({ code: 'ERR_INVALID_ARG_VALUE', name: 'TypeError' });
    expect(JSON.parse(await ask(`${join(root, 'b.txt')}\0.js`, true))).toEqual({ code: 'ERR_INVALID_ARG_VALUE', name: 'TypeError' });
  });
});
