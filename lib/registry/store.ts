import type { RuntimeName } from '../workers/worker.js';

/**
 * One function as a store keeps it. JSON columns stay text here: the registry
 * parses and validates them when it loads a function to run, so a row edited
 * behind its back is caught there rather than trusted.
 */
export interface StoredFunction {
  id: string;
  projectId: string;
  name: string;
  runtime: RuntimeName;
  /** The version invocations run (a rollback moves it back). */
  activeVersion: number;
  /** The highest version ever deployed; the next deploy gets this + 1. */
  latestVersion: number;
  capabilitiesJson: string;
  envJson: string;
  optionsJson: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  updatedAt: number;
}

/** One kept bundle of a function. */
export interface StoredVersion {
  version: number;
  code: string;
  filename: string;
  /** The bundle's source map (JSON text), when it has one. */
  sourceMap: string | undefined;
  createdAt: number;
}

/** A bundle as stored: the text workers run, its file name, its source map. */
export interface StoredBundle {
  code: string;
  filename: string;
  sourceMap: string | undefined;
}

/** One capability profile a function had, from `setAt` until the next entry's `setAt`. */
export interface StoredCapabilityChange {
  capabilitiesJson: string;
  setAt: number;
}

/** When a function last changed: enough for a host to tell that its cached row is stale. */
export interface StoredStamp {
  id: string;
  updatedAt: number;
  activeVersion: number;
}

/** What `insertFunction` writes: the function, its version 1 and its first capability entry. */
export interface NewFunction {
  id: string;
  projectId: string;
  name: string;
  runtime: RuntimeName;
  capabilitiesJson: string;
  envJson: string;
  optionsJson: string;
  bundle: StoredBundle;
  now: number;
}

/**
 * Where the registry keeps functions. Each method is one atomic change: a
 * process killed at any point leaves either the old state or the new one.
 * Methods may return promises so a networked store (PostgreSQL, see
 * docs/scaling.md) fits the same shape; the registry only calls the store when
 * something changes or a function is first loaded, never on a warm invocation.
 */
export interface RegistryStore {
  /**
   * Inserts a new function at version 1.
   * @throws FunctionExistsError when the id, or the name within the project, is taken.
   */
  insertFunction(row: NewFunction): StoredFunction | Promise<StoredFunction>;
  /**
   * Adds version `latestVersion + 1`, makes it active, and drops the oldest
   * versions beyond `keep` (never the active one). Undefined when the id is unknown.
   */
  addVersion(
    id: string,
    bundle: StoredBundle,
    now: number,
    keep: number,
  ): StoredFunction | undefined | Promise<StoredFunction | undefined>;
  /** Makes a kept version active. Undefined when the function or that version is unknown. */
  setActiveVersion(id: string, version: number, now: number): StoredFunction | undefined | Promise<StoredFunction | undefined>;
  /** Replaces the capabilities and appends them to the history. Undefined when the id is unknown. */
  setCapabilities(id: string, capabilitiesJson: string, now: number): StoredFunction | undefined | Promise<StoredFunction | undefined>;
  getFunction(id: string): StoredFunction | undefined | Promise<StoredFunction | undefined>;
  findFunction(projectId: string, name: string): StoredFunction | undefined | Promise<StoredFunction | undefined>;
  /** Every function, or every function of one project, ordered by project then name. */
  listFunctions(projectId?: string): StoredFunction[] | Promise<StoredFunction[]>;
  getVersion(id: string, version: number): StoredVersion | undefined | Promise<StoredVersion | undefined>;
  /** Kept versions, oldest first, without their code. */
  listVersions(id: string): Pick<StoredVersion, 'version' | 'filename' | 'createdAt'>[] | Promise<Pick<StoredVersion, 'version' | 'filename' | 'createdAt'>[]>;
  /** Every capability profile the function had, oldest first. */
  capabilityHistory(id: string): StoredCapabilityChange[] | Promise<StoredCapabilityChange[]>;
  /** Deletes the function with its versions and history. False when the id is unknown. */
  deleteFunction(id: string): boolean | Promise<boolean>;
  /**
   * Optional, for stores that other processes or hosts write too: the stamp of
   * every function, which `registry.refresh()` compares with what it has loaded.
   */
  stamps?(): StoredStamp[] | Promise<StoredStamp[]>;
  /**
   * Optional and cheap: a number that changes whenever another writer has
   * committed since the last call (SQLite's `data_version`); `refresh()`
   * skips `stamps()` while it stays the same.
   */
  changeCounter?(): number | Promise<number>;
  close(): void | Promise<void>;
}
