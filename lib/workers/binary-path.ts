import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { RuntimeUnavailableError } from '../errors.js';
import { installFailureMessage, installInstructions, readInstallFailure } from './build-requirements.js';
import {
  PACKAGE_ROOT,
  PREBUILT_PLATFORMS,
  SOURCE_BUILD_DIR,
  platformKey,
  prebuiltBinaryDir,
  prebuiltPlatform,
  type NativeBinary,
} from './native-platform.js';

const require = createRequire(import.meta.url);

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
 * Where a native binary is found, first match wins:
 * 1. the env override (`BUNBASE_QJS_WORKER`, `BUNBASE_LAUNCHER`), for debugging;
 * 2. a source build in the package (`build/Release/`: the install-time
 *    fallback, or `npm run build:native` in a clone);
 * 3. this machine's prebuilt package (`@bunbase-functions/linux-x64-gnu`).
 * Otherwise `RUNTIME_UNAVAILABLE` says why, and what to install.
 */
function findNativeBinary(binary: NativeBinary, overrideVariable: string): string {
  const override = process.env[overrideVariable];
  if (override !== undefined && override !== '') {
    if (isExecutableElf(override)) return override;
    throw new RuntimeUnavailableError(`${overrideVariable}=${override} is not an executable binary`);
  }
  const built = join(SOURCE_BUILD_DIR, binary);
  if (isExecutableElf(built)) return built;
  const prebuiltDir = prebuiltBinaryDir();
  if (prebuiltDir !== undefined && isExecutableElf(join(prebuiltDir, binary))) return join(prebuiltDir, binary);
  throw new RuntimeUnavailableError(missingBinaryMessage(binary, prebuiltDir));
}

function missingBinaryMessage(binary: NativeBinary, prebuiltDir: string | undefined): string {
  const failure = readInstallFailure();
  if (failure?.binaries.includes(binary)) return installFailureMessage(binary, failure);
  const platform = prebuiltPlatform();
  if (existsSync(join(PACKAGE_ROOT, '.git')) || existsSync(join(PACKAGE_ROOT, 'lib', 'index.ts'))) {
    return (
      `${binary} is not built in this clone (${SOURCE_BUILD_DIR}). Run \`npm run setup\` (fetches QuickJS-NG and ` +
      'libuv, then builds), or `npm run build:native` if the dependencies are already there. See docs/building.md.'
    );
  }
  const fromSource =
    'The source build runs from the install script: where npm gates install scripts, allow it with ' +
    '`npm install-scripts approve bunbase-functions`, then run `npm rebuild bunbase-functions`. It needs a C ' +
    `compiler, cmake, pkg-config and libuv:\n${installInstructions(['compiler', 'cmake', 'pkg-config', 'libuv'])}`;
  if (platform !== undefined) {
    const where = prebuiltDir === undefined ? 'is not installed' : `has no executable ${join(prebuiltDir, binary)}`;
    return (
      `The prebuilt package ${platform.packageName} ${where} (an install with --omit=optional leaves it out), ` +
      `and no source build exists in ${SOURCE_BUILD_DIR}. Install it with ` +
      `\`npm install ${platform.packageName}@${packageVersion()}\`, or build from source. ${fromSource}`
    );
  }
  return (
    `No prebuilt ${binary} is published for ${platformKey()} (prebuilt: ` +
    `${PREBUILT_PLATFORMS.map((p) => p.key).join(', ')}), and no source build exists in ${SOURCE_BUILD_DIR}. ${fromSource}`
  );
}

function packageVersion(): string {
  try {
    return (
      JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return 'latest';
  }
}

/** The native QuickJS-NG worker. `BUNBASE_QJS_WORKER` overrides the path (a sanitizer build, say). */
export function findQuickJSBinary(): string {
  return findNativeBinary('bunbase-worker', 'BUNBASE_QJS_WORKER');
}

/**
 * `bunbase-launcher`, which fences a process and then runs Bun in it.
 * `BUNBASE_LAUNCHER` overrides the path.
 */
export function findLauncherBinary(): string {
  try {
    return findNativeBinary('bunbase-launcher', 'BUNBASE_LAUNCHER');
  } catch (error) {
    if (!(error instanceof RuntimeUnavailableError)) throw error;
    throw new RuntimeUnavailableError(
      `The OS fence for Bun workers is unavailable. ${error.message}\n` +
        'Passing `osSandbox: false` runs Bun without it (not for untrusted code).',
    );
  }
}
