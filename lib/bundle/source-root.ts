import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { BundleLoadError } from '../errors.js';

const MAX_NAMED = 5;

/**
 * The directory a handler's own files must be inside: `root` when given,
 * else the nearest directory above the entry with a package.json (the
 * project the handler belongs to), else the entry's own directory.
 */
export function sourceRoot(entry: string, root: string | undefined): string {
  if (root !== undefined) return resolve(root);
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return dirname(entry);
  }
}

/**
 * The bundler runs on the host, with the host's files: a handler that
 * imports `../../other-tenant/secrets.json` or `/etc/app/config.json` would
 * carry that file into its bundle and could answer with it. So every input
 * of a bundle must be inside the source root, or be a file of an npm package
 * in a `node_modules` directory of the entry's own directory or one above it
 * (where Node and esbuild look for packages). Paths are compared after
 * symbolic links are resolved. Never, even inside the root: the bundle
 * cache (`cacheDir`) and the dot-entries of a `node_modules`, such as the
 * default cache in `node_modules/.cache`, which hold other handlers' bundles.
 *
 * Throws `BUNDLE_LOAD_ERROR` naming the files outside, relative to the entry's directory.
 */
export function checkInputsInside(entry: string, root: string, inputs: readonly string[], cacheDir?: string): void {
  const realRoot = real(root);
  const entryDir = real(dirname(entry));
  const realCache = cacheDir === undefined ? undefined : real(cacheDir);
  const outside = inputs.filter((input) => {
    const path = real(input);
    if ((realCache !== undefined && isInside(path, realCache)) || inHiddenModulesEntry(path)) return true;
    return !isInside(path, realRoot) && !isPackageFile(path, entryDir);
  });
  if (outside.length === 0) return;
  const dir = dirname(entry);
  const named = outside.slice(0, MAX_NAMED).map((path) => relative(dir, path));
  const more = outside.length > MAX_NAMED ? ` and ${outside.length - MAX_NAMED} more` : '';
  throw new BundleLoadError(
    `${relative(dir, entry)} imports files outside its source root ${root} (or in a build cache): ${named.join(', ')}${more}. ` +
      'A handler bundle may hold only its own project files and npm packages; set source.root to a directory that contains them all',
  );
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** Under a `node_modules/.name` other than pnpm's store (`.cache`, `.bin`, `.vite`, ...). */
function inHiddenModulesEntry(path: string): boolean {
  const marker = `${sep}node_modules${sep}.`;
  for (let at = path.indexOf(marker); at !== -1; at = path.indexOf(marker, at + 1)) {
    if (!path.startsWith(`pnpm${sep}`, at + marker.length)) return true;
  }
  return false;
}

/** A file of a package under `<dir>/node_modules/`, where `<dir>` is the entry's directory or above it. */
function isPackageFile(path: string, entryDir: string): boolean {
  const marker = `${sep}node_modules${sep}`;
  for (let at = path.indexOf(marker); at !== -1; at = path.indexOf(marker, at + 1)) {
    if (!isInside(entryDir, path.slice(0, at) || sep)) continue;
    const rest = path.slice(at + marker.length).split(sep);
    // pnpm keeps the packages themselves in node_modules/.pnpm/<name@version>/node_modules/<name>/.
    if (rest[0] === '.pnpm') return rest.length > 4 && rest[2] === 'node_modules' && !(rest[3] ?? '.').startsWith('.');
    return rest.length > 1 && !(rest[0] ?? '.').startsWith('.');
  }
  return false;
}
