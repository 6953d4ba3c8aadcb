import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHandler, createPool, profiles } from 'bunbase-functions';

// The bundler runs on the host with the host's files. A tenant's handler that
// imports a host file would carry it into its bundle and could answer with it.
//   <top>/host-secrets.json                      the host's, outside every tenant
//   <top>/node_modules/shout/index.js            a package the tenants may use
//   <top>/tenants/a/package.json                 tenant a's project: its source root
//   <top>/tenants/a/node_modules/.cache/...      a build cache (other handlers' bundles)
//   <top>/tenants/b/secret.ts                    another tenant's source
const top = mkdtempSync(join(tmpdir(), 'source-root-'));
const tenant = join(top, 'tenants', 'a');
const SECRET = 'host-token-5f2c9d';
mkdirSync(tenant, { recursive: true });
mkdirSync(join(top, 'tenants', 'b'), { recursive: true });
mkdirSync(join(top, 'node_modules', 'shout'), { recursive: true });
mkdirSync(join(tenant, 'node_modules', '.cache', 'bunbase-functions'), { recursive: true });
writeFileSync(join(top, 'host-secrets.json'), JSON.stringify({ token: SECRET }));
writeFileSync(join(top, 'tenants', 'b', 'secret.ts'), `export default '${SECRET}';\n`);
writeFileSync(join(tenant, 'node_modules', '.cache', 'bunbase-functions', 'other.json'), JSON.stringify({ code: SECRET }));
writeFileSync(join(top, 'node_modules', 'shout', 'package.json'), JSON.stringify({ name: 'shout', version: '1.0.0', main: 'index.js' }));
writeFileSync(join(top, 'node_modules', 'shout', 'index.js'), 'export const shout = (s) => s.toUpperCase() + "!";\n');
writeFileSync(join(tenant, 'package.json'), JSON.stringify({ name: 'tenant-a', private: true }));
symlinkSync(join(top, 'host-secrets.json'), join(tenant, 'linked.json'));
symlinkSync('/dev/zero', join(tenant, 'zero.txt'));
execFileSync('mkfifo', [join(tenant, 'pipe.txt')]);
// Sparse: its size without the disk space.
writeFileSync(join(tenant, 'big.txt'), '');
truncateSync(join(tenant, 'big.txt'), 65 * 1024 * 1024);

afterAll(() => rmSync(top, { recursive: true, force: true }));

let n = 0;
/** A handler file in tenant a's project that imports `specifier` and answers with it. */
function handlerImporting(specifier: string): string {
  const entry = join(tenant, `handler-${n++}.ts`);
  writeFileSync(entry, `import value from ${JSON.stringify(specifier)};\nexport default () => Response.json(value);\n`);
  return entry;
}

async function buildError(entry: string, options: { root?: string } = {}): Promise<{ code?: string; message: string }> {
  return buildHandler(entry, { runtime: 'quickjs-ng', cacheDir: false, ...options }).then(
    () => ({ message: 'built' }),
    (e: unknown) => e as { code?: string; message: string },
  );
}

describe('a source.entry bundle holds only its own project files and npm packages', () => {
  it.each([
    ['a relative import out of the project', '../../host-secrets.json', '../../host-secrets.json'],
    ['an absolute import', join(top, 'host-secrets.json'), '../../host-secrets.json'],
    ["another tenant's source", '../b/secret.ts', '../b/secret.ts'],
    ['a symbolic link inside the project to a file outside', './linked.json', '../../host-secrets.json'],
    ['a build cache under node_modules', './node_modules/.cache/bunbase-functions/other.json', 'node_modules/.cache/bunbase-functions/other.json'],
    ['a file beside the packages', '../../node_modules/shout/../../host-secrets.json', '../../host-secrets.json'],
  ])('%s is BUNDLE_LOAD_ERROR naming the file, not its content', async (_, specifier, named) => {
    const error = await buildError(handlerImporting(specifier));
    expect(error.code).toBe('BUNDLE_LOAD_ERROR');
    expect(error.message).toMatch(new RegExp(`outside the handler's source root ${tenant}|in a build cache`));
    expect(error.message).toContain(named);
    expect(error.message).not.toContain(SECRET);
  });

  it('a device behind a link, or a pipe, is refused before esbuild reads it (it read /dev/zero until the host ran out of memory)', async () => {
    const device = await buildError(handlerImporting('./zero.txt'));
    expect(device).toMatchObject({ code: 'BUNDLE_LOAD_ERROR', message: expect.stringContaining("dev/zero is outside the handler's source root") });
    const pipe = await buildError(handlerImporting('./pipe.txt'));
    expect(pipe).toMatchObject({ code: 'BUNDLE_LOAD_ERROR', message: expect.stringContaining('pipe.txt is not a regular file') });
  });

  it('a file larger than a build reads is refused before it is read', async () => {
    const error = await buildError(handlerImporting('./big.txt'));
    expect(error).toMatchObject({ code: 'BUNDLE_LOAD_ERROR', message: expect.stringContaining(`big.txt is ${65 * 1024 * 1024} bytes`) });
  });

  it('a pool of such a handler does not start, on every runtime', async () => {
    const entry = handlerImporting('../../host-secrets.json');
    for (const runtime of ['quickjs-ng', 'bun', 'quickjs-wasm'] as const) {
      const pool = createPool({ runtime, capabilities: profiles.strict('tenant-a'), source: { entry, cacheDir: false } });
      await expect(pool.ready()).rejects.toMatchObject({ code: 'BUNDLE_LOAD_ERROR' });
      await expect(pool.invoke({ path: '/' })).rejects.toMatchObject({ code: 'BUNDLE_LOAD_ERROR' });
      await pool.close();
    }
  });

  it('packages from a node_modules above the entry are bundled and run', async () => {
    const entry = join(tenant, 'uses-package.ts');
    writeFileSync(entry, `import { shout } from 'shout';\nexport default () => new Response(shout('hi'));\n`);
    const pool = createPool({ runtime: 'quickjs-ng', capabilities: profiles.strict('tenant-a'), source: { entry, cacheDir: false } });
    try {
      expect((await pool.invoke({ path: '/' })).text()).toBe('HI!');
    } finally {
      await pool.close();
    }
  });

  it('a linked node_modules (the packages kept elsewhere) still provides packages, and only packages', async () => {
    const project = join(top, 'tenants', 'c');
    const store = join(top, 'store', 'node_modules');
    mkdirSync(join(store, 'echo-pkg'), { recursive: true });
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'package.json'), '{"private":true}');
    writeFileSync(join(store, 'echo-pkg', 'package.json'), JSON.stringify({ name: 'echo-pkg', version: '1.0.0', main: 'index.js' }));
    writeFileSync(join(store, 'echo-pkg', 'index.js'), 'export const echo = (s) => s + s;\n');
    writeFileSync(join(top, 'store', 'private.json'), JSON.stringify({ token: SECRET }));
    symlinkSync(store, join(project, 'node_modules'));
    const entry = join(project, 'handler.ts');
    writeFileSync(entry, `import { echo } from 'echo-pkg';\nexport default () => new Response(echo('ab'));\n`);
    const pool = createPool({ runtime: 'quickjs-ng', capabilities: profiles.strict('tenant-c'), source: { entry, cacheDir: false } });
    try {
      expect((await pool.invoke({ path: '/' })).text()).toBe('abab');
    } finally {
      await pool.close();
    }
    const beside = join(project, 'beside.ts');
    writeFileSync(beside, `import s from './node_modules/../private.json';\nexport default () => Response.json(s);\n`);
    const error = await buildError(beside);
    expect(error.code).toBe('BUNDLE_LOAD_ERROR');
    expect(error.message).not.toContain(SECRET);
  });

  it('source.root widens the project on purpose, and a cached build is held to the narrower root of a later call', async () => {
    const entry = handlerImporting('../../host-secrets.json');
    const wide = await buildHandler(entry, { runtime: 'quickjs-ng', cacheDir: false, root: top });
    expect(wide.code).toContain(SECRET);
    // The same entry is now in the memory cache; the default root still refuses it.
    const narrow = await buildError(entry);
    expect(narrow.code).toBe('BUNDLE_LOAD_ERROR');
    expect(narrow.message).not.toContain(SECRET);
    const pool = createPool({ runtime: 'quickjs-ng', capabilities: profiles.strict('tenant-a'), source: { entry, cacheDir: false } });
    await expect(pool.ready()).rejects.toMatchObject({ code: 'BUNDLE_LOAD_ERROR' });
    await pool.close();
  });

  it('the bundle cache is not a source, even inside the project', async () => {
    const cacheDir = join(tenant, 'bundles');
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(join(cacheDir, 'other.json'), JSON.stringify({ code: SECRET }));
    const error = await buildHandler(handlerImporting('./bundles/other.json'), { runtime: 'quickjs-ng', cacheDir }).catch(
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(error).toMatchObject({ code: 'BUNDLE_LOAD_ERROR', message: expect.stringContaining('bundles/other.json') });
    expect((error as Error).message).not.toContain(SECRET);
  });

  it('an empty source.root is INVALID_OPTIONS', async () => {
    await expect(buildHandler(handlerImporting('shout'), { runtime: 'quickjs-ng', root: '' })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
  });
});
