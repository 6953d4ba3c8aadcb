import { describe, expect, it } from 'vitest';
import { guardDynamicImports, loaderName } from '../../lib/workers/bun-dynamic-imports.js';

describe('guardDynamicImports', () => {
  it.each([
    ['static imports and import.meta', `import fs from 'node:fs'; export const u = import.meta.url; export default 1;`],
    [
      'require in every form bundlers emit',
      `var __require = typeof require !== "undefined" ? require : (x) => x; const t = typeof require; require('node:path');`,
    ],
    [
      'the word import in strings, comments and names',
      `const s = "import('x')"; // import('y')\n/* import ( */ const o = { import: 1 }; o.import(2);`,
    ],
  ])('leaves %s untouched', (_name, source) => {
    expect(guardDynamicImports(source, '$bb000')).toBe(source);
  });

  it.each([
    ['a literal', `await import('node:path');`, `await $bb000('node:path');`],
    ['a computed specifier', `const x = 'data:,1'; await import(x);`, `const x = 'data:,1'; await $bb000(x);`],
    [
      'comments between the keyword and the parenthesis',
      `import /* a */ ('x'); import // b\n('y');`,
      `$bb000 /* a */ ('x'); $bb000 // b\n('y');`,
    ],
    [
      'nested calls and import attributes',
      `import(import('a'), { with: { type: 'json' } });`,
      `$bb000($bb000('a'), { with: { type: 'json' } });`,
    ],
  ])('rewrites import() of %s, keeping every column', (_name, source, expected) => {
    expect(guardDynamicImports(source, '$bb000')).toBe(expected);
  });

  it('throws on what does not parse', () => {
    expect(() => guardDynamicImports('export default {; import(x)', '$bb000')).toThrow(SyntaxError);
  });

  it('picks a loader name of six characters the source does not use', () => {
    const name = loaderName('const $bb000 = 1, $bb001 = 2;');
    expect(name).toHaveLength(6);
    expect(name).not.toMatch(/^\$bb00[01]$/);
  });
});
