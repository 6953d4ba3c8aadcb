import { afterAll, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const app = mkdtempSync(join(tmpdir(), 'bunbase-no-sqlite-'));
afterAll(() => rmSync(app, { recursive: true, force: true }));

it('leaves createPool working and makes createRegistry say how to install better-sqlite3 when it is absent', () => {
  // A host app whose node_modules has this package and its dependencies, but not better-sqlite3.
  const modules = join(app, 'node_modules');
  const own = join(modules, 'bunbase-functions');
  mkdirSync(own, { recursive: true });
  copyFileSync(join(root, 'package.json'), join(own, 'package.json'));
  for (const part of ['dist', 'build']) symlinkSync(join(root, part), join(own, part));
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name !== 'better-sqlite3' && name !== '.bin') symlinkSync(join(root, 'node_modules', name), join(modules, name));
  }
  const script = join(app, 'main.mjs');
  writeFileSync(
    script,
    `import { createPool, createRegistry } from 'bunbase-functions';
    const pool = createPool({ runtime: 'quickjs-ng', capabilities: { projectId: 'p' }, source: { code: "export default () => new Response('pool ok')" } });
    const text = (await pool.invoke({})).text();
    await pool.close();
    try { await createRegistry({ database: ':memory:' }); console.log(JSON.stringify({ text, error: null })); }
    catch (error) { console.log(JSON.stringify({ text, code: error.code, message: error.message })); }`,
  );
  // --preserve-symlinks: resolve from the app's node_modules, not from this repository's.
  const run = spawnSync(process.execPath, ['--preserve-symlinks', script], { encoding: 'utf8', cwd: app });
  expect(run.stderr).toBe('');
  const result = JSON.parse(run.stdout);
  expect(result.text).toBe('pool ok');
  expect(result.code).toBe('RUNTIME_UNAVAILABLE');
  expect(result.message).toMatch(/npm install better-sqlite3/);
  expect(result.message).toMatch(/install-scripts approve better-sqlite3/);
});
