import { describe, expect, it } from 'vitest';
import { RUNTIMES, attack, checkAttack, expectRefused, useBystander, type AttackRow, labelled } from './harness.js';

/**
 * With `allowEval: false`, no road turns a string into code. QuickJS-NG is
 * built without the eval intrinsic (the engine refuses: EvalError); Bun's
 * entry replaces every constructor it can reach (CAPABILITY_DENIED). The
 * control runs the same code with `allowEval: true` and gets its value.
 */
interface EvalRow {
  name: string;
  body: string;
  /** The value the control gets. */
  value: unknown;
  only?: 'bun' | 'quickjs-ng';
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
  // QuickJS-NG has no data: modules; Bun's are a known gap, tested below.
  { name: "import('data:text/javascript,...')", body: `return (await import('data:text/javascript,export default 6 * 7')).default;`, value: 42, only: 'quickjs-ng' },
  { name: 'import() of a blob: URL', body: `return (await import(URL.createObjectURL(new Blob(['export default 6 * 7'], { type: 'text/javascript' })))).default;`, value: 42, only: 'bun' },
];

describe.each(RUNTIMES)('%s: eval and the roads to the Function constructor, allowEval false', (runtime) => {
  useBystander(runtime);
  const rows = ROWS.filter((r) => r.only === undefined || r.only === runtime);

  it.each(labelled(rows, (r) => `${r.name} is refused`))('%s', async (_label, row) => {
    const attackRow: AttackRow = {
      name: row.name,
      body: row.body,
      stop: 'api',
      codes: runtime === 'bun' ? ['CAPABILITY_DENIED'] : ['EvalError', /Cannot find module|not allowed|disabled/],
      control: { caps: { allowEval: true }, check: (v) => expect(v).toBe(row.value) },
    };
    if (/import\(/.test(row.body) && runtime === 'quickjs-ng') {
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
 * The known gap (docs/security.md): Bun's module loader evaluates `data:` URLs
 * below any JavaScript hook (Bun.plugin does not see them), so with
 * `allowEval: false` a handler can still run code from a string through
 * `import('data:…')` or `require('data:…')`. What is guaranteed: that code
 * runs in the same realm under the same guards, so it gains no capability.
 * Each test checks both: the data: module did run (it sets a flag first), and
 * the attempt inside it is refused by the API layer; the control is the same
 * data: module with a profile that allows the attempt.
 */
const INSIDE: { name: string; esm: string; cjs: string; caps: Record<string, unknown>; value: unknown }[] = [
  { name: 'eval inside it is refused', esm: `export default eval('6 * 7');`, cjs: `module.exports = eval('6 * 7');`, caps: { allowEval: true }, value: 42 },
  { name: 'Function inside it is refused', esm: `export default Function('return 6 * 7')();`, cjs: `module.exports = Function('return 6 * 7')();`, caps: { allowEval: true }, value: 42 },
  {
    name: 'reading /etc/passwd inside it is refused',
    esm: `import { readFileSync } from 'node:fs'; globalThis.__ran = true; export default readFileSync('/etc/passwd', 'utf8').slice(0, 5);`,
    cjs: `module.exports = require('node:fs').readFileSync('/etc/passwd', 'utf8').slice(0, 5);`,
    caps: { allowFilesystem: true },
    value: 'root:',
  },
  {
    name: 'Bun.spawn inside it is refused',
    esm: `export default Bun.spawnSync(['/bin/sh', '-c', 'exit 7']).exitCode;`,
    cjs: `module.exports = Bun.spawnSync(['/bin/sh', '-c', 'exit 7']).exitCode;`,
    caps: { allowChildProcess: true },
    value: 7,
  },
];
const LOADERS = {
  // base64: Bun reads some percent-encoded data: URLs (a '.' in the code, say) as a file name, not as code.
  import: `return (await import('data:text/javascript;base64,' + btoa(input.src))).default;`,
  require: `return require('data:text/javascript,' + encodeURIComponent(input.src));`,
} as const;

describe.each(RUNTIMES.filter((r) => r === 'bun'))('%s: data: modules with allowEval false (a known gap)', (runtime) => {
  useBystander(runtime);
  const cases = (['import', 'require'] as const).flatMap((loader) => INSIDE.map((row) => [`${loader}('data:…') runs code without allowEval (known gap) but gains no capability: ${row.name}`, loader, row] as const));

  it.each(cases)('%s', async (_label, loader, row) => {
    // The flag shows the data: module ran; without it the refusal would prove nothing about the gap.
    const body = `globalThis.__ran = false; try { ${LOADERS[loader]} } catch (e) { if (!globalThis.__ran) throw Object.assign(new Error('the data: module did not run: ' + (e && e.message)), { code: 'NOT_RUN' }); throw e; }`;
    const src = loader === 'import' ? (row.esm.includes('__ran') ? row.esm : `globalThis.__ran = true; ${row.esm}`) : `globalThis.__ran = true; ${row.cjs}`;
    await checkAttack(runtime, {
      name: row.name,
      body,
      input: { src },
      stop: 'api',
      control: { caps: row.caps, check: (v) => expect(v).toBe(row.value) },
    });
  });
});
