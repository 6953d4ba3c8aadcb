import { parse, type Node } from 'acorn';

/**
 * Bun loads `data:` and `blob:` URLs, and modules a `Bun.plugin` makes up, below
 * every JavaScript hook: `import()` of one would run a string as code even with
 * `allowEval: false`. `require()` goes through `Module.prototype.require`, which
 * the entry's guards patch; `import()` is syntax and cannot be patched. So every
 * `import(` of the bundle is rewritten into a call of a guarded loader
 * (lib/entry/bun-guards.ts) before the bundle is sent to a worker. Nothing else
 * in the bundle is touched, and nothing is refused for what it merely mentions.
 *
 * This runs on the host, once per bundle: acorn in Node parses a 2 MB bundle
 * in a fraction of the time JavaScriptCore takes cold in every new worker.
 */

/** Length of the `import` keyword: the loader's name has the same, so columns in stack traces stay true. */
const KEYWORD = 'import';

/**
 * A cheap superset of "contains an import() expression": the keyword, then only
 * white space and comments, then `(`. Keywords cannot be written with escapes.
 * When it does not match, the bundle needs no parse at all.
 */
const MAYBE_IMPORT_CALL = /\bimport(?:\s|\/\*[\s\S]*?\*\/|\/\/.*)*\(/;

/** A six-character identifier that does not occur in `source`. */
export function loaderName(source: string): string {
  for (let i = 0; ; i++) {
    const name = `$bb${i.toString(36).padStart(3, '0')}`;
    if (!source.includes(name)) return name;
  }
}

type AnyNode = Node & Record<string, unknown>;

/**
 * Returns `source` with every `import(…)` replaced by `loader(…)` (same length,
 * so lines and columns do not move). Throws acorn's SyntaxError when the source
 * does not parse as an ES module: what cannot be checked is not run.
 */
export function guardDynamicImports(source: string, loader: string): string {
  if (loader.length !== KEYWORD.length) throw new RangeError(`loader name must have ${KEYWORD.length} characters`);
  if (!MAYBE_IMPORT_CALL.test(source)) return source;
  const program = parse(source, { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true });
  const starts: number[] = [];
  const visit = (node: AnyNode): void => {
    if (node.type === 'ImportExpression') starts.push(node.start);
    for (const child of Object.values(node)) {
      if (Array.isArray(child)) {
        for (const item of child) if (item !== null && typeof item === 'object' && typeof item.type === 'string') visit(item as AnyNode);
      } else if (child !== null && typeof child === 'object' && typeof (child as AnyNode).type === 'string') {
        visit(child as AnyNode);
      }
    }
  };
  visit(program as unknown as AnyNode);
  if (starts.length === 0) return source;
  starts.sort((a, b) => a - b);
  let out = '';
  let at = 0;
  for (const start of starts) {
    if (source.slice(start, start + KEYWORD.length) !== KEYWORD) throw new SyntaxError(`unexpected import() at offset ${start}`);
    out += source.slice(at, start) + loader;
    at = start + KEYWORD.length;
  }
  return out + source.slice(at);
}

/** A bundle ready for a Bun worker with eval refused: the rewritten source and the loader's name, or why it cannot run. */
export type GuardedBundle = { source: string; importLoader: string } | { error: string };

const CACHE_SIZE = 8;
const cache = new Map<string, GuardedBundle>();

/** guardDynamicImports for a pool's bundle, remembered for the next worker of the same bundle. */
export function guardBundle(source: string): GuardedBundle {
  let guarded = cache.get(source);
  if (guarded === undefined) {
    try {
      const importLoader = loaderName(source);
      guarded = { source: guardDynamicImports(source, importLoader), importLoader };
    } catch (error) {
      // What cannot be checked is not run.
      guarded = { error: (error as Error).message };
    }
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(source, guarded);
  }
  return guarded;
}
