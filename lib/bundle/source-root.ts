import { existsSync, realpathSync, statSync } from 'node:fs';
import type { Plugin } from 'esbuild';
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
 * carry that file into its bundle and could answer with it, and one that
 * imports a link to `/dev/zero` had esbuild read until the host ran out of
 * memory (a build timeout cannot stop a read). So every input of a bundle
 * must be a regular file of a bounded size, inside the
 * source root, or a file of an npm package in a `node_modules` directory of
 * the entry's own directory or one above it (where Node and esbuild look for
 * packages). Paths are compared after symbolic links are resolved. Never,
 * even inside the root: the bundle cache (`cacheDir`) and the dot-entries of
 * a `node_modules`, such as the default cache in `node_modules/.cache`,
 * which hold other handlers' bundles.
 */
export class SourceFence {
  readonly #entry: string;
  readonly #root: string;
  readonly #realRoot: string;
  /** The `node_modules` directories at and above the entry, symbolic links resolved. */
  readonly #modules: string[];
  readonly #realCache: string | undefined;
  readonly #maxFileBytes: number;

  constructor(entry: string, root: string, cacheDir: string | undefined, maxFileBytes: number) {
    this.#entry = entry;
    this.#root = root;
    this.#realRoot = real(root);
    this.#modules = modulesAbove(dirname(entry));
    this.#realCache = cacheDir === undefined ? undefined : real(cacheDir);
    this.#maxFileBytes = maxFileBytes;
  }

  /** Why `input` may not go into the bundle, or undefined when it may. Reads nothing but the file's status. */
  refusal(input: string): string | undefined {
    const path = real(input);
    const name = relative(dirname(this.#entry), input);
    if ((this.#realCache !== undefined && isInside(path, this.#realCache)) || inHiddenModulesEntry(path)) {
      return `${name} is in a build cache, which holds other handlers' bundles`;
    }
    if (!isInside(path, this.#realRoot) && !isPackageFile(path, this.#modules)) {
      return `${name} is outside the handler's source root ${this.#root}; a bundle may hold only the handler's own project files and npm packages (set source.root to a directory that contains them all)`;
    }
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return undefined; // esbuild reports a file it cannot read.
    }
    if (!stat.isFile()) return `${name} is not a regular file`;
    if (stat.size > this.#maxFileBytes) return `${name} is ${stat.size} bytes, more than a build reads from one file (${this.#maxFileBytes})`;
    return undefined;
  }

  /** The check inside esbuild, before it reads a file: a refused file is a build error at its import. */
  plugin(): Plugin {
    return {
      name: 'bunbase-source-fence',
      setup: (build) => {
        build.onLoad({ filter: /.*/ }, (args) => {
          if (args.namespace !== 'file') return undefined;
          const why = this.refusal(args.path);
          return why === undefined ? undefined : { errors: [{ text: why }] };
        });
      },
    };
  }

  /** The same check over a finished or cached bundle's inputs; throws `BUNDLE_LOAD_ERROR` naming what was refused. */
  check(inputs: readonly string[]): void {
    const refused = inputs.map((input) => this.refusal(input)).filter((why) => why !== undefined);
    if (refused.length === 0) return;
    const more = refused.length > MAX_NAMED ? `; and ${refused.length - MAX_NAMED} more` : '';
    throw new BundleLoadError(`Could not bundle ${this.#entry}: ${refused.slice(0, MAX_NAMED).join('; ')}${more}`);
  }
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

/**
 * Where packages may come from: `node_modules` in the entry's directory and
 * each one above it, on the path as given and as resolved (a linked
 * `node_modules`, or an entry in a linked directory, still counts).
 */
function modulesAbove(entryDir: string): string[] {
  const found = new Set<string>();
  for (const start of [resolve(entryDir), real(entryDir)]) {
    for (let dir = start; ; dir = dirname(dir)) {
      const modules = join(dir, 'node_modules');
      if (existsSync(modules)) found.add(real(modules));
      if (dirname(dir) === dir) break;
    }
  }
  return [...found];
}

/** A file of a package (`<name>/…`, `@scope/<name>/…`, pnpm's `.pnpm/<name@version>/node_modules/<name>/…`) in one of `modules`. */
function isPackageFile(path: string, modules: readonly string[]): boolean {
  for (const dir of modules) {
    if (!isInside(path, dir) || path === dir) continue;
    const rest = path.slice(dir.length + 1).split(sep);
    if (rest[0] === '.pnpm') return rest.length > 4 && rest[2] === 'node_modules' && !(rest[3] ?? '.').startsWith('.');
    return rest.length > 1 && !(rest[0] ?? '.').startsWith('.');
  }
  return false;
}
