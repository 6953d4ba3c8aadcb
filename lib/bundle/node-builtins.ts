import { builtinModules } from 'node:module';
import type { Metafile, Plugin } from 'esbuild';

const NODE_BUILTINS = new Set(builtinModules);
const INNER = 'bunbase-builtins-inner';

/** True for `node:*`, `bun:*` and the bare names of Node's built-in modules (`fs`, `fs/promises`, ...). */
export function isRuntimeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || specifier.startsWith('bun:') || NODE_BUILTINS.has(specifier);
}

/**
 * For the QuickJS runtimes, which have no Node built-ins: an import of one
 * that nothing else resolves is kept as an external import, so the build
 * finishes and `findBuiltinImports` can name the chain that pulled it in.
 * A package may still map a built-in to a browser stand-in (`"browser":
 * { "fs": false }`) or the project may install an npm package of that name
 * (`buffer`, `events`): esbuild's own resolution is asked first.
 */
export function keepBuiltinsExternal(): Plugin {
  return {
    name: 'bunbase-builtins',
    setup(build) {
      build.onResolve({ filter: /^(?:node:|bun:)?[a-z_][a-z0-9_/]*$/ }, async (args) => {
        if (args.pluginData === INNER || !isRuntimeBuiltin(args.path)) return undefined;
        const found = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: INNER,
        });
        return found.errors.length === 0 ? undefined : { path: args.path, external: true };
      });
    },
  };
}

/** One import of a built-in, with the files that lead to it from the entry (entry first). */
export interface BuiltinImport {
  builtin: string;
  chain: string[];
}

/** Every external built-in import in the build, each with its shortest import chain from `entry`. */
export function findBuiltinImports(metafile: Metafile, entry: string): BuiltinImport[] {
  const parent = new Map<string, string | undefined>([[entry, undefined]]);
  const found: BuiltinImport[] = [];
  const seen = new Set<string>();
  const queue = [entry];
  // Breadth first, so each chain is a shortest one.
  for (let i = 0; i < queue.length; i++) {
    const file = queue[i] as string;
    for (const imported of metafile.inputs[file]?.imports ?? []) {
      if (imported.external === true) {
        if (!isRuntimeBuiltin(imported.path) || seen.has(imported.path)) continue;
        seen.add(imported.path);
        found.push({ builtin: imported.path, chain: chainTo(parent, file) });
      } else if (!parent.has(imported.path)) {
        parent.set(imported.path, file);
        queue.push(imported.path);
      }
    }
  }
  return found;
}

function chainTo(parent: Map<string, string | undefined>, file: string): string[] {
  const chain: string[] = [];
  for (let at: string | undefined = file; at !== undefined; at = parent.get(at)) chain.unshift(at);
  return chain;
}
