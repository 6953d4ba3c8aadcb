import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import type { Capabilities } from '../capabilities/index.js';
import { createPool } from '../create-pool.js';
import { FunctionNotFoundError, InvalidOptionsError, PoolClosedError, type FunctionsError } from '../errors.js';
import { DEFAULT_MAX_BODY_BYTES, validateOptions, type PoolOptions, type ResolvedPoolOptions } from '../options.js';
import type { InvokeOptions } from '../pool.js';
import { readRequestBody, type InvokeRequest } from '../request.js';
import type { InvokeResponse } from '../response.js';
import { loadSource } from '../bundle/load-source.js';
import type { PoolStats } from '../stats.js';
import type { RegistryEvents } from './events.js';
import type { ResolvedRegistryOptions } from './options.js';
import { PoolManager, type PoolCloseReason, type PoolHandle } from './pool-manager.js';
import {
  idTaken,
  loadPoolConfig,
  nameTaken,
  normalizeFunctionCapabilities,
  parseDeployInput,
  parseRegisterInput,
  resolvePoolConfig,
  toRecord,
  toSource,
  type FunctionRecord,
  type RegisterInput,
} from './records.js';
import type { RegistryStore, StoredBundle, StoredFunction } from './store.js';

/** One kept version of a function. */
export interface VersionInfo {
  version: number;
  filename: string;
  createdAt: Date;
  /** True for the version invocations run. */
  active: boolean;
}

/** One capability profile a function had, in force from `setAt` until the next entry's. */
export interface CapabilityChange {
  capabilities: Capabilities;
  setAt: Date;
}

/** Figures of one function since the registry opened. */
export interface FunctionStats {
  version: number;
  invocations: number;
  failed: number;
  /** Pools opened for it (first use, after eviction or idle close, after each replacement). */
  poolsOpened: number;
  /** Its open pool's figures; undefined while it has none. */
  pool: PoolStats | undefined;
}

/** A snapshot returned by `registry.stats()`. */
export interface RegistryStats {
  /** The global worker budget. */
  maxWorkers: number;
  /** Budget held by open pools and bundle checks. */
  reservedWorkers: number;
  openPools: number;
  /** Pools opened, and closed by reason, since the registry opened. */
  pools: { opened: number; idle: number; evicted: number; replaced: number; removed: number; closed: number };
  /** Invocations in flight per project. */
  projects: Record<string, number>;
  /** Functions used since the registry opened, by id. */
  functions: Record<string, FunctionStats>;
}

/** A loaded function: its row, and its pool once it has run. */
interface FunctionEntry {
  row: StoredFunction;
  record: FunctionRecord | undefined;
  handle: PoolHandle | undefined;
  starting: Promise<PoolHandle> | undefined;
  /** Bumped by every change to the row; a pool started for an older generation is closed at once. */
  generation: number;
  removed: boolean;
  invocations: number;
  failed: number;
  poolsOpened: number;
}

function storedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function notFound(id: string): FunctionNotFoundError {
  return new FunctionNotFoundError(`No function with id ${JSON.stringify(id)} is registered`);
}

/**
 * Many functions of many projects, kept in a store, each run in its own pool
 * opened on first use, under one worker budget. Create it with `createRegistry()`.
 */
export class Registry extends EventEmitter<RegistryEvents> {
  readonly #store: RegistryStore;
  readonly #options: ResolvedRegistryOptions;
  readonly #manager: PoolManager;
  readonly #entries = new Map<string, FunctionEntry>();
  /** `projectId/name` → id, for routing by name without asking the store. */
  readonly #names = new Map<string, string>();
  /** Functions being removed: they take no invocations while their pool drains. */
  readonly #removing = new Set<string>();
  readonly #operations = new Set<Promise<unknown>>();
  /** The latest change queued per function: changes to one function run one after another. */
  readonly #queues = new Map<string, Promise<unknown>>();
  #closed = false;
  #closing: Promise<void> | undefined;
  #watcher: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  /** The store's change counter when `refresh()` last looked. */
  #seenCounter: number | undefined;

  constructor(store: RegistryStore, options: ResolvedRegistryOptions) {
    super();
    this.#store = store;
    this.#options = options;
    this.#manager = new PoolManager(options, (handle, reason) => this.#onPoolClose(handle, reason));
    if (options.watchMs > 0 && typeof store.stamps === 'function') {
      this.#watcher = setInterval(() => {
        this.refresh().catch((error: unknown) => this.emit('error', error as FunctionsError, ''));
      }, options.watchMs);
      this.#watcher.unref();
    }
  }

  /**
   * Validates and stores a new function at version 1, then returns its record.
   * Nothing is stored when anything is wrong: `INVALID_OPTIONS`,
   * `INVALID_CAPABILITIES`, `BUNDLE_LOAD_ERROR` (the bundle does not load,
   * checked in a short-lived worker unless `verifyBundles` is false),
   * `FUNCTION_EXISTS` (id, or name within the project, taken).
   */
  register(input: RegisterInput): Promise<FunctionRecord> {
    return this.#operation(undefined, async () => {
      const fields = parseRegisterInput(input);
      const capabilities = normalizeFunctionCapabilities(fields.projectId, fields.capabilities);
      const options = fields.options ?? {};
      const config = resolvePoolConfig(fields.runtime, fields.source, capabilities, fields.env, options, this.#options.maxWorkers);
      const id = fields.id ?? randomUUID();
      // Cheap refusals before a worker is started; the store checks again atomically.
      if ((await this.#store.getFunction(id)) !== undefined) throw idTaken(id);
      if ((await this.#store.findFunction(fields.projectId, fields.name)) !== undefined) throw nameTaken(fields.projectId, fields.name);
      const bundle = await this.#bundle(config);
      await this.#verify({ ...config, source: toSource(bundle) });
      const row = await this.#store.insertFunction(this.#newRow(id, fields.projectId, fields.name, config, options, bundle));
      const record = this.#record(row);
      this.emit('register', record);
      return record;
    });
  }

  /** Stores `source` as the next version and makes it active; returns the record. Validated like `register`. */
  deploy(id: string, update: { source: PoolOptions['source'] }): Promise<FunctionRecord> {
    return this.#operation(id, async () => {
      const row = await this.#require(id);
      const { source } = parseDeployInput(update);
      const bundle = await this.#bundle(validateOptions({ runtime: row.runtime, capabilities: {}, source }));
      await this.#verify(loadPoolConfig(row, bundle, this.#options.maxWorkers));
      const updated = (await this.#store.addVersion(id, bundle, Date.now(), this.#options.maxVersions)) ?? this.#gone(id);
      return this.#changed(updated, 'deploy');
    });
  }

  /** Makes a kept version active again; returns the record. `FUNCTION_NOT_FOUND` when that version is not kept. */
  rollback(id: string, version: number): Promise<FunctionRecord> {
    return this.#operation(id, async () => {
      const row = await this.#require(id);
      if (!Number.isSafeInteger(version) || version < 1) {
        const issue = { path: 'version', message: `must be a positive integer, got ${String(version)}` };
        throw new InvalidOptionsError(`Invalid rollback: ${issue.message}`, [issue]);
      }
      const kept = await this.#store.getVersion(id, version);
      if (kept === undefined) {
        throw new FunctionNotFoundError(`Function ${id} has no version ${version} (versions kept: maxVersions ${this.#options.maxVersions})`);
      }
      await this.#verify(loadPoolConfig(row, kept, this.#options.maxWorkers));
      const updated = (await this.#store.setActiveVersion(id, version, Date.now())) ?? this.#gone(id);
      return this.#changed(updated, 'rollback');
    });
  }

  /**
   * Replaces the function's capabilities, keeping the previous ones in its
   * history. From the next invocation on, calls run in a new pool; calls
   * already in flight finish in the old one, which then closes.
   */
  updateCapabilities(id: string, capabilities: object): Promise<FunctionRecord> {
    return this.#operation(id, async () => {
      const row = await this.#require(id);
      const validated = normalizeFunctionCapabilities(row.projectId, capabilities);
      const json = JSON.stringify(validated);
      const active = (await this.#store.getVersion(id, row.activeVersion)) ?? this.#gone(id);
      await this.#verify(loadPoolConfig({ ...row, capabilitiesJson: json }, active, this.#options.maxWorkers));
      const updated = (await this.#store.setCapabilities(id, json, Date.now())) ?? this.#gone(id);
      return this.#changed(updated, 'capabilities');
    });
  }

  /**
   * Runs the function's active version once, in its pool (opened on first
   * use). Rejects with `FUNCTION_NOT_FOUND`, `QUOTA_EXCEEDED` when the project
   * is at its quota, `INVALID_CAPABILITIES` when its stored profile no longer
   * validates, or whatever the pool rejects with.
   */
  invoke(id: string, request: InvokeRequest, options: InvokeOptions = {}): Promise<InvokeResponse> {
    const entry = this.#entries.get(id);
    const handle = entry?.handle;
    if (handle === undefined || this.#closed) return this.#invokeCold(id, request, options);
    // The warm path: no store, no await before the pool has the request.
    try {
      this.#manager.enterProject(handle.projectId);
    } catch (error) {
      return Promise.reject(error as FunctionsError);
    }
    return this.#run(entry!, handle, request, options);
  }

  /** WHATWG in, WHATWG out, like `pool.fetch`. */
  async fetch(id: string, request: Request, options: InvokeOptions = {}): Promise<Response> {
    const body = request.body === null ? null : await readRequestBody(request, await this.#maxBodyBytes(id));
    const response = await this.invoke(
      id,
      { method: request.method, url: request.url, headers: request.headers, body },
      { ...options, signal: options.signal ?? request.signal },
    );
    return response.toResponse();
  }

  /**
   * The function's `maxBodyBytes` (its pool's default when it sets none), so
   * that `fetch` stops reading a request body there; a function that does
   * not exist gets the default, and `invoke` says it does not exist.
   */
  async #maxBodyBytes(id: string): Promise<number> {
    const row = this.#entries.get(id)?.row ?? (typeof id === 'string' && !this.#closed ? await this.#store.getFunction(id) : undefined);
    let limit: unknown;
    try {
      limit = row === undefined ? undefined : (JSON.parse(row.optionsJson) as { maxBodyBytes?: unknown } | null)?.maxBodyBytes;
    } catch {
      // A stored value that does not parse is the pool start's error to report.
    }
    return typeof limit === 'number' && limit > 0 ? limit : DEFAULT_MAX_BODY_BYTES;
  }

  /** The function's record, or undefined. */
  async get(id: string): Promise<FunctionRecord | undefined> {
    this.#open();
    const entry = this.#entries.get(id);
    if (entry !== undefined) return this.#record(entry.row);
    const row = await this.#store.getFunction(id);
    return row === undefined ? undefined : this.#record(row);
  }

  /** The function named `name` in `projectId`, or undefined. */
  async find(projectId: string, name: string): Promise<FunctionRecord | undefined> {
    this.#open();
    const id = this.#names.get(`${projectId}/${name}`);
    const entry = id === undefined ? undefined : this.#entries.get(id);
    if (entry !== undefined) return this.#record(entry.row);
    const row = await this.#store.findFunction(projectId, name);
    if (row === undefined || this.#removing.has(row.id)) return undefined;
    this.#names.set(`${projectId}/${name}`, row.id);
    return this.#record(row);
  }

  /** Every function, or those of one project, ordered by project then name. */
  async list(filter: { projectId?: string } = {}): Promise<FunctionRecord[]> {
    this.#open();
    const rows = await this.#store.listFunctions(filter.projectId);
    return rows.filter((row) => !this.#removing.has(row.id)).map((row) => this.#record(row));
  }

  /** The kept versions, oldest first. */
  async versions(id: string): Promise<VersionInfo[]> {
    this.#open();
    const row = await this.#require(id);
    const versions = await this.#store.listVersions(id);
    return versions.map((v) => ({ version: v.version, filename: v.filename, createdAt: new Date(v.createdAt), active: v.version === row.activeVersion }));
  }

  /** Every capability profile the function had, oldest first; the last is the current one. */
  async capabilityHistory(id: string): Promise<CapabilityChange[]> {
    this.#open();
    await this.#require(id);
    const history = await this.#store.capabilityHistory(id);
    return history.map((h) => ({ capabilities: storedJson(h.capabilitiesJson) as Capabilities, setAt: new Date(h.setAt) }));
  }

  /** Stops routing to the function, lets its in-flight calls finish, then deletes it with its versions and history. */
  remove(id: string): Promise<void> {
    return this.#operation(id, async () => {
      // Before any await, so that no call can start on it once remove() has been called.
      if (typeof id !== 'string' || this.#removing.has(id)) throw notFound(String(id));
      const entry = this.#entries.get(id);
      this.#removing.add(id);
      try {
        if (entry !== undefined) {
          this.#entries.delete(id);
          entry.removed = true;
          entry.generation++;
        }
        const row = entry?.row ?? (await this.#store.getFunction(id));
        if (row === undefined) throw notFound(id);
        this.#names.delete(`${row.projectId}/${row.name}`);
        if (entry?.handle !== undefined) await this.#manager.retire(entry.handle, 'removed');
        await this.#store.deleteFunction(id);
      } finally {
        this.#removing.delete(id);
      }
      this.emit('remove', id);
    });
  }

  /**
   * Picks up changes that other processes made to the same store (another
   * host on the same SQLite file): a function deployed, rolled back or given
   * new capabilities there runs its new state here from the next call (calls
   * in flight finish in the old pool); one removed there stops running here.
   * Runs every `watchMs` by itself; call it to look at once. Only functions
   * this registry has loaded are compared: others are read fresh on first use.
   */
  refresh(): Promise<void> {
    if (this.#closed || typeof this.#store.stamps !== 'function') return Promise.resolve();
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    const store = this.#store;
    if (typeof store.changeCounter === 'function') {
      const counter = await store.changeCounter();
      if (counter === this.#seenCounter) return;
      this.#seenCounter = counter;
    }
    if (this.#entries.size === 0) return;
    const stamps = new Map((await store.stamps!()).map((s) => [s.id, s]));
    const stale: Promise<void>[] = [];
    for (const [id, entry] of this.#entries) {
      const stamp = stamps.get(id);
      if (stamp !== undefined && stamp.updatedAt === entry.row.updatedAt && stamp.activeVersion === entry.row.activeVersion) continue;
      // In the function's queue: a change of our own under way lands first, then the row is read again.
      if (!this.#closed) stale.push(this.#operation(id, () => this.#reload(id)));
    }
    await Promise.all(stale);
  }

  /** Reads a loaded function's row again; replaces its pool if the row changed, drops it if it is gone. */
  async #reload(id: string): Promise<void> {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    const row = await this.#store.getFunction(id);
    if (row === undefined) {
      this.#entries.delete(id);
      entry.removed = true;
      entry.generation++;
      this.#names.delete(`${entry.row.projectId}/${entry.row.name}`);
      if (entry.handle !== undefined) void this.#manager.retire(entry.handle, 'removed');
      this.emit('external', id, undefined);
      return;
    }
    if (row.updatedAt === entry.row.updatedAt && row.activeVersion === entry.row.activeVersion && row.capabilitiesJson === entry.row.capabilitiesJson) {
      return;
    }
    this.emit('external', id, this.#detach(row));
  }

  stats(): RegistryStats {
    const functions: Record<string, FunctionStats> = {};
    for (const [id, entry] of this.#entries) {
      if (entry.invocations === 0 && entry.handle === undefined) continue;
      functions[id] = {
        version: entry.row.activeVersion,
        invocations: entry.invocations,
        failed: entry.failed,
        poolsOpened: entry.poolsOpened,
        pool: entry.handle?.pool.stats(),
      };
    }
    return {
      maxWorkers: this.#options.maxWorkers,
      reservedWorkers: this.#manager.reserved,
      openPools: this.#manager.openPools,
      pools: { ...this.#manager.counts },
      projects: this.#manager.projectsInFlight(),
      functions,
    };
  }

  /** Refuses new work, lets changes and invocations in flight finish, closes every pool, then the store. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      clearInterval(this.#watcher);
      await this.#refreshing?.catch(() => undefined);
      await Promise.allSettled([...this.#operations]);
      await this.#manager.closeAll();
      await this.#store.close();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Runs a change. Changes to the same function (`key`) wait for each other,
   * so each is validated against the state it will replace: a deploy checked
   * with the old capabilities cannot land beside a capability change checked
   * with the old version.
   */
  #operation<T>(key: string | undefined, run: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new PoolClosedError('The registry is closed'));
    let promise: Promise<T>;
    if (key === undefined) {
      promise = run();
    } else {
      const previous = this.#queues.get(key);
      promise = previous === undefined ? run() : previous.then(run, run);
      const settled = promise.then(
        () => undefined,
        () => undefined,
      );
      this.#queues.set(key, settled);
      void settled.then(() => {
        if (this.#queues.get(key) === settled) this.#queues.delete(key);
      });
    }
    this.#operations.add(promise);
    const forget = (): void => void this.#operations.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /**
   * The one place a registry turns a source into what it stores, through the
   * same loader as `createPool` (so `{ entry }` is bundled here, once, per version).
   */
  async #bundle(config: ResolvedPoolOptions): Promise<StoredBundle> {
    const bundle = await loadSource(config);
    return { code: bundle.source, filename: bundle.filename, sourceMap: bundle.sourceMap };
  }

  #newRow(id: string, projectId: string, name: string, config: ResolvedPoolOptions, options: object, bundle: StoredBundle) {
    return {
      id,
      projectId,
      name,
      runtime: config.runtime,
      capabilitiesJson: JSON.stringify(config.capabilities),
      envJson: JSON.stringify(config.env),
      optionsJson: JSON.stringify(options),
      bundle,
      now: Date.now(),
    };
  }

  /** Starts the bundle in a short-lived one-worker pool, within the budget, to prove it loads. */
  async #verify(config: ResolvedPoolOptions): Promise<void> {
    if (!this.#options.verifyBundles) return;
    await this.#manager.reserve(1, config.startTimeoutMs);
    try {
      const pool = createPool({ ...config, minWorkers: 0, maxWorkers: 1, idleTimeoutMs: 0 });
      try {
        await pool.ready();
      } finally {
        await pool.close();
      }
    } finally {
      this.#manager.release(1);
    }
  }

  async #require(id: string): Promise<StoredFunction> {
    if (typeof id !== 'string') throw notFound(String(id));
    const entry = this.#entries.get(id);
    if (entry !== undefined) return entry.row;
    const row = this.#removing.has(id) ? undefined : await this.#store.getFunction(id);
    if (row === undefined) throw notFound(id);
    return row;
  }

  /** Reads after close() would reach a closed store, whose own error names no registry. */
  #open(): void {
    if (this.#closed) throw new PoolClosedError('The registry is closed');
  }

  #gone(id: string): never {
    throw notFound(id);
  }

  #record(row: StoredFunction): FunctionRecord {
    const entry = this.#entries.get(row.id);
    if (entry !== undefined && entry.row === row) return (entry.record ??= toRecord(row, storedJson(row.capabilitiesJson) as Capabilities));
    return toRecord(row, storedJson(row.capabilitiesJson) as Capabilities);
  }

  /** A stored change: the next invocation opens a new pool; the old one drains and closes. */
  #changed(row: StoredFunction, event: 'deploy' | 'rollback' | 'capabilities'): FunctionRecord {
    const record = this.#detach(row);
    this.emit(event, record);
    return record;
  }

  /** Takes the changed row; the function's pool, if open, is detached to drain and close. */
  #detach(row: StoredFunction): FunctionRecord {
    const entry = this.#entries.get(row.id);
    if (entry !== undefined) {
      entry.row = row;
      entry.record = undefined;
      entry.generation++;
      const old = entry.handle;
      entry.handle = undefined;
      if (old !== undefined) void this.#manager.retire(old, 'replaced');
    }
    return this.#record(row);
  }

  async #load(id: string): Promise<FunctionEntry> {
    const cached = this.#entries.get(id);
    if (cached !== undefined) return cached;
    const row = await this.#require(id);
    let entry = this.#entries.get(id);
    if (entry === undefined) {
      entry = { row, record: undefined, handle: undefined, starting: undefined, generation: 0, removed: false, invocations: 0, failed: 0, poolsOpened: 0 };
      this.#entries.set(id, entry);
      this.#names.set(`${row.projectId}/${row.name}`, id);
    }
    return entry;
  }

  async #invokeCold(id: string, request: InvokeRequest, options: InvokeOptions): Promise<InvokeResponse> {
    if (this.#closed) throw new PoolClosedError('The registry is closed');
    const entry = await this.#load(id);
    const projectId = entry.row.projectId;
    this.#manager.enterProject(projectId);
    let handle: PoolHandle;
    try {
      do {
        if (entry.removed) throw notFound(id);
        if (this.#closed) throw new PoolClosedError('The registry is closed');
        handle = entry.handle ?? (await (entry.starting ??= this.#openPool(entry)));
      } while (handle.closing);
    } catch (error) {
      this.#manager.leaveProject(projectId);
      throw error;
    }
    return this.#run(entry, handle, request, options);
  }

  #run(entry: FunctionEntry, handle: PoolHandle, request: InvokeRequest, options: InvokeOptions): Promise<InvokeResponse> {
    this.#manager.enter(handle);
    entry.invocations++;
    return handle.pool.invoke(request, options).then(
      (response) => {
        this.#manager.leave(handle);
        this.#manager.leaveProject(handle.projectId);
        return response;
      },
      (error: FunctionsError) => {
        entry.failed++;
        this.#manager.leave(handle);
        this.#manager.leaveProject(handle.projectId);
        throw error;
      },
    );
  }

  async #openPool(entry: FunctionEntry): Promise<PoolHandle> {
    try {
      const row = entry.row;
      const generation = entry.generation;
      const version = (await this.#store.getVersion(row.id, row.activeVersion)) ?? this.#gone(row.id);
      const config = loadPoolConfig(row, version, this.#options.maxWorkers);
      await this.#manager.reserve(config.maxWorkers, config.timeoutMs);
      let pool;
      try {
        pool = createPool(config);
      } catch (error) {
        this.#manager.release(config.maxWorkers);
        throw error;
      }
      const handle: PoolHandle = {
        functionId: row.id,
        projectId: row.projectId,
        pool,
        charge: config.maxWorkers,
        inFlight: 0,
        lastUsed: performance.now(),
        closing: false,
      };
      this.#forwardEvents(handle);
      this.#manager.adopt(handle);
      entry.poolsOpened++;
      if (entry.generation !== generation || entry.removed || this.#closed) {
        void this.#manager.retire(handle, entry.removed ? 'removed' : this.#closed ? 'closed' : 'replaced');
        return handle;
      }
      entry.handle = handle;
      this.emit('poolopen', { functionId: row.id, projectId: row.projectId, runtime: row.runtime, version: row.activeVersion });
      return handle;
    } finally {
      entry.starting = undefined;
    }
  }

  #forwardEvents(handle: PoolHandle): void {
    const functionId = handle.functionId;
    handle.pool.on('log', (event) => {
      if (this.listenerCount('log') > 0) this.emit('log', { ...event, functionId });
    });
    handle.pool.on('denied', (event) => this.emit('denied', { ...event, functionId }));
    handle.pool.on('error', (error) => this.emit('error', error, functionId));
  }

  #onPoolClose(handle: PoolHandle, reason: PoolCloseReason): void {
    const entry = this.#entries.get(handle.functionId);
    if (entry?.handle === handle) entry.handle = undefined;
    this.emit('poolclose', { functionId: handle.functionId, projectId: handle.projectId, reason });
  }
}
