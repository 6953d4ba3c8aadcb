import * as v from 'valibot';

const MB = 1024 * 1024;
const PositiveInt = v.pipe(v.number(), v.safeInteger(), v.minValue(1));

/** Largest bundle `source.entry` may produce, by default. */
export const DEFAULT_MAX_BUNDLE_BYTES = 16 * MB;
/** Longest a build of `source.entry` may take, by default. */
export const DEFAULT_BUILD_TIMEOUT_MS = 60_000;

/** How a handler entry is bundled. Shared by `source: { entry }` and `buildHandler()`. */
export const BuildSettingsEntries = {
  /**
   * The directory the handler's own files must be inside (a bundle may also
   * hold npm packages from a `node_modules` at or above the entry). Default:
   * the nearest directory above the entry with a package.json, else the
   * entry's directory. An import from outside is `BUNDLE_LOAD_ERROR`.
   */
  root: v.optional(v.pipe(v.string(), v.nonEmpty('must not be empty'))),
  /**
   * Where built bundles are kept between processes: a directory, or `false`
   * for memory only. Default: `node_modules/.cache/bunbase-functions` in the
   * nearest directory above the entry that has a package.json (memory only if none).
   */
  cacheDir: v.optional(v.union([v.pipe(v.string(), v.nonEmpty('must not be empty')), v.literal(false)])),
  /** Largest bundle accepted, in bytes (`BUNDLE_TOO_LARGE` beyond). Default 16 MiB. */
  maxBundleBytes: v.optional(PositiveInt, DEFAULT_MAX_BUNDLE_BYTES),
  /** Longest a build may take (`BUILD_TIMEOUT` beyond). Default 60 000 ms. */
  buildTimeoutMs: v.optional(PositiveInt, DEFAULT_BUILD_TIMEOUT_MS),
};

export const EntrySourceSchema = v.strictObject({
  /** A TypeScript or JavaScript file; the host bundles it and its imports into one ES module. */
  entry: v.pipe(v.string(), v.nonEmpty('must not be empty')),
  ...BuildSettingsEntries,
});

export const BuildHandlerOptionsSchema = v.strictObject({
  /** The runtime the bundle is for: it picks the package conditions and the syntax target. */
  runtime: v.picklist(['quickjs-ng', 'quickjs-wasm', 'bun']),
  ...BuildSettingsEntries,
});

export type BuildHandlerOptions = v.InferInput<typeof BuildHandlerOptionsSchema>;
export type ResolvedBuildSettings = Omit<v.InferOutput<typeof BuildHandlerOptionsSchema>, 'runtime'>;

/** Bundles differ by the runtime family only: the QuickJS runtimes share a target. */
export type BundleTarget = 'quickjs' | 'bun';

export function targetOf(runtime: string): BundleTarget {
  return runtime === 'bun' ? 'bun' : 'quickjs';
}
