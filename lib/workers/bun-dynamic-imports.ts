import { parse, version as acornVersion, type Node } from 'acorn';
import { readScan, scanKey, writeScan, type ImportScan } from './bun-import-cache.js';

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
 * in a fraction of the time JavaScriptCore takes cold in every new worker, and
 * what it found is kept on disk for the next host process (bun-import-cache.ts).
 */

/**
 * Names what findImportCalls finds and how: change it whenever that changes, so
 * that scans kept on disk by an older version are not believed.
 */
export const SCANNER_VERSION = `import-calls/1 acorn/${acornVersion}`;

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
 * The offsets of every `import(` keyword of `source`, in order. Throws acorn's
 * SyntaxError when the source does not parse as an ES module: what cannot be
 * checked is not run.
 */
export function findImportCalls(source: string): number[] {
  if (!MAYBE_IMPORT_CALL.test(source)) return [];
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
  return starts.sort((a, b) => a - b);
}

/**
 * Returns `source` with the `import` keyword at each of `starts` replaced by
 * `loader` (same length, so lines and columns do not move).
 */
function replaceKeywords(source: string, starts: readonly number[], loader: string): string {
  if (loader.length !== KEYWORD.length) throw new RangeError(`loader name must have ${KEYWORD.length} characters`);
  let out = '';
  let at = 0;
  for (const start of starts) {
    if (start < at || source.slice(start, start + KEYWORD.length) !== KEYWORD) throw new SyntaxError(`unexpected import() at offset ${start}`);
    out += source.slice(at, start) + loader;
    at = start + KEYWORD.length;
  }
  return starts.length === 0 ? source : out + source.slice(at);
}

/**
 * Returns `source` with every `import(…)` replaced by `loader(…)` (same length,
 * so lines and columns do not move). Throws acorn's SyntaxError when the source
 * does not parse as an ES module.
 */
export function guardDynamicImports(source: string, loader: string): string {
  if (loader.length !== KEYWORD.length) throw new RangeError(`loader name must have ${KEYWORD.length} characters`);
  return replaceKeywords(source, findImportCalls(source), loader);
}

/** A bundle ready for a Bun worker with eval refused: the rewritten source and the loader's name, or why it cannot run. */
export type GuardedBundle = { source: string; importLoader: string } | { error: string };

const CACHE_SIZE = 8;
const cache = new Map<string, GuardedBundle>();

/** guardDynamicImports for a pool's bundle, remembered for the next worker of the same bundle and on disk. */
export function guardBundle(source: string): GuardedBundle {
  let guarded = cache.get(source);
  if (guarded === undefined) {
    const scan = scanBundle(source);
    try {
      if ('error' in scan) throw new SyntaxError(scan.error);
      const importLoader = loaderName(source);
      guarded = { source: replaceKeywords(source, scan.starts, importLoader), importLoader };
    } catch (error) {
      // What cannot be checked is not run.
      guarded = { error: (error as Error).message };
    }
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(source, guarded);
  }
  return guarded;
}

/** findImportCalls, from the disk cache when an earlier host process scanned the same bundle. */
function scanBundle(source: string): ImportScan {
  // A bundle without so much as the keyword needs neither a parse nor the cache.
  if (!MAYBE_IMPORT_CALL.test(source)) return { starts: [] };
  const key = scanKey(source, SCANNER_VERSION);
  const kept = readScan(key, SCANNER_VERSION);
  if (kept !== undefined) return kept;
  let scan: ImportScan;
  try {
    scan = { starts: findImportCalls(source) };
  } catch (error) {
    scan = { error: (error as Error).message };
  }
  writeScan(key, SCANNER_VERSION, scan);
  return scan;
}
