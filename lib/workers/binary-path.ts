import { accessSync, constants, existsSync, openSync, readSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeUnavailableError } from '../errors.js';

const require = createRequire(import.meta.url);
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function isExecutableElf(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    const fd = openSync(path, 'r');
    try {
      const magic = Buffer.alloc(4);
      readSync(fd, magic, 0, 4, 0);
      return magic.toString('latin1') === '\x7fELF';
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * The Bun binary from the `bun` npm dependency. Its postinstall only moves
 * the binary into place, so the platform package is tried too.
 * `BUNBASE_BUN_PATH` overrides the search.
 */
export function findBunBinary(): string {
  const override = process.env['BUNBASE_BUN_PATH'];
  if (override !== undefined && override !== '') {
    if (isExecutableElf(override)) return override;
    throw new RuntimeUnavailableError(`BUNBASE_BUN_PATH=${override} is not an executable binary`);
  }
  const candidates: string[] = [];
  try {
    candidates.push(join(dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe'));
  } catch {
    // Not installed; the platform packages may still be.
  }
  for (const pkg of ['@oven/bun-linux-x64', '@oven/bun-linux-x64-baseline', '@oven/bun-linux-aarch64']) {
    try {
      candidates.push(join(dirname(require.resolve(`${pkg}/package.json`)), 'bin', 'bun'));
    } catch {
      // Not this platform.
    }
  }
  for (const candidate of candidates) if (isExecutableElf(candidate)) return candidate;
  throw new RuntimeUnavailableError(
    'The bun runtime is not available: no Bun binary was found in node_modules (looked in ' +
      `${candidates.join(', ') || 'the `bun` package'}). Install the \`bun\` npm package, or set BUNBASE_BUN_PATH.`,
  );
}

/** Where the bundled Bun worker entry lives (built by `npm run build`). */
export function bunEntryPath(): string {
  const path = join(PACKAGE_ROOT, 'dist', 'entry', 'bun.js');
  if (!existsSync(path)) {
    throw new RuntimeUnavailableError(`The Bun worker entry ${path} is missing. Run \`npm run build\`.`);
  }
  return path;
}

/**
 * The native QuickJS-NG worker built by `npm run build:native`.
 * `BUNBASE_QJS_WORKER` overrides the path (a sanitizer build, say).
 */
export function findQuickJSBinary(): string {
  const override = process.env['BUNBASE_QJS_WORKER'];
  if (override !== undefined && override !== '') {
    if (isExecutableElf(override)) return override;
    throw new RuntimeUnavailableError(`BUNBASE_QJS_WORKER=${override} is not an executable binary`);
  }
  const path = join(PACKAGE_ROOT, 'build', 'Release', 'bunbase-worker');
  if (isExecutableElf(path)) return path;
  throw new RuntimeUnavailableError(
    `The quickjs-ng runtime is not built: ${path} does not exist. Run \`npm run setup\` (fetches QuickJS-NG and libuv, ` +
      'then builds), or `npm run build:native` if the dependencies are already there. See docs/building.md.',
  );
}

/**
 * `bunbase-launcher`, built next to the native worker; it fences a process and
 * then runs Bun in it. `BUNBASE_LAUNCHER` overrides the path.
 */
export function findLauncherBinary(): string {
  const override = process.env['BUNBASE_LAUNCHER'];
  if (override !== undefined && override !== '') {
    if (isExecutableElf(override)) return override;
    throw new RuntimeUnavailableError(`BUNBASE_LAUNCHER=${override} is not an executable binary`);
  }
  const path = join(PACKAGE_ROOT, 'build', 'Release', 'bunbase-launcher');
  if (isExecutableElf(path)) return path;
  throw new RuntimeUnavailableError(
    `The OS fence for Bun workers is not built: ${path} does not exist. Run \`npm run setup\` or ` +
      '`npm run build:native` (see docs/building.md), or pass `osSandbox: false` to run without it (not for untrusted code).',
  );
}
