import type { SourceMap } from './source-map.js';

/** Rewrites text (a stack, a log line, an error message) so positions in the bundle name the user's files instead. */
export type StackMapper = (text: string) => string;

/**
 * Builds the mapper for one bundle. A position is recognised by the bundle's
 * file name with any directory in front (Bun names the file by its path in the
 * worker's directory, QuickJS-NG by the bare name) or by a `data:` URL (how Bun
 * names a bundle imported from memory), followed by `:line` and maybe `:column`.
 * Positions that map to nothing (esbuild's own helpers) are left as they are.
 * `map` may be a function: it is then called on the first position found, so
 * a bundle that never throws never pays for parsing its map.
 */
export function createStackMapper(filename: string, map: SourceMap | (() => SourceMap)): StackMapper {
  let resolved = typeof map === 'function' ? undefined : map;
  const name = filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const position = new RegExp(
    `(?:data:text/javascript;base64,[A-Za-z0-9+/=]*|(?:[^\\s()'"\`]*/)?${name}):(\\d+)(?::(\\d+))?`,
    'g',
  );
  return (text) => {
    if (!text.includes(filename) && !text.includes('data:text/javascript')) return text;
    return text.replace(position, (whole, line: string, column: string | undefined) => {
      resolved ??= (map as () => SourceMap)();
      const original = resolved.lookup(Number(line), column === undefined ? 1 : Number(column));
      if (original === undefined) return whole;
      return `${original.source}:${original.line}:${original.column}`;
    });
  };
}
