import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as v from 'valibot';
import { BundleLoadError, BundleTooLargeError, InvalidOptionsError } from '../errors.js';
import { formatIssues, issuesOf } from '../options.js';
import { buildBundle } from './build.js';
import { cacheKey, defaultCacheDir, lookupBundle, stampInputs, storeBundle, type CachedBundle } from './cache.js';
import { SourceFence, sourceRoot } from './source-root.js';
import { BuildHandlerOptionsSchema, targetOf, type BuildHandlerOptions, type ResolvedBuildSettings } from './options.js';

/** A handler bundle built from an entry, ready for `source: { code, filename, sourceMap }`. */
export interface HandlerBundle {
  /** The ES module the workers run. */
  code: string;
  /** Its file name in stack traces, e.g. `handler.bundle.js`. */
  filename: string;
  /** The source map (JSON text), kept on the host to point stacks at the entry's own files. */
  sourceMap: string;
  /** Every file that went into the bundle, absolute. */
  inputs: string[];
  /** Where it came from: a fresh build, or the memory or disk cache. */
  from: 'build' | 'memory' | 'disk';
  /** Milliseconds the build took; 0 when it came from a cache. */
  buildMs: number;
}

const building = new Map<string, Promise<HandlerBundle>>();

/**
 * Largest file a build reads (or four times maxBundleBytes, if that is more):
 * a bound on what esbuild holds in memory, not a bundle limit (types,
 * comments and unused code leave a source larger than its part in the bundle).
 */
const MAX_SOURCE_FILE_BYTES = 64 * 1024 * 1024;

interface Plan {
  entry: string;
  /** What the handler's bundle may hold (source-root.ts). */
  fence: SourceFence;
  key: string;
  cacheDir: string | undefined;
  target: ReturnType<typeof targetOf>;
  settings: ResolvedBuildSettings;
}

function plan(entry: string, runtime: string, settings: ResolvedBuildSettings): Plan {
  const path = resolve(entry);
  if (!existsSync(path)) throw new BundleLoadError(`The handler entry ${path} does not exist`);
  const target = targetOf(runtime);
  const cacheDir =
    settings.cacheDir === false
      ? undefined
      : settings.cacheDir === undefined
        ? defaultCacheDir(path)
        : resolve(settings.cacheDir);
  const fence = new SourceFence(path, sourceRoot(path, settings.root), cacheDir, Math.max(MAX_SOURCE_FILE_BYTES, 4 * settings.maxBundleBytes));
  return { entry: path, fence, key: cacheKey(path, target), cacheDir, target, settings };
}

/** A cached bundle is held to this call's limit too: the build that made it may have had a larger one. */
function checkSize(p: Plan, bundle: CachedBundle): void {
  const size = Buffer.byteLength(bundle.code);
  if (size > p.settings.maxBundleBytes) {
    throw new BundleTooLargeError(
      `The bundle of ${p.entry} is ${size} bytes; the limit is ${p.settings.maxBundleBytes} (maxBundleBytes). Import less, or raise maxBundleBytes`,
    );
  }
}

function fromCache(bundle: CachedBundle, from: 'memory' | 'disk'): HandlerBundle {
  return {
    code: bundle.code,
    filename: bundle.filename,
    sourceMap: bundle.map,
    inputs: bundle.inputs.map((i) => i.path),
    from,
    buildMs: 0,
  };
}

/**
 * The cached bundle of an entry when every input is unchanged and it is
 * within the limit, without building: what lets a pool start its workers at
 * once. Throws `BUNDLE_LOAD_ERROR` when the entry does not exist; anything
 * else is left for `resolveHandler` to report.
 */
export function findCachedHandler(entry: string, runtime: string, settings: ResolvedBuildSettings): HandlerBundle | undefined {
  const p = plan(entry, runtime, settings);
  const hit = lookupBundle(p.key, p.cacheDir);
  if (hit === undefined || Buffer.byteLength(hit.bundle.code) > settings.maxBundleBytes) return undefined;
  // The build that made it may have had another root: resolveHandler reports the error.
  try {
    p.fence.check(hit.bundle.inputs.map((i) => i.path));
  } catch {
    return undefined;
  }
  return fromCache(hit.bundle, hit.from);
}

/** Builds (or finds in the cache) the bundle of an entry whose settings were validated already. */
export function resolveHandler(entry: string, runtime: string, settings: ResolvedBuildSettings): Promise<HandlerBundle> {
  let p: Plan;
  try {
    p = plan(entry, runtime, settings);
    const hit = lookupBundle(p.key, p.cacheDir);
    if (hit !== undefined) {
      checkSize(p, hit.bundle);
      p.fence.check(hit.bundle.inputs.map((i) => i.path));
      return Promise.resolve(fromCache(hit.bundle, hit.from));
    }
  } catch (error) {
    return Promise.reject(error as Error);
  }
  // Pools created together for one entry share one build.
  let pending = building.get(p.key);
  if (pending === undefined) {
    const q = p;
    pending = buildBundle(q.entry, q.target, q.settings, q.fence)
      .then((built) => {
        const bundle = { code: built.code, map: built.map, filename: built.filename, inputs: stampInputs(built.inputs) };
        storeBundle(q.key, bundle, q.cacheDir);
        return { ...fromCache(bundle, 'memory'), from: 'build' as const, buildMs: built.buildMs };
      })
      .finally(() => building.delete(q.key));
    building.set(p.key, pending);
  }
  // Each caller's own fence: pools created together may share a build and differ in root or limit.
  const fence = p.fence;
  return pending.then((bundle) => {
    fence.check(bundle.inputs);
    return bundle;
  });
}

/**
 * Bundles a handler entry (TypeScript or JavaScript, with its npm and
 * relative imports) for a runtime, or returns the cached bundle when no input
 * changed. Call it at deploy time so no pool's cold start includes a build;
 * pools created with `source: { entry }` for the same entry then find it in
 * the cache (memory, or disk across processes).
 *
 * Rejects with `BUNDLE_LOAD_ERROR`, `BUNDLE_TOO_LARGE`, `BUILD_TIMEOUT` or `INVALID_OPTIONS`.
 */
export function buildHandler(entry: string, options: BuildHandlerOptions): Promise<HandlerBundle> {
  const parsed = v.safeParse(BuildHandlerOptionsSchema, options);
  if (!parsed.success) {
    const issues = issuesOf(parsed.issues, BuildHandlerOptionsSchema);
    return Promise.reject(new InvalidOptionsError(formatIssues('Invalid buildHandler options', issues), issues));
  }
  const { runtime, ...settings } = parsed.output;
  return resolveHandler(entry, runtime, settings);
}
