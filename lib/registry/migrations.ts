import { InvalidOptionsError } from '../errors.js';
import type { SqliteDatabase } from './sqlite-driver.js';

/**
 * The schema, one step per version. Never edit a step that has shipped: add
 * the next one. Each step runs in its own transaction with the bump of
 * `user_version`, so a crash mid-migration leaves the previous version intact.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE functions (
     id TEXT PRIMARY KEY,
     project_id TEXT NOT NULL,
     name TEXT NOT NULL,
     runtime TEXT NOT NULL,
     active_version INTEGER NOT NULL,
     latest_version INTEGER NOT NULL,
     capabilities_json TEXT NOT NULL,
     env_json TEXT NOT NULL,
     options_json TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     UNIQUE (project_id, name)
   ) STRICT;
   CREATE TABLE function_versions (
     function_id TEXT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
     version INTEGER NOT NULL,
     code TEXT NOT NULL,
     filename TEXT NOT NULL,
     source_map TEXT,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (function_id, version)
   ) STRICT;
   CREATE TABLE capability_history (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     function_id TEXT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
     capabilities_json TEXT NOT NULL,
     set_at INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX capability_history_by_function ON capability_history (function_id, seq);`,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database up to `SCHEMA_VERSION`.
 * @throws InvalidOptionsError when the file was written by a newer build (its schema is unknown here).
 */
export function migrate(db: SqliteDatabase): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    const issue = {
      path: 'database',
      message: `schema version ${current} was written by a newer bunbase-functions; this one knows up to ${SCHEMA_VERSION}`,
    };
    throw new InvalidOptionsError(`Cannot open the registry database: ${issue.message}`, [issue]);
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
