import * as v from 'valibot';
import { parseCapabilities, createInvalidCapabilitiesError } from '../capabilities/validate.js';
import type { Capabilities } from '../capabilities/index.js';
import { FunctionExistsError, InvalidOptionsError, type ValidationIssue } from '../errors.js';
import { formatIssues, issuesOf, validateOptions, type PoolOptions, type ResolvedPoolOptions } from '../options.js';
import type { RuntimeName } from '../workers/worker.js';
import type { StoredBundle, StoredFunction } from './store.js';

/** Pool options a function may set: everything `createPool` takes but what the record itself holds. */
export type FunctionOptions = Omit<PoolOptions, 'runtime' | 'capabilities' | 'source' | 'env'>;

/** What `registry.register()` accepts. */
export interface RegisterInput {
  /** Stable id; letters, digits, `.`, `_`, `-`, at most 128. Default: a random UUID. */
  id?: string;
  /** Unique within the project; appears in URLs (`/<projectId>/<name>/...`), same characters as `id`. */
  name: string;
  /** The tenant; same characters as `id`. `capabilities.projectId` defaults to it and must equal it. */
  projectId: string;
  runtime: RuntimeName;
  /**
   * The handler, as `createPool` takes it: `{ code }`, `{ path }` or `{ entry }`.
   * The registry stores the resulting bundle (text, file name, source map), so a
   * version keeps running the same bytes whatever later happens to the files.
   */
  source: PoolOptions['source'];
  /** A capability profile; `projectId` may be left out. */
  capabilities: object;
  /** Values the handler receives as `env`. Default `{}`. */
  env?: Record<string, string>;
  /** Pool options of this function. `maxWorkers` defaults to 1 here and counts against the registry's budget. */
  options?: FunctionOptions;
}

/** A registered function as the registry returns it. */
export interface FunctionRecord {
  id: string;
  name: string;
  projectId: string;
  runtime: RuntimeName;
  /** The version invocations run. */
  version: number;
  capabilities: Capabilities;
  createdAt: Date;
  updatedAt: Date;
}

const IDENTIFIER = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit'),
);

const RegisterSchema = v.strictObject({
  id: v.optional(IDENTIFIER),
  name: IDENTIFIER,
  projectId: IDENTIFIER,
  runtime: v.picklist(['quickjs-ng', 'bun', 'quickjs-wasm']),
  source: v.unknown(),
  capabilities: v.unknown(),
  env: v.optional(v.unknown()),
  options: v.optional(v.record(v.string(), v.unknown())),
});

/** Fields of `createPool` options the record owns; refused inside `options`. */
const OWNED = ['runtime', 'capabilities', 'source', 'env'];
/** The registry runs one worker per function unless the function asks for more. */
const FUNCTION_DEFAULTS = { maxWorkers: 1 };

function invalidOptions(prefix: string, issues: ValidationIssue[]): InvalidOptionsError {
  return new InvalidOptionsError(formatIssues(prefix, issues), issues);
}

/**
 * Validates a profile for `projectId`, filling `projectId` in when absent.
 * @throws InvalidCapabilitiesError, also when it names another project.
 */
export function normalizeFunctionCapabilities(projectId: string, input: unknown): Capabilities {
  const withProject =
    typeof input === 'object' && input !== null && !Array.isArray(input) && !Object.hasOwn(input, 'projectId')
      ? { ...input, projectId }
      : input;
  const result = parseCapabilities(withProject);
  if (!result.ok) throw createInvalidCapabilitiesError(result.issues);
  if (result.value.projectId !== projectId) {
    throw createInvalidCapabilitiesError([
      { path: 'projectId', message: `is ${JSON.stringify(result.value.projectId)} but the function belongs to project ${JSON.stringify(projectId)}` },
    ]);
  }
  return result.value;
}

/**
 * Everything needed to start a function's pool: `createPool` options with
 * the stored or given parts, validated.
 * @throws InvalidOptionsError for bad options or env, or a `maxWorkers` above the registry's budget.
 */
export function resolvePoolConfig(
  runtime: unknown,
  source: unknown,
  capabilities: Capabilities,
  env: unknown,
  options: Record<string, unknown>,
  budget: number,
): ResolvedPoolOptions {
  const owned = OWNED.filter((key) => Object.hasOwn(options, key));
  if (owned.length > 0) {
    throw invalidOptions(
      'Invalid function options',
      owned.map((key) => ({ path: `options.${key}`, message: `is a field of the function itself, not of options` })),
    );
  }
  const resolved = validateOptions({ ...FUNCTION_DEFAULTS, ...options, runtime, source, capabilities, env: env ?? {} });
  if (resolved.maxWorkers > budget) {
    throw invalidOptions('Invalid function options', [
      { path: 'options.maxWorkers', message: `is ${resolved.maxWorkers}, above the registry's whole budget of ${budget} workers` },
    ]);
  }
  return resolved;
}

const DeploySchema = v.strictObject({ source: v.unknown() });

/** Validates the shape of `deploy()` input: `{ source }` and nothing else (capabilities change through `updateCapabilities`). */
export function parseDeployInput(input: unknown): v.InferOutput<typeof DeploySchema> {
  const parsed = v.safeParse(DeploySchema, input);
  if (!parsed.success) throw invalidOptions('Invalid deploy', issuesOf(parsed.issues));
  return parsed.output;
}

/** Validates the shape of `register()` input (its parts are checked by the helpers above). */
export function parseRegisterInput(input: unknown): v.InferOutput<typeof RegisterSchema> {
  const parsed = v.safeParse(RegisterSchema, input);
  if (!parsed.success) throw invalidOptions('Invalid function', issuesOf(parsed.issues));
  return parsed.output;
}

/**
 * Turns a stored row back into a pool configuration, validating every JSON
 * column again: a row that no longer validates is refused, never run with defaults.
 * @throws InvalidCapabilitiesError or InvalidOptionsError naming the function.
 */
export function loadPoolConfig(row: StoredFunction, bundle: StoredBundle, budget: number): ResolvedPoolOptions {
  const json = (text: string, column: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return { [`(${column} is not JSON)`]: text.slice(0, 40) };
    }
  };
  let capabilities: Capabilities;
  try {
    capabilities = normalizeFunctionCapabilities(row.projectId, json(row.capabilitiesJson, 'capabilities_json'));
  } catch (error) {
    (error as Error).message = `Function ${row.id} refuses to start: its stored capabilities no longer validate. ${(error as Error).message}`;
    throw error;
  }
  const options = json(row.optionsJson, 'options_json');
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidOptions(`Function ${row.id} refuses to start: its stored options`, [{ path: 'options', message: 'must be an object' }]);
  }
  return resolvePoolConfig(row.runtime, toSource(bundle), capabilities, json(row.envJson, 'env_json'), options as Record<string, unknown>, budget);
}

/** A stored bundle as a `createPool` source. */
export function toSource(bundle: StoredBundle): { code: string; filename: string; sourceMap?: string } {
  const source = { code: bundle.code, filename: bundle.filename };
  return bundle.sourceMap === undefined ? source : { ...source, sourceMap: bundle.sourceMap };
}

/** The public view of a stored row. */
export function toRecord(row: StoredFunction, capabilities: Capabilities): FunctionRecord {
  return {
    id: row.id,
    name: row.name,
    projectId: row.projectId,
    runtime: row.runtime,
    version: row.activeVersion,
    capabilities,
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
  };
}

export function idTaken(id: string): FunctionExistsError {
  return new FunctionExistsError(`A function with id ${JSON.stringify(id)} already exists`);
}

export function nameTaken(projectId: string, name: string): FunctionExistsError {
  return new FunctionExistsError(
    `Project ${JSON.stringify(projectId)} already has a function named ${JSON.stringify(name)}; deploy a new version to it, or pick another name`,
  );
}
