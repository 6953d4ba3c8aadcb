// Bundles the Bun worker entry into one file, so a worker start reads a single
// module and the OS fence has one file to allow.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const bun = join(dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe');

execFileSync(
  bun,
  ['build', join(root, 'lib/entry/bun.ts'), '--target=bun', '--format=esm', '--minify-syntax', `--outfile=${join(root, 'dist/entry/bun.js')}`],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
