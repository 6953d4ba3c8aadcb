import { describe, expect, it } from 'vitest';
import { findDynamicCode } from '../../lib/entry/dynamic-code.js';

describe('findDynamicCode', () => {
  it.each([
    ['static imports and literal dynamic imports', `import fs from 'node:fs'; const p = await import('node:path'); export default 1;`],
    ['require with a literal', `const { join } = require('node:path');`],
    ['a template literal without expressions', 'const m = await import(`node:os`);'],
    ['`require` as a property name or object key', `const o = { require: 1 }; o.require; class A { require() {} }`],
    ['import.meta.url and import.meta.dir', `const u = import.meta.url; const d = import.meta.dir;`],
  ])('accepts %s', (_name, source) => {
    expect(findDynamicCode(source)).toBeUndefined();
  });

  it.each([
    ['import() of a variable', `const x = 'node:fs'; await import(x);`, 'import() of a computed module specifier'],
    ['import() of a data: URL', `await import('data:text/javascript,1');`, 'import() of a data: URL as a module'],
    ['import() of a BLOB: URL, any case', `await import(' BLOB:x');`, 'import() of a blob: URL as a module'],
    ['a template literal with an expression', 'await import(`./${name}`);', 'import() of a computed module specifier'],
    ['require of a concatenation', `require('node:' + 'fs');`, 'require() of a computed module specifier'],
    ['require() with no argument', `require();`, 'require() of a computed module specifier'],
    ['require as a value', `const r = require;`, '`require` used as a value'],
    ['require in an array', `[require][0]('x');`, '`require` used as a value'],
    ['o[require]', `o[require];`, '`require` used as a value'],
    ['import.meta.require', `import.meta.require('x');`, 'import.meta.require'],
    ['computed import.meta access', `import.meta['req' + 'uire'];`, 'import.meta used as a value'],
    ['import.meta as a value', `const m = import.meta;`, 'import.meta used as a value'],
  ])('finds %s', (_name, source, what) => {
    expect(findDynamicCode(source)).toMatchObject({ what, line: 1 });
  });

  it('reports the first use with its position', () => {
    expect(findDynamicCode(`const a = 1;\n  await import(a);\nrequire(b);`)).toEqual({ what: 'import() of a computed module specifier', line: 2, column: 9 });
  });

  it('throws on what does not parse', () => {
    expect(() => findDynamicCode('export default {')).toThrow(SyntaxError);
  });
});
