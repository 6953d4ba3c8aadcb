// The published package's install script: the source-build fallback.
//
// With this machine's prebuilt package installed (@bunbase-functions/linux-x64-gnu)
// it does nothing. Otherwise, or with BUNBASE_BUILD_FROM_SOURCE=1, it builds
// bunbase-worker and bunbase-launcher with cmake-js from the sources in the
// tarball (QuickJS-NG pinned in native/deps.lock, the prelude already bundled)
// into build/Release/. It never fails the install: what could not be built is
// recorded in build/install-failure.json, and createPool then throws
// RUNTIME_UNAVAILABLE naming what to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import {
  INSTALL_FAILURE_FILE,
  NEEDED_BY,
  describeMissing,
  installFailureMessage,
} from '../dist/workers/build-requirements.js';
import { NATIVE_BINARIES, PACKAGE_ROOT, SOURCE_BUILD_DIR, prebuiltBinaryDir } from '../dist/workers/native-platform.js';
import { pinnedTreeSha256, treeSha256 } from './tree-sha256.mjs';

const require = createRequire(import.meta.url);
const log = (message) => process.stderr.write(`bunbase-functions: ${message}\n`);

function has(command, args = ['--version']) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** What the build needs that this machine lacks. */
function missingRequirements() {
  const missing = [];
  const cc = process.env.CC || 'cc';
  if (!has(cc) && !has('gcc') && !has('clang')) missing.push('compiler');
  if (!has('cmake')) missing.push('cmake');
  // The build finds libuv only through pkg-config: without it, libuv counts as missing too.
  if (!has('pkg-config')) missing.push('pkg-config', 'libuv');
  else if (!has('pkg-config', ['--exists', 'libuv'])) missing.push('libuv');
  return missing;
}

function recordFailure(binaries, missing, reason, logFile) {
  const failure = {
    binaries,
    missing,
    reason,
    ...(logFile === undefined ? {} : { log: logFile }),
  };
  mkdirSync(dirname(INSTALL_FAILURE_FILE), { recursive: true });
  writeFileSync(INSTALL_FAILURE_FILE, JSON.stringify(failure, null, 2) + '\n');
  for (const binary of binaries) log(installFailureMessage(binary, failure));
  log('the install goes on: the other runtimes still work, and createPool names what is missing.');
}

function build() {
  rmSync(INSTALL_FAILURE_FILE, { force: true });
  if (process.platform !== 'linux') {
    recordFailure([...NATIVE_BINARIES], [], `the native binaries build on Linux only (this is ${process.platform})`);
    return;
  }
  const missing = missingRequirements();
  const unbuildable = NATIVE_BINARIES.filter((b) => missing.some((r) => NEEDED_BY[r].includes(b)));
  if (unbuildable.length === NATIVE_BINARIES.length) {
    recordFailure(unbuildable, missing, describeMissing(missing));
    return;
  }
  const sources = join(PACKAGE_ROOT, 'native', 'deps', 'quickjs-ng');
  const pinned = pinnedTreeSha256(join(PACKAGE_ROOT, 'native', 'deps.lock'));
  const actual = treeSha256(sources);
  if (actual !== pinned) {
    recordFailure(
      [...NATIVE_BINARIES],
      [],
      `the QuickJS-NG sources do not match native/deps.lock (sha256 ${actual}, pinned ${pinned})`,
    );
    return;
  }

  const cmakeJsRoot = dirname(require.resolve('cmake-js/package.json'));
  const cmakeJsBin = join(
    cmakeJsRoot,
    JSON.parse(readFileSync(join(cmakeJsRoot, 'package.json'), 'utf8')).bin['cmake-js'],
  );
  const logFile = join(PACKAGE_ROOT, 'build', 'install.log');
  mkdirSync(dirname(logFile), { recursive: true });
  log(`no prebuilt binaries for this machine: building them from source (output in ${logFile}) ...`);
  const args = [
    cmakeJsBin,
    'build',
    '--directory',
    PACKAGE_ROOT,
    '--out',
    join(PACKAGE_ROOT, 'build'),
    '--config',
    'Release',
  ];
  args.push('--parallel', String(Math.max(1, availableParallelism())));
  let output = '';
  let failed = false;
  try {
    output = execFileSync(process.execPath, args, {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    });
  } catch (error) {
    output = `${error.stdout ?? ''}${error.stderr ?? ''}`;
    failed = true;
  }
  writeFileSync(logFile, output);
  const notBuilt = NATIVE_BINARIES.filter((b) => !existsSync(join(SOURCE_BUILD_DIR, b)));
  if (notBuilt.length === 0) {
    // Only the binaries and the log are used from here on; the objects would triple the installed size.
    for (const entry of readdirSync(join(PACKAGE_ROOT, 'build'))) {
      if (entry !== 'Release' && entry !== 'install.log')
        rmSync(join(PACKAGE_ROOT, 'build', entry), { recursive: true, force: true });
    }
    log(`built ${NATIVE_BINARIES.join(' and ')} into ${SOURCE_BUILD_DIR}`);
    if (/zlib not found/.test(output)) {
      log(
        "zlib's development files were not found: CompressionStream on quickjs-ng runs the slower JavaScript " +
          'zlib. For the C one install them (Debian/Ubuntu: zlib1g-dev), then `npm rebuild bunbase-functions`.',
      );
    }
    return;
  }
  const lastError = output
    .split('\n')
    .findLast((line) => /error/i.test(line))
    ?.trim();
  const reason =
    missing.length > 0
      ? describeMissing(missing)
      : failed && lastError
        ? `the build failed (${lastError})`
        : 'the build failed';
  recordFailure(notBuilt, missing, reason, logFile);
}

const forced = process.env.BUNBASE_BUILD_FROM_SOURCE === '1';
if (!forced && prebuiltBinaryDir() !== undefined) process.exit(0);
try {
  build();
} catch (error) {
  // Whatever went wrong, the install itself must not fail.
  try {
    recordFailure(
      [...NATIVE_BINARIES],
      [],
      `the install script failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  } catch {
    log(`the install script failed: ${error}`);
  }
}
