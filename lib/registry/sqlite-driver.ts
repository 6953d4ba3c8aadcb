import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { RuntimeUnavailableError } from '../errors.js';

export type SqliteDatabase = BetterSqlite3.Database;

const INSTALL_HINT =
  'The function registry keeps its data in SQLite through the optional peer dependency better-sqlite3. ' +
  'Install it with `npm install better-sqlite3` (version 12). Where no prebuilt binary can be downloaded, its ' +
  'install script compiles it, which needs python3, make and a C++ compiler; an npm that gates install scripts ' +
  'also needs `npm install-scripts approve better-sqlite3` (or "allowScripts" in package.json) before it runs it. ' +
  'createPool() does not need it.';

/**
 * Opens a SQLite database with better-sqlite3, imported only now: hosts that
 * never create a registry never load, or need, the native addon.
 *
 * @throws RuntimeUnavailableError (`RUNTIME_UNAVAILABLE`) saying how to install it when it is missing or unbuilt.
 */
export function openSqlite(path: string): SqliteDatabase {
  let Database: typeof BetterSqlite3;
  try {
    // A CommonJS package; `require` also finds it in the host app's node_modules.
    Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  } catch (error) {
    throw new RuntimeUnavailableError(`${INSTALL_HINT} (${(error as Error).message})`, { cause: error });
  }
  try {
    return new Database(path);
  } catch (error) {
    // The addon is loaded by the first `new Database`: a package installed with its build skipped fails here.
    if (/bindings file|better_sqlite3\.node|NODE_MODULE_VERSION/.test((error as Error).message)) {
      throw new RuntimeUnavailableError(`${INSTALL_HINT} (${(error as Error).message.split('\n')[0]})`, { cause: error });
    }
    throw error;
  }
}
