/*
 * Which prebuilt package carries the native binaries for this machine, and
 * where a source build puts them. Dependency-free: the install script
 * (scripts/install.mjs) and the pack script import it from dist/ too.
 */
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The two native programs: the QuickJS-NG worker and the fence around Bun. */
export const NATIVE_BINARIES = ['bunbase-worker', 'bunbase-launcher'] as const;
export type NativeBinary = (typeof NATIVE_BINARIES)[number];

/** A published per-platform package, with the npm `os`/`cpu`/`libc` fields it carries. */
export interface PrebuiltPlatform {
  /** `process.platform`-`process.arch`[-libc], the key `platformKey()` returns. */
  key: string;
  packageName: string;
  os: string;
  cpu: string;
  libc?: 'glibc' | 'musl';
}

/**
 * Every platform a prebuilt package is published for. linux-arm64 is not here:
 * it could be neither built nor tested on the x64 build machine.
 */
export const PREBUILT_PLATFORMS: readonly PrebuiltPlatform[] = [
  {
    key: 'linux-x64-gnu',
    packageName: '@bunbase-functions/linux-x64-gnu',
    os: 'linux',
    cpu: 'x64',
    libc: 'glibc',
  },
];

/** The installed package's root (the directory holding package.json). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where a source build (install script or `npm run build:native`) writes the binaries. */
export const SOURCE_BUILD_DIR = join(PACKAGE_ROOT, 'build', 'Release');

let libcFamily: 'gnu' | 'musl' | undefined | null = null;

/** `gnu` or `musl` on Linux (from Node's own report of the C library it runs on), else undefined. */
function libc(): 'gnu' | 'musl' | undefined {
  if (libcFamily !== null) return libcFamily;
  if (process.platform !== 'linux') return (libcFamily = undefined);
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
  return (libcFamily = header?.glibcVersionRuntime === undefined ? 'musl' : 'gnu');
}

/** This machine's key, e.g. `linux-x64-gnu`, `linux-arm64-musl`, `darwin-arm64`. */
export function platformKey(): string {
  const family = libc();
  return `${process.platform}-${process.arch}${family === undefined ? '' : `-${family}`}`;
}

/** The prebuilt package published for this machine, if there is one. */
export function prebuiltPlatform(): PrebuiltPlatform | undefined {
  const key = platformKey();
  return PREBUILT_PLATFORMS.find((p) => p.key === key);
}

const require = createRequire(import.meta.url);

/** The `bin` directory of this machine's prebuilt package, when it is installed. */
export function prebuiltBinaryDir(): string | undefined {
  const platform = prebuiltPlatform();
  if (platform === undefined) return undefined;
  try {
    return join(dirname(require.resolve(`${platform.packageName}/package.json`)), 'bin');
  } catch {
    return undefined;
  }
}
