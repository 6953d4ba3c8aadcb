// Bundles the prelude (native/prelude, the same sources the native worker
// compiles to bytecode) and the quickjs-wasm guest binding as plain scripts,
// read by the quickjs-wasm threads: dist/workers/wasm/prelude/*.js. The
// native build bundles the same entry points in CMakeLists.txt.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/workers/wasm/prelude');
const parts = {
  index: 'native/prelude/index.js',
  url: 'native/prelude/url.js',
  streams: 'native/prelude/streams.js',
  hashes: 'native/prelude/hashes.js',
  binding: 'lib/workers/wasm/guest-binding.js',
};
await Promise.all(
  Object.entries(parts).map(([name, entry]) =>
    build({
      entryPoints: [join(root, entry)],
      outfile: join(out, `${name}.js`),
      bundle: true,
      format: 'iife',
      target: 'esnext',
      minifySyntax: true,
      minifyWhitespace: true,
      legalComments: 'none',
      logLevel: 'error',
    }),
  ),
);
