// Bundles the prelude (native/prelude, the same sources and the same bun
// build flags the native worker's CMakeLists.txt compiles to bytecode) and
// the quickjs-wasm guest binding as plain scripts for the quickjs-wasm
// threads: dist/workers/wasm/prelude/*.js, with parts.json naming the lazily
// loaded parts.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const bun = join(dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe');
const out = join(root, 'dist/workers/wasm/prelude');
const cmake = readFileSync(join(root, 'CMakeLists.txt'), 'utf8');
// The lazily loaded parts and the bundler flags are listed once, in CMakeLists.txt.
const lazy = /set\(QW_PRELUDE_PARTS ([^)]*)\)/.exec(cmake)?.[1].trim().split(/\s+/);
const flags = /set\(QW_BUNDLE_FLAGS ([^)]*)\)/.exec(cmake)?.[1].trim().split(/\s+/);
if (!lazy || !flags) throw new Error('build-wasm-prelude: QW_PRELUDE_PARTS or QW_BUNDLE_FLAGS not found in CMakeLists.txt');
const parts = {
  index: 'native/prelude/index.js',
  binding: 'lib/workers/wasm/guest-binding.js',
  ...Object.fromEntries(lazy.map((part) => [part, `native/prelude/${part}.js`])),
};
mkdirSync(out, { recursive: true });
for (const [name, entry] of Object.entries(parts)) {
  execFileSync(bun, ['build', join(root, entry), ...flags, `--outfile=${join(out, `${name}.js`)}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
writeFileSync(join(out, 'parts.json'), JSON.stringify(lazy));
