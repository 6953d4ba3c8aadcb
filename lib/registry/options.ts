import * as v from 'valibot';
import { InvalidOptionsError } from '../errors.js';
import { PositiveInt, TimerMs, formatIssues, issuesOf } from '../options.js';
import type { RegistryStore } from './store.js';

const STORE_METHODS = ['insertFunction', 'addVersion', 'setActiveVersion', 'setCapabilities', 'getFunction', 'findFunction', 'listFunctions', 'getVersion', 'listVersions', 'capabilityHistory', 'deleteFunction', 'close'] as const;

function isStore(value: unknown): value is RegistryStore {
  return typeof value === 'object' && value !== null && STORE_METHODS.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
}

/** Options of `createRegistry`. The schema is the type: defaults live here. */
export const RegistryOptionsSchema = v.pipe(
  v.strictObject({
    /** A SQLite file path (created if missing), or `':memory:'`. Needs better-sqlite3. */
    database: v.optional(v.pipe(v.string(), v.nonEmpty('must be a file path or ":memory:"'))),
    /** Any other `RegistryStore` instead of `database` (e.g. one on PostgreSQL). */
    store: v.optional(v.custom<RegistryStore>(isStore, `must implement RegistryStore (${STORE_METHODS.join(', ')})`)),
    /**
     * The global worker budget across every function. Each open pool holds
     * its function's `maxWorkers` of it; when it is used up, the
     * least-recently-used pool with nothing in flight is closed. Default 32.
     */
    maxWorkers: v.optional(PositiveInt, 32),
    /** Invocations one project may have in flight at once; more get `QUOTA_EXCEEDED`. Default: half of `maxWorkers`, at least 1. */
    maxProjectConcurrency: v.optional(PositiveInt),
    /** A function's pool unused this long is closed; 0 = only when evicted. Default 60 000 ms. */
    idlePoolMs: v.optional(TimerMs, 60_000),
    /** Versions kept per function (the active one is always kept). Default 10. */
    maxVersions: v.optional(PositiveInt, 10),
    /**
     * Start the bundle once in a short-lived worker before storing it
     * (register, deploy, updateCapabilities), so one that cannot load is
     * refused with `BUNDLE_LOAD_ERROR`. Default true.
     */
    verifyBundles: v.optional(v.boolean(), true),
    /**
     * How often to look for changes other processes made to the same store
     * (`registry.refresh()`); 0 = never. Default 1000 ms. Costs one
     * `PRAGMA data_version` per tick while nobody else writes.
     */
    watchMs: v.optional(TimerMs, 1000),
  }),
  v.check((o) => (o.database === undefined) !== (o.store === undefined), 'pass exactly one of database and store'),
);

export type RegistryOptions = v.InferInput<typeof RegistryOptionsSchema>;
export type ResolvedRegistryOptions = Omit<v.InferOutput<typeof RegistryOptionsSchema>, 'maxProjectConcurrency'> & {
  maxProjectConcurrency: number;
};

/** Validates `createRegistry` options. Throws `InvalidOptionsError` naming every bad field. */
export function validateRegistryOptions(input: unknown): ResolvedRegistryOptions {
  const parsed = v.safeParse(RegistryOptionsSchema, input);
  if (!parsed.success) {
    const issues = issuesOf(parsed.issues);
    throw new InvalidOptionsError(formatIssues('Invalid registry options', issues), issues);
  }
  const o = parsed.output;
  return { ...o, maxProjectConcurrency: o.maxProjectConcurrency ?? Math.max(1, Math.floor(o.maxWorkers / 2)) };
}
