import type BetterSqlite3 from 'better-sqlite3';
import type { RuntimeName } from '../workers/worker.js';
import { migrate } from './migrations.js';
import { idTaken, nameTaken } from './records.js';
import { openSqlite, type SqliteDatabase } from './sqlite-driver.js';
import type { NewFunction, RegistryStore, StoredBundle, StoredCapabilityChange, StoredFunction, StoredStamp, StoredVersion } from './store.js';

interface FunctionRow {
  id: string;
  project_id: string;
  name: string;
  runtime: string;
  active_version: number;
  latest_version: number;
  capabilities_json: string;
  env_json: string;
  options_json: string;
  created_at: number;
  updated_at: number;
}

function toFunction(row: FunctionRow): StoredFunction {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    // Checked again when the function is loaded to run; the column is only text.
    runtime: row.runtime as RuntimeName,
    activeVersion: row.active_version,
    latestVersion: row.latest_version,
    capabilitiesJson: row.capabilities_json,
    envJson: row.env_json,
    optionsJson: row.options_json,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

type Statement = BetterSqlite3.Statement<unknown[]>;

/**
 * The registry's store on one SQLite file (or `:memory:`), through
 * better-sqlite3. WAL journal, `synchronous = FULL`: each change is one
 * transaction that is on disk when the call returns.
 */
export class SqliteStore implements RegistryStore {
  readonly #db: SqliteDatabase;
  readonly #sql: Record<string, Statement>;

  private constructor(db: SqliteDatabase) {
    this.#db = db;
    const prepare = (sql: string): Statement => db.prepare(sql);
    this.#sql = {
      get: prepare('SELECT * FROM functions WHERE id = ?'),
      find: prepare('SELECT * FROM functions WHERE project_id = ? AND name = ?'),
      all: prepare('SELECT * FROM functions ORDER BY project_id, name'),
      byProject: prepare('SELECT * FROM functions WHERE project_id = ? ORDER BY name'),
      insert: prepare(
        `INSERT INTO functions (id, project_id, name, runtime, active_version, latest_version, capabilities_json, env_json, options_json, created_at, updated_at)
         VALUES (?, ?, ?, ?, 1, 1, ?, ?, ?, ?, ?)`,
      ),
      insertVersion: prepare(
        'INSERT INTO function_versions (function_id, version, code, filename, source_map, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      insertCapabilities: prepare('INSERT INTO capability_history (function_id, capabilities_json, set_at) VALUES (?, ?, ?)'),
      bumpVersion: prepare(
        'UPDATE functions SET latest_version = latest_version + 1, active_version = latest_version + 1, updated_at = ? WHERE id = ?',
      ),
      prune: prepare(
        `DELETE FROM function_versions WHERE function_id = ? AND version <> ? AND version NOT IN
           (SELECT version FROM function_versions WHERE function_id = ? ORDER BY version DESC LIMIT ?)`,
      ),
      hasVersion: prepare('SELECT 1 FROM function_versions WHERE function_id = ? AND version = ?'),
      activate: prepare('UPDATE functions SET active_version = ?, updated_at = ? WHERE id = ?'),
      setCapabilities: prepare('UPDATE functions SET capabilities_json = ?, updated_at = ? WHERE id = ?'),
      version: prepare('SELECT version, code, filename, source_map, created_at FROM function_versions WHERE function_id = ? AND version = ?'),
      versions: prepare('SELECT version, filename, created_at FROM function_versions WHERE function_id = ? ORDER BY version'),
      history: prepare('SELECT capabilities_json, set_at FROM capability_history WHERE function_id = ? ORDER BY seq'),
      delete: prepare('DELETE FROM functions WHERE id = ?'),
      stamps: prepare('SELECT id, updated_at, active_version FROM functions'),
    };
  }

  /** Opens (creating if needed) and migrates the database at `path`. */
  static async open(path: string): Promise<SqliteStore> {
    const db = openSqlite(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      // Several processes may share the file; a writer waits for another instead of failing at once.
      db.pragma('busy_timeout = 5000');
      migrate(db);
      return new SqliteStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  #row(id: string): StoredFunction | undefined {
    const row = this.#sql['get']!.get(id) as FunctionRow | undefined;
    return row === undefined ? undefined : toFunction(row);
  }

  insertFunction(f: NewFunction): StoredFunction {
    return this.#db
      .transaction(() => {
        if (this.#row(f.id) !== undefined) throw idTaken(f.id);
        if (this.#sql['find']!.get(f.projectId, f.name) !== undefined) throw nameTaken(f.projectId, f.name);
        this.#sql['insert']!.run(f.id, f.projectId, f.name, f.runtime, f.capabilitiesJson, f.envJson, f.optionsJson, f.now, f.now);
        this.#sql['insertVersion']!.run(f.id, 1, f.bundle.code, f.bundle.filename, f.bundle.sourceMap ?? null, f.now);
        this.#sql['insertCapabilities']!.run(f.id, f.capabilitiesJson, f.now);
        return this.#row(f.id)!;
      })
      .immediate();
  }

  addVersion(id: string, bundle: StoredBundle, now: number, keep: number): StoredFunction | undefined {
    return this.#db
      .transaction(() => {
        const current = this.#row(id);
        if (current === undefined) return undefined;
        this.#sql['bumpVersion']!.run(now, id);
        this.#sql['insertVersion']!.run(id, current.latestVersion + 1, bundle.code, bundle.filename, bundle.sourceMap ?? null, now);
        this.#sql['prune']!.run(id, current.latestVersion + 1, id, keep);
        return this.#row(id);
      })
      .immediate();
  }

  setActiveVersion(id: string, version: number, now: number): StoredFunction | undefined {
    return this.#db
      .transaction(() => {
        if (this.#sql['hasVersion']!.get(id, version) === undefined) return undefined;
        this.#sql['activate']!.run(version, now, id);
        return this.#row(id);
      })
      .immediate();
  }

  setCapabilities(id: string, capabilitiesJson: string, now: number): StoredFunction | undefined {
    return this.#db
      .transaction(() => {
        if (this.#sql['setCapabilities']!.run(capabilitiesJson, now, id).changes === 0) return undefined;
        this.#sql['insertCapabilities']!.run(id, capabilitiesJson, now);
        return this.#row(id);
      })
      .immediate();
  }

  getFunction(id: string): StoredFunction | undefined {
    return this.#row(id);
  }

  findFunction(projectId: string, name: string): StoredFunction | undefined {
    const row = this.#sql['find']!.get(projectId, name) as FunctionRow | undefined;
    return row === undefined ? undefined : toFunction(row);
  }

  listFunctions(projectId?: string): StoredFunction[] {
    const rows = (projectId === undefined ? this.#sql['all']!.all() : this.#sql['byProject']!.all(projectId)) as FunctionRow[];
    return rows.map(toFunction);
  }

  getVersion(id: string, version: number): StoredVersion | undefined {
    const row = this.#sql['version']!.get(id, version) as
      | { version: number; code: string; filename: string; source_map: string | null; created_at: number }
      | undefined;
    if (row === undefined) return undefined;
    return { version: row.version, code: row.code, filename: row.filename, sourceMap: row.source_map ?? undefined, createdAt: row.created_at };
  }

  listVersions(id: string): Pick<StoredVersion, 'version' | 'filename' | 'createdAt'>[] {
    const rows = this.#sql['versions']!.all(id) as { version: number; filename: string; created_at: number }[];
    return rows.map((r) => ({ version: r.version, filename: r.filename, createdAt: r.created_at }));
  }

  capabilityHistory(id: string): StoredCapabilityChange[] {
    const rows = this.#sql['history']!.all(id) as { capabilities_json: string; set_at: number }[];
    return rows.map((r) => ({ capabilitiesJson: r.capabilities_json, setAt: r.set_at }));
  }

  deleteFunction(id: string): boolean {
    return this.#sql['delete']!.run(id).changes > 0;
  }

  stamps(): StoredStamp[] {
    const rows = this.#sql['stamps']!.all() as { id: string; updated_at: number; active_version: number }[];
    return rows.map((r) => ({ id: r.id, updatedAt: r.updated_at, activeVersion: r.active_version }));
  }

  /** SQLite's `data_version`: changes when another connection (this process or another) has committed. */
  changeCounter(): number {
    return this.#db.pragma('data_version', { simple: true }) as number;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
