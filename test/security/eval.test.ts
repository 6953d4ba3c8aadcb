import { describe, expect, it } from 'vitest';
import { RUNTIMES, attack, checkAttack, expectRefused, useBystander, type AttackRow, labelled } from './harness.js';

/**
 * With `allowEval: false`, no road turns a string into code. QuickJS-NG is
 * built without the eval intrinsic (the engine could not compile anyway);
 * Bun's entry replaces every constructor it can reach. Both refuse the same
 * way: CAPABILITY_DENIED inside the handler and a `denied` event. The
 * control runs the same code with `allowEval: true` and gets its value.
 */
interface EvalRow {
  name: string;
  body: string;
  /** The value the control gets. */
  value: unknown;
  /** 'quickjs': both QuickJS-NG runtimes (native and WebAssembly). */
  only?: 'bun' | 'quickjs';
}

const ROWS: EvalRow[] = [
  { name: 'eval', body: `return eval('6 * 7');`, value: 42 },
  { name: 'indirect eval (0, eval)', body: `return (0, eval)('6 * 7');`, value: 42 },
  { name: 'globalThis.eval', body: `return globalThis['ev' + 'al']('6 * 7');`, value: 42 },
  { name: 'Function', body: `return Function('return 6 * 7')();`, value: 42 },
  { name: 'new Function', body: `return new Function('a', 'return a * 7')(6);`, value: 42 },
  { name: '(function () {}).constructor', body: `return (function () {}).constructor('return 6 * 7')();`, value: 42 },
  { name: '(async function () {}).constructor', body: `return await (async function () {}).constructor('return 6 * 7')();`, value: 42 },
  { name: '(function* () {}).constructor', body: `return (function* () {}).constructor('yield 6 * 7')().next().value;`, value: 42 },
  { name: '(async function* () {}).constructor', body: `return (await (async function* () {}).constructor('yield 6 * 7')().next()).value;`, value: 42 },
  { name: 'Reflect.construct(Function, ...)', body: `return Reflect.construct(Function, ['return 6 * 7'])();`, value: 42 },
  { name: 'Function.prototype.constructor', body: `return Function.prototype.constructor('return 6 * 7')();`, value: 42 },
  { name: '[].constructor.constructor', body: `return [].constructor.constructor('return 6 * 7')();`, value: 42 },
  { name: 'Object.getPrototypeOf(async () => {}).constructor', body: `return await Object.getPrototypeOf(async () => {}).constructor('return 6 * 7')();`, value: 42 },
  { name: 'Object.getPrototypeOf chain of an async generator', body: `const G = Object.getPrototypeOf(Object.getPrototypeOf((async function* () {})())); return typeof G.constructor.constructor('return 1');`, value: 'function', only: 'bun' },
  { name: 'a prototype chain from a runtime object (Response)', body: `return Object.getPrototypeOf(new Response('x').text).constructor('return 6 * 7')();`, value: 42 },
  { name: 'node:vm runInThisContext', body: `return require('node:vm').runInThisContext('6 * 7');`, value: 42, only: 'bun' },
  { name: 'new vm.Script', body: `return new (require('node:vm').Script)('6 * 7').runInThisContext();`, value: 42, only: 'bun' },
  { name: 'vm.runInNewContext (ESM import)', body: `const vm = await import('node:vm'); return vm.runInNewContext('6 * 7');`, value: 42, only: 'bun' },
  { name: 'ShadowRealm', body: `return new ShadowRealm().evaluate('6 * 7');`, value: 42, only: 'bun' },
  // QuickJS-NG has no data: modules; Bun refuses bundles that could load one (below).
  { name: "import('data:text/javascript,...')", body: `return (await import('data:text/javascript,export default 6 * 7')).default;`, value: 42, only: 'quickjs' },
];

describe.each(RUNTIMES)('%s: eval and the roads to the Function constructor, allowEval false', (runtime) => {
  useBystander(runtime);
  const family = runtime === 'bun' ? 'bun' : 'quickjs';
  const rows = ROWS.filter((r) => r.only === undefined || r.only === family);

  it.each(labelled(rows, (r) => `${r.name} is refused`))('%s', async (_label, row) => {
    const attackRow: AttackRow = {
      name: row.name,
      body: row.body,
      stop: 'api',
      // No codes: the default check is CAPABILITY_DENIED plus an eval denial event, on both runtimes.
      control: { caps: { allowEval: true }, check: (v) => expect(v).toBe(row.value) },
    };
    if (/import\(/.test(row.body) && family === 'quickjs') {
      // The QuickJS-NG module loader has no data: (or any URL) modules at all, whatever the profile.
      attackRow.stop = 'absent';
      attackRow.codes = [/Cannot find module/];
      attackRow.control = { caps: { allowEval: true }, body: `return eval('6 * 7');`, check: (v) => expect(v).toBe(42) };
    }
    await checkAttack(runtime, attackRow);
  });

  it('setTimeout and setInterval with a string are never evaluated (absent in both runtimes)', async () => {
    for (const timer of ['setTimeout', 'setInterval']) {
      const body = `globalThis.__hit = false; const id = ${timer}('globalThis.__hit = true', 0); await new Promise((r) => setTimeout(r, 30)); clearInterval(id); if (!globalThis.__hit) throw Object.assign(new Error('not evaluated'), { code: 'NOT_EVALUATED' }); return 'evaluated';`;
      for (const caps of [{}, { allowEval: true }]) {
        const run = await attack(runtime, body, { caps });
        // Either the call throws (a string is no callback) or the string never runs.
        expectRefused(run, ['NOT_EVALUATED', 'ERR_INVALID_ARG_TYPE', 'TypeError']);
      }
    }
    // Control: the same timer with a function runs.
    const control = await attack(runtime, `return await new Promise((r) => setTimeout(() => r('ran'), 0));`);
    expect(control.outcome).toMatchObject({ ok: true, value: 'ran' });
  });
});

/**
 * Bun's module loader evaluates `data:` and `blob:` URLs, files and modules a
 * `Bun.plugin` makes up below every JavaScript hook. So with `allowEval: false`
 * only built-in modules load at run time: the bundle's `require` (and
 * import.meta.require, createRequire, Module._load) is Module.prototype.require,
 * which the entry guards, and every `import()` of the bundle is rewritten into a
 * call of a guarded loader before it runs (lib/entry/dynamic-code.ts). The bundle
 * itself always loads. The control runs the same bundle with `allowEval: true`
 * and gets 42.
 */
const MODULE_ROADS: { name: string; body: string }[] = [
  { name: "import('data:…') with a literal URL", body: `return (await import('data:text/javascript,export default 6 * 7')).default;` },
  { name: 'import() of a computed data: URL', body: `return (await import('data:text/javascript;base64,' + btoa('export default 6 * 7'))).default;` },
  { name: 'import() of a template literal with an expression', body: `const six = 6; return (await import(\`data:text/javascript,export default \${six} * 7\`)).default;` },
  { name: 'import() of a blob: URL', body: `return (await import(URL.createObjectURL(new Blob(['export default 6 * 7'], { type: 'text/javascript' })))).default;` },
  { name: "require('data:…')", body: `return require('data:text/javascript,module.exports = 6 * 7');` },
  { name: 'require of a computed specifier', body: `const u = 'data:text/javascript,' + 'module.exports = 6 * 7'; return require(u);` },
  { name: '`require` passed around as a value', body: `const r = [require][0]; return r('data:text/javascript,module.exports = 6 * 7');` },
  { name: 'import.meta.require', body: `return import.meta.require('data:text/javascript,module.exports = 6 * 7');` },
  { name: "import.meta['require'] (computed)", body: `return import.meta['req' + 'uire']('data:text/javascript,module.exports = 6 * 7');` },
  { name: 'createRequire(...)(data:…)', body: `return require('node:module').createRequire('/x.js')('data:text/javascript,module.exports = 6 * 7');` },
  { name: 'Module._load(data:…)', body: `return require('node:module')._load('data:text/javascript,module.exports = 6 * 7');` },
  {
    name: 'a module made up by Bun.plugin, imported by a literal name',
    body: `Bun.plugin({ name: 'p', setup(b) { b.module('made-up', () => ({ contents: 'export default 6 * 7', loader: 'js' })); } }); return (await import('made-up')).default;`,
  },
  {
    name: 'a module made up by Bun.plugin, required by a literal name',
    body: `Bun.plugin({ name: 'p', setup(b) { b.module('made-up-2', () => ({ contents: 'export default 6 * 7', loader: 'js' })); } }); return require('made-up-2').default;`,
  },
  { name: "new Module(p)._compile('…') (node:module)", body: `const { Module } = require('node:module'); const m = new Module('/x.js'); m._compile('module.exports = 6 * 7', '/x.js'); return m.exports;` },
  { name: "new Module(p)._compile('…') (ESM import of node:module)", body: `const { default: Module } = await import('node:module'); const m = new Module('/y.js'); m._compile('module.exports = 6 * 7', '/y.js'); return m.exports;` },
];

describe.each(RUNTIMES.filter((r) => r === 'bun'))('%s: loading a module from a string, allowEval false', (runtime) => {
  useBystander(runtime);

  it.each(labelled(MODULE_ROADS, (r) => `${r.name} is refused at run time`))('%s', async (_label, row) => {
    const run = await attack(runtime, row.body);
    expect(run.outcome).toMatchObject({ kind: 'result', ok: false, code: 'CAPABILITY_DENIED' });
    expect(run.denials.map((d) => d.capability)).toContain('eval');
    // Control: the same bundle may do it when eval is allowed (Module._load hands back Bun's own wrapper, not 42).
    const control = await attack(runtime, row.body, { caps: { allowEval: true } });
    expect(control.outcome).toMatchObject({ kind: 'result', ok: true, ...(row.name.startsWith('Module._load') ? {} : { value: 42 }) });
  });

  it('a bundle that names its modules with literals still loads and runs', async () => {
    const run = await attack(runtime, `const fs = await import('node:fs'); const { join } = require('node:path'); return [typeof fs.readFileSync, join('a', 'b'), typeof import.meta.url].join(' ');`);
    expect(run.outcome).toMatchObject({ kind: 'result', ok: true, value: 'function a/b string' });
  });
});

describe.each(RUNTIMES)('%s: what only mentions require or import still loads, allowEval false', (runtime) => {
  it("esbuild's __require shim, a bare typeof require and a literal import() of a built-in", async () => {
    const prelude = `var __require = /* @__PURE__ */ ((x) => typeof require !== "undefined" ? require : typeof Proxy !== "undefined" ? new Proxy(x, { get: (a, b) => (typeof require !== "undefined" ? require : a)[b] }) : x)(function (x) { throw Error('Dynamic require of "' + x + '" is not supported'); });`;
    const run = await attack(runtime, `return [typeof require, typeof __require];`, { prelude });
    expect(run.outcome).toMatchObject({ kind: 'result', ok: true });
    expect(run.denials).toEqual([]);
  });
});
