import { validateRegistryOptions, type RegistryOptions } from './options.js';
import { Registry } from './registry.js';
import { SqliteStore } from './sqlite-store.js';

/**
 * Opens a function registry on a SQLite file (`database`, created and
 * migrated if needed) or on any `RegistryStore` (`store`).
 *
 * @throws InvalidOptionsError (`INVALID_OPTIONS`) for bad options or a database written by a newer version.
 * @throws RuntimeUnavailableError (`RUNTIME_UNAVAILABLE`) when `database` is given and better-sqlite3 is not installed.
 */
export async function createRegistry(options: RegistryOptions): Promise<Registry> {
  const resolved = validateRegistryOptions(options);
  const store = resolved.store ?? (await SqliteStore.open(resolved.database!));
  return new Registry(store, resolved);
}
