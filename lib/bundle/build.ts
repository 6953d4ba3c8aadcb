import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import type { BuildOptions, BuildResult, Message } from 'esbuild';
import { BuildTimeoutError, BundleLoadError, BundleTooLargeError } from '../errors.js';
import { loadEsbuild } from './esbuild.js';
import { findBuiltinImports, keepBuiltinsExternal } from './node-builtins.js';
import type { BundleTarget, ResolvedBuildSettings } from './options.js';
import type { SourceFence } from './source-root.js';

/** A fresh build of one entry. */
export interface BuiltBundle {
  code: string;
  /** The source map (JSON text); its sources are relative to the entry's directory. */
  map: string;
  /** The bundle's file name, as stack traces show it. */
  filename: string;
  /** Every file that went into the bundle, absolute. */
  inputs: string[];
  buildMs: number;
}

const MAX_REPORTED_ERRORS = 10;

/** `handler.ts` → `handler.bundle.js`: stable, so stack frames can be matched to the map. */
export function bundleFilename(entry: string): string {
  return `${basename(entry, extname(entry))}.bundle.js`;
}

function esbuildOptions(entry: string, target: BundleTarget, fence: SourceFence): BuildOptions {
  const dir = dirname(entry);
  return {
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    // Paths in messages, the metafile and the map are relative to the entry's directory.
    absWorkingDir: dir,
    outfile: join(dir, bundleFilename(entry)),
    sourcemap: 'external',
    sourcesContent: false,
    metafile: true,
    logLevel: 'silent',
    charset: 'utf8',
    define: { 'process.env.NODE_ENV': '"production"' },
    ...(target === 'bun'
      ? { platform: 'node', target: 'esnext', conditions: ['bun', 'worker'], mainFields: ['module', 'main'], plugins: [fence.plugin()] }
      : // QuickJS-NG is a browser-like engine without Node built-ins; ES2023 is what it parses.
        { platform: 'browser', target: 'es2023', conditions: ['worker', 'browser'], plugins: [keepBuiltinsExternal(), fence.plugin()] }),
  };
}

/**
 * Bundles `entry` and its imports into one ES module for `target`. Rejects
 * with `BUNDLE_LOAD_ERROR` (build errors, Node built-ins on QuickJS, esbuild
 * missing), `BUNDLE_TOO_LARGE` or `BUILD_TIMEOUT`.
 */
export async function buildBundle(
  entry: string,
  target: BundleTarget,
  settings: ResolvedBuildSettings,
  fence: SourceFence,
): Promise<BuiltBundle> {
  const esbuild = await loadEsbuild();
  const started = performance.now();
  const context = await esbuild.context(esbuildOptions(entry, target, fence));
  let timedOut = false;
  let cancelled: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  // The caller hears of the deadline at once, also from a build that cancel()
  // cannot stop soon; the context is disposed only once the build has stopped
  // (disposing a running build crashed esbuild's service, failing other builds).
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      cancelled = context.cancel().catch(() => undefined);
      reject(buildTimeout(entry, settings.buildTimeoutMs));
    }, settings.buildTimeoutMs);
  });
  let result: BuildResult<{ metafile: true; write: false }>;
  try {
    result = (await Promise.race([context.rebuild(), deadline])) as BuildResult<{ metafile: true; write: false }>;
  } catch (error) {
    if (timedOut) throw buildTimeout(entry, settings.buildTimeoutMs);
    const errors = (error as { errors?: Message[] }).errors ?? [];
    throw new BundleLoadError(
      `Could not bundle ${entry}: ${errors.length > 0 ? formatMessages(errors) : (error as Error).message}`,
      {
        cause: error,
      },
    );
  } finally {
    clearTimeout(timer);
    if (cancelled !== undefined) void cancelled.then(() => context.dispose()).catch(() => undefined);
    else await context.dispose();
  }
  // A cancelled build may also resolve, with no output.
  if (timedOut) throw buildTimeout(entry, settings.buildTimeoutMs);
  const dir = dirname(entry);
  const entryKey = relative(dir, entry);
  if (target === 'quickjs') {
    const builtins = findBuiltinImports(result.metafile, entryKey);
    if (builtins.length > 0) {
      const lines = builtins.map(({ builtin, chain }) => `${builtin} (imported by ${[...chain].reverse().join(' ← ')})`);
      throw new BundleLoadError(
        `${entryKey} imports Node built-in modules, which the QuickJS runtimes do not have: ${lines.join('; ')}. ` +
          'Use a package that works in browsers or workers, or run the handler on the bun runtime',
      );
    }
  }
  const code = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text ?? '';
  const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'))?.text ?? '';
  const size = Buffer.byteLength(code);
  if (size > settings.maxBundleBytes) {
    throw new BundleTooLargeError(
      `The bundle of ${entryKey} is ${size} bytes; the limit is ${settings.maxBundleBytes} (maxBundleBytes). ` +
        'Import less, or raise maxBundleBytes',
    );
  }
  return {
    code,
    map,
    filename: bundleFilename(entry),
    // Keys such as `(disabled):fs` are esbuild's stand-ins, not files.
    inputs: Object.keys(result.metafile.inputs)
      .filter((key) => !/^\(?[a-z-]+\)?:/.test(key))
      .map((key) => resolve(dir, key)),
    buildMs: performance.now() - started,
  };
}

function buildTimeout(entry: string, ms: number): BuildTimeoutError {
  return new BuildTimeoutError(`Bundling ${entry} took longer than ${ms} ms (buildTimeoutMs) and was stopped`);
}

function formatMessages(messages: Message[]): string {
  const shown = messages.slice(0, MAX_REPORTED_ERRORS).map((m) => {
    const at = m.location === null ? '' : `${m.location.file}:${m.location.line}:${m.location.column + 1}: `;
    return `${at}${m.text}`;
  });
  const more = messages.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}
