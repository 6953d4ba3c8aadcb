import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, profiles, type Pool } from 'bunbase-functions';

/**
 * allowFilesystem with an empty allowedPaths means "every path"; readOnlyPaths
 * must stay read-only inside it. Landlock rules only add access, so the fence
 * has to leave those directories out of the everything-grant rather than add
 * a read-only rule on top. These attempts go around the API layer (SQLite's
 * own file access), so only the OS layer can refuse them.
 */
describe('bun: readOnlyPaths inside "every path" hold at the OS layer', () => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  const root = mkdtempSync(join(tmpdir(), 'bunbase-ro-all-'));
  const ro = join(root, 'ro');
  const rw = join(root, 'rw');
  mkdirSync(ro);
  mkdirSync(rw);
  writeFileSync(join(ro, 'kept.txt'), 'read me');

  const attach = (dir: string, file: string) => `
    import { Database } from 'bun:sqlite';
    import { readFileSync } from 'node:fs';
    export default { fetch() {
      const out = { read: readFileSync(${JSON.stringify(join(ro, 'kept.txt'))}, 'utf8') };
      try {
        const db = new Database(':memory:');
        db.run("ATTACH DATABASE '${join(dir, file)}' AS x");
        db.run('CREATE TABLE x.t (a)');
        out.wrote = true;
      } catch (e) { out.wrote = false; out.error = String(e.message); }
      return Response.json(out);
    } }`;

  function start(code: string, osSandbox: boolean) {
    p = createPool({
      runtime: 'bun',
      capabilities: profiles.custom('ro-all', { allowFilesystem: true, allowedPaths: [], readOnlyPaths: [ro], maxMemory: 0 }),
      source: { code },
      osSandbox,
    });
    return p.invoke({ path: '/' }).then((r) => r.json() as { read: string; wrote: boolean; error?: string });
  }

  it('a SQLite ATTACH cannot create a file in the read-only directory, yet it stays readable', async () => {
    const result = await start(attach(ro, 'pwned.db'), true);
    expect(result.read).toBe('read me');
    expect(result.wrote).toBe(false);
    expect(existsSync(join(ro, 'pwned.db'))).toBe(false);
  });

  it('control: the same ATTACH works in a read-write directory under the fence', async () => {
    const result = await start(attach(rw, 'fine.db'), true);
    expect(result.wrote).toBe(true);
    expect(existsSync(join(rw, 'fine.db'))).toBe(true);
  });

  it('control: without the fence the API layer alone lets the ATTACH write into the read-only directory', async () => {
    const result = await start(attach(ro, 'unfenced.db'), false);
    expect(result.wrote).toBe(true);
    expect(existsSync(join(ro, 'unfenced.db'))).toBe(true);
  });

  it('a percent-encoded file: URL (r%6f = ro) is decoded before the API layer checks it', async () => {
    const encoded = 'file://' + ro.replace(/ro$/, 'r%6f') + '/encoded.txt';
    const denials: string[] = [];
    const code = `import fs from 'node:fs';
      export default { fetch() {
        try { fs.writeFileSync(new URL(${JSON.stringify(encoded)}), 'x'); return Response.json({ wrote: true }); }
        catch (e) { return Response.json({ wrote: false, code: e.code }); }
      } }`;
    p = createPool({
      runtime: 'bun',
      capabilities: profiles.custom('ro-all', { allowFilesystem: true, allowedPaths: [], readOnlyPaths: [ro] }),
      source: { code },
      osSandbox: false,
    });
    p.on('denied', (d) => denials.push(d.target));
    const result = (await p.invoke({ path: '/' })).json();
    expect(result).toEqual({ wrote: false, code: 'CAPABILITY_DENIED' });
    expect(denials).toEqual([join(ro, 'encoded.txt')]);
    expect(existsSync(join(ro, 'encoded.txt'))).toBe(false);
  });
});
