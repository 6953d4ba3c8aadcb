import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createPool, profiles, type Pool } from 'bunbase-functions';
import { RUNTIMES } from '../helpers.js';

// A project whose handler reaches node:fs through a relative module and an npm package.
const project = mkdtempSync(join(tmpdir(), 'bunbase-builtins-'));
function write(path: string, text: string): void {
  mkdirSync(dirname(join(project, path)), { recursive: true });
  writeFileSync(join(project, path), text);
}
write('package.json', '{ "name": "builtins-project", "private": true }');
write('node_modules/fake-storage/package.json', '{ "name": "fake-storage", "main": "index.js" }');
write(
  'node_modules/fake-storage/index.js',
  "import { readFileSync } from 'node:fs';\nexport const load = (p) => readFileSync(p, 'utf8');\n",
);
write('lib/store.ts', "import { load } from 'fake-storage';\nexport const read = (p: string): string => load(p);\n");
write('handler.ts', "import { read } from './lib/store';\nexport default { fetch: () => new Response(typeof read) };\n");
// A package that maps `fs` away for browsers, as many do: that is not an import of a built-in.
write('node_modules/browser-aware/package.json', '{ "name": "browser-aware", "main": "index.js", "browser": { "fs": false } }');
write('node_modules/browser-aware/index.js', "const fs = require('fs');\nmodule.exports = () => typeof fs.readFileSync;\n");
write('mapped.ts', "import check from 'browser-aware';\nexport default { fetch: () => new Response(check()) };\n");
afterAll(() => rmSync(project, { recursive: true, force: true }));

const quickjs = RUNTIMES.filter((r) => r !== 'bun');

describe.each(quickjs)('%s: a Node built-in in the import graph', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('is a BUNDLE_LOAD_ERROR naming the chain of imports that pulled it in', async () => {
    p = createPool({
      runtime,
      capabilities: profiles.strict('ts'),
      source: { entry: join(project, 'handler.ts'), cacheDir: false },
    });
    const error = await p.ready().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BUNDLE_LOAD_ERROR' });
    expect((error as Error).message).toContain(
      'node:fs (imported by node_modules/fake-storage/index.js ← lib/store.ts ← handler.ts)',
    );
    await expect(p.invoke({ path: '/' })).rejects.toMatchObject({ code: 'BUNDLE_LOAD_ERROR' });
  });

  it('a package that maps the built-in away for browsers still loads', async () => {
    p = createPool({
      runtime,
      capabilities: profiles.strict('ts'),
      source: { entry: join(project, 'mapped.ts'), cacheDir: false },
    });
    expect((await p.invoke({ path: '/' })).text()).toBe('undefined');
  });
});

describe.runIf(RUNTIMES.includes('bun'))("bun: Node built-ins are Bun's own", () => {
  it('a handler importing node:path runs', async () => {
    const entry = fileURLToPath(new URL('../fixtures/bundle/uses-node-path.ts', import.meta.url));
    const p = createPool({ runtime: 'bun', capabilities: profiles.strict('ts'), source: { entry } });
    try {
      expect((await p.invoke({ path: '/' })).text()).toBe('a/b');
    } finally {
      await p.close();
    }
  });
});
