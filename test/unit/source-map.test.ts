import { describe, expect, it } from 'vitest';
import { createStackMapper } from '../../lib/bundle/stack-map.js';
import { SourceMap, decodeMappings } from '../../lib/bundle/source-map.js';

// Hand-decoded: "A" is 0, "I" is +4, "C" is +1, "D" is -1, "gB" is +16, "K" is +5.
const MAPPINGS = 'AAAA,IAAI;AACA,gBAAD;K';

describe('source map decoding', () => {
  it('decodes base64 VLQ segments, relative fields and lone columns', () => {
    expect(decodeMappings(MAPPINGS)).toEqual([
      [
        [0, 0, 0, 0],
        [4, 0, 0, 4],
      ],
      [
        [0, 0, 1, 4],
        [16, 0, 1, 3],
      ],
      [[5, -1, -1, -1]],
    ]);
  });

  it('looks up 1-based positions: the segment at or before the column, nothing for unmapped stretches', () => {
    const map = new SourceMap({ version: 3, sources: ['src/a.ts'], mappings: MAPPINGS });
    expect(map.lookup(1, 1)).toEqual({ source: 'src/a.ts', line: 1, column: 1 });
    expect(map.lookup(1, 7)).toEqual({ source: 'src/a.ts', line: 1, column: 5 });
    expect(map.lookup(2, 17)).toEqual({ source: 'src/a.ts', line: 2, column: 4 });
    expect(map.lookup(3, 9)).toBeUndefined();
    expect(map.lookup(9, 1)).toBeUndefined();
  });

  it('refuses what is not a version 3 map', () => {
    expect(() => SourceMap.parse('{"version":2}')).toThrow(/version 3/);
    expect(() => new SourceMap({ version: 3, sources: [], mappings: 'A!' }).lookup(1, 1)).toThrow(/VLQ/);
  });
});

describe('stack rewriting', () => {
  const map = new SourceMap({ version: 3, sources: ['src/a.ts'], mappings: MAPPINGS });
  const rewrite = createStackMapper('h.bundle.js', map);

  it('maps the bare name, a path ending in it, and a data: URL; leaves the rest alone', () => {
    expect(rewrite('    at f (h.bundle.js:2:17)')).toBe('    at f (src/a.ts:2:4)');
    expect(rewrite('    at /work/dir/h.bundle.js:1:7')).toBe('    at src/a.ts:1:5');
    expect(rewrite('    at g (data:text/javascript;base64,ZXhwb3J0:1:1)')).toBe('    at g (src/a.ts:1:1)');
    expect(rewrite('    at h (other.js:1:1)\n    at h.bundle.js:3:9')).toBe('    at h (other.js:1:1)\n    at h.bundle.js:3:9');
  });
});
