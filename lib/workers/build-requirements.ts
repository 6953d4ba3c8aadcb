/*
 * What a source build of the native binaries needs, how to install each piece
 * on the common systems, and the record the install script leaves when the
 * build could not run. The install script writes the record; `createPool`
 * reads it to say exactly what is missing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT, type NativeBinary } from './native-platform.js';

/** One thing the source build needs. */
export type Requirement = 'compiler' | 'cmake' | 'pkg-config' | 'libuv';

interface RequirementInfo {
  what: string;
  /** Package names per system, in the order of `SYSTEMS`. */
  packages: [debian: string, fedora: string, alpine: string, homebrew: string];
}

/** The systems named in messages, with their install command. */
const SYSTEMS = [
  ['Debian/Ubuntu', 'sudo apt-get install'],
  ['Fedora', 'sudo dnf install'],
  ['Alpine', 'apk add'],
  ['macOS (Homebrew)', 'brew install'],
] as const;

const REQUIREMENTS: Record<Requirement, RequirementInfo> = {
  compiler: {
    what: 'a C compiler and the kernel headers',
    packages: ['build-essential', 'gcc', 'build-base linux-headers', ''],
  },
  cmake: { what: 'cmake', packages: ['cmake', 'cmake', 'cmake', 'cmake'] },
  'pkg-config': {
    what: 'pkg-config',
    packages: ['pkg-config', 'pkgconf-pkg-config', 'pkgconf', 'pkgconf'],
  },
  libuv: {
    what: 'libuv (found with pkg-config as `libuv`)',
    packages: ['libuv1-dev', 'libuv-devel', 'libuv-dev', 'libuv'],
  },
};

/** Which binaries each requirement is needed for: the launcher needs no libuv. */
export const NEEDED_BY: Record<Requirement, readonly NativeBinary[]> = {
  compiler: ['bunbase-worker', 'bunbase-launcher'],
  cmake: ['bunbase-worker', 'bunbase-launcher'],
  'pkg-config': ['bunbase-worker'],
  libuv: ['bunbase-worker'],
};

/** One line per system naming the exact packages for `missing`. */
export function installInstructions(missing: readonly Requirement[]): string {
  return SYSTEMS.map(([system, command], i) => {
    const names = missing.map((r) => REQUIREMENTS[r].packages[i]).filter((name) => name !== '');
    const extra = i === 3 && missing.includes('compiler') ? ' (and `xcode-select --install` for the compiler)' : '';
    return names.length > 0
      ? `  ${system}: ${command} ${names.join(' ')}${extra}`
      : `  ${system}: xcode-select --install`;
  }).join('\n');
}

/** "libuv (…) and cmake are missing" */
export function describeMissing(missing: readonly Requirement[]): string {
  const names = missing.map((r) => REQUIREMENTS[r].what);
  const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}` : (names[0] ?? '');
  return `${list} ${names.length > 1 ? 'are' : 'is'} missing`;
}

/** What the install script leaves in `build/install-failure.json` when a binary was not built. */
export interface InstallFailure {
  /** The binaries that could not be built. */
  binaries: NativeBinary[];
  /** What the pre-build check found missing (may be empty when the build itself failed). */
  missing: Requirement[];
  /** One-line reason, e.g. the last error line of the build. */
  reason: string;
  /** The full build output, when there was a build. */
  log?: string;
}

export const INSTALL_FAILURE_FILE = join(PACKAGE_ROOT, 'build', 'install-failure.json');

/** The install script's record, if the last install could not build everything. */
export function readInstallFailure(): InstallFailure | undefined {
  try {
    return JSON.parse(readFileSync(INSTALL_FAILURE_FILE, 'utf8')) as InstallFailure;
  } catch {
    return undefined;
  }
}

/** The message for a binary the install-time build could not produce. */
export function installFailureMessage(binary: NativeBinary, failure: InstallFailure): string {
  const lines = [`${binary} could not be built when bunbase-functions was installed: ${failure.reason}.`];
  if (failure.missing.length > 0) {
    lines.push(
      `Install ${failure.missing.map((r) => REQUIREMENTS[r].what).join(', ')}:`,
      installInstructions(failure.missing),
    );
  }
  if (failure.log !== undefined) lines.push(`The build output is in ${failure.log}.`);
  lines.push('Then build again: `npm rebuild bunbase-functions`.');
  return lines.join('\n');
}
