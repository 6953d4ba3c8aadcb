/**
 * Reads a source map (version 3, as esbuild writes it) and answers "which
 * original position produced this generated one". Decoding is lazy: a map is
 * only decoded when a stack first needs it, since most bundles never throw.
 */

/** One decoded segment: generated column, source index, original line, original column (all 0-based). */
type Segment = [column: number, source: number, line: number, originalColumn: number];

export interface RawSourceMap {
  version: number;
  sources: string[];
  mappings: string;
  sourceRoot?: string;
}

export interface OriginalPosition {
  source: string;
  /** 1-based, as stack traces count. */
  line: number;
  /** 1-based, as stack traces count. */
  column: number;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) DIGIT[BASE64.charCodeAt(i)] = i;

export class SourceMap {
  readonly #raw: RawSourceMap;
  #lines: Segment[][] | undefined;

  constructor(raw: RawSourceMap) {
    this.#raw = raw;
  }

  /** Parses the JSON text of a map; throws on anything that is not a version 3 map. */
  static parse(text: string): SourceMap {
    const raw = JSON.parse(text) as Partial<RawSourceMap>;
    if (raw.version !== 3 || !Array.isArray(raw.sources) || typeof raw.mappings !== 'string') {
      throw new TypeError('not a version 3 source map');
    }
    return new SourceMap(raw as RawSourceMap);
  }

  /**
   * The original position of a generated one. `line` and `column` are 1-based
   * (stack-trace style). Undefined when nothing maps there (esbuild's own helpers).
   */
  lookup(line: number, column: number): OriginalPosition | undefined {
    const segments = this.#decoded()[line - 1];
    if (segments === undefined || segments.length === 0) return undefined;
    const target = column - 1;
    // The last segment that starts at or before the column covers it.
    let low = 0;
    let high = segments.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if ((segments[mid] as Segment)[0] <= target) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    const segment = segments[found === -1 ? 0 : found] as Segment;
    if (segment[1] < 0) return undefined;
    const source = this.#raw.sources[segment[1]];
    if (source === undefined) return undefined;
    const root = this.#raw.sourceRoot ?? '';
    return {
      source: root === '' ? source : `${root.replace(/\/?$/, '/')}${source}`,
      line: segment[2] + 1,
      column: segment[3] + 1,
    };
  }

  #decoded(): Segment[][] {
    this.#lines ??= decodeMappings(this.#raw.mappings);
    return this.#lines;
  }
}

/** Decodes the `mappings` field: base64 VLQ, `;` between generated lines, `,` between segments. */
export function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let line: Segment[] = [];
  // Every field but the generated column is relative to the previous segment of the whole map.
  let source = 0;
  let originalLine = 0;
  let originalColumn = 0;
  let column = 0;
  const fields = [0, 0, 0, 0, 0];
  let i = 0;
  while (i <= mappings.length) {
    const c = i === mappings.length ? 59 : mappings.charCodeAt(i);
    if (c === 59 /* ; */) {
      lines.push(line);
      line = [];
      column = 0;
      i++;
      continue;
    }
    if (c === 44 /* , */) {
      i++;
      continue;
    }
    let count = 0;
    while (i < mappings.length && mappings.charCodeAt(i) !== 44 && mappings.charCodeAt(i) !== 59) {
      let value = 0;
      let shift = 0;
      let digit: number;
      do {
        digit = DIGIT[mappings.charCodeAt(i++)] ?? -1;
        if (digit === -1) throw new TypeError(`invalid base64 VLQ in source map mappings at ${i - 1}`);
        value += (digit & 31) * 2 ** shift;
        shift += 5;
      } while (digit & 32);
      if (count < 5) fields[count] = value % 2 === 1 ? -(value - 1) / 2 : value / 2;
      count++;
    }
    column += fields[0] as number;
    if (count >= 4) {
      source += fields[1] as number;
      originalLine += fields[2] as number;
      originalColumn += fields[3] as number;
      line.push([column, source, originalLine, originalColumn]);
    } else {
      // A lone column starts a stretch that maps to nothing.
      line.push([column, -1, -1, -1]);
    }
  }
  // The loop above pushed one line per `;` plus the trailing one.
  return lines;
}
