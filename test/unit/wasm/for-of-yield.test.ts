import * as variantModule from '@jitl/quickjs-ng-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant, type QuickJSSyncVariant } from 'quickjs-emscripten-core';
import { describe, expect, it } from 'vitest';
import { hoistYieldFromForOf } from '../../../lib/workers/wasm/for-of-yield.js';

const variant = (variantModule as unknown as { default: QuickJSSyncVariant }).default;

/** Module sources, each exporting `run()`; the rewrite must compile in the engine and give what Node gives for the original. */
const CASES: Record<string, string> = {
  'yield as the iterable': `function* g() { const seen = []; for (const c of yield 'ask') seen.push(c); return seen; }
export function run() { const it = g(); const a = it.next().value; return [a, it.next([1, 2, 3]).value]; }`,
  'yield inside the iterable, a return in the body': `function* g() { for (let c of [yield 1, yield 2]) { if (c === 'b') return c; } return 'none'; }
export function run() { const it = g(); it.next(); it.next('a'); return it.next('b').value; }`,
  'an assignment target, var, and yield*': `function* inner() { yield 5; return [7, 8]; }
function* g() { let x; const out = []; for (x of yield* inner()) out.push(x); for (var v of (yield 'q')) out.push(v); return [out, x, v]; }
export function run() { const it = g(); const r = [it.next().value, it.next().value]; r.push(it.next([9]).value); return r; }`,
  'labels, continue and break across nested loops': `function* g() {
  const out = [];
  outer: for (const a of yield 'first') {
    inner: for (const b of yield a) {
      if (b === 0) continue outer;
      if (b === 5) continue inner;
      if (b === 9) break outer;
      out.push(a + ':' + b);
    }
  }
  return out;
}
export function run() { const it = g(); it.next(); it.next(['x', 'y', 'z']); it.next([1, 5, 2]); it.next([0, 3]); return it.next([9]).value; }`,
  'a generator inside the iterable, its own yield in a for…of': `function* g() {
  const out = [];
  for (const c of (yield function* () { for (const d of yield 'inner') yield d * 2; })) out.push(c);
  return out;
}
export function run() {
  const it = g();
  const make = it.next().value;
  const innerIt = make(); innerIt.next();
  const doubled = [...{ [Symbol.iterator]: () => ({ next: () => innerIt.next([1, 2]) }) }].slice(0, 1);
  return [doubled, it.next([4, 5]).value];
}`,
  'for await with yield, in an async generator, an unbraced if body': `async function* g() { const out = []; if (true) for await (const c of yield 'go') out.push(c); return out; }
export async function run() { const it = g(); await it.next(); return (await it.next([Promise.resolve(1), 2])).value; }`,
  'yield in a class expression key inside the iterable': `function* g() { const out = []; for (const k of Object.getOwnPropertyNames((class { static [yield 'key']() {} }))) out.push(k); return out.filter((k) => k === 'm'); }
export function run() { const it = g(); it.next(); return it.next('m').value; }`,
};

async function engine() {
  const module = await newQuickJSWASMModuleFromVariant(variant);
  return module.newRuntime();
}

async function inNode(source: string): Promise<unknown> {
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`)) as { run: () => unknown };
  return mod.run();
}

describe('quickjs-wasm: a yield in the iterable of for…of, rewritten before the engine compiles it', () => {
  it('the engine build still fails on the original (the rewrite is still needed)', async () => {
    const runtime = await engine();
    const ctx = runtime.newContext();
    const result = ctx.evalCode('function* g(t) { for (const c of yield t) {} }', 'probe.js', { type: 'module' });
    expect(result.error && (ctx.dump(result.error) as { message: string }).message).toMatch(/stack underflow/);
    result.dispose();
    ctx.dispose();
    runtime.dispose();
  });

  it.each(Object.entries(CASES))('%s: compiles in the engine, and runs as the original does in Node', async (_, source) => {
    const out = hoistYieldFromForOf(source);
    expect(out).not.toBe(source);
    const expected = await inNode(source);
    expect(await inNode(out)).toEqual(expected);
    const runtime = await engine();
    const ctx = runtime.newContext();
    const result = ctx.evalCode(out, 'case.js', { type: 'module' });
    expect(result.error && ctx.dump(result.error)).toBeUndefined();
    result.dispose();
    ctx.dispose();
    runtime.dispose();
  });

  it('keeps the lines of everything after a rewritten loop', () => {
    const source = `function* g() {\n  for (const c of [\n    yield 1,\n    yield 2,\n  ]) {}\n  throw new Error('here');\n}\nexport default g;\n`;
    const out = hoistYieldFromForOf(source);
    const line = (text: string, needle: string): number => text.slice(0, text.indexOf(needle)).split('\n').length;
    expect(line(out, "throw new Error('here')")).toBe(line(source, "throw new Error('here')"));
    expect(line(out, 'export default g')).toBe(line(source, 'export default g'));
  });

  it('leaves alone source without such a loop, and source that does not parse', () => {
    const plain = `function* g(xs) { for (const x of xs) yield x; for (const k in yield) {} }\nexport default g;`;
    expect(hoistYieldFromForOf(plain)).toBe(plain);
    const broken = 'function* g() { for (const c of yield t) { }';
    expect(hoistYieldFromForOf(broken)).toBe(broken);
    const noYield = 'for (const x of [1]) {}';
    expect(hoistYieldFromForOf(noYield)).toBe(noYield);
  });

  it('never clashes with a name the source already uses', () => {
    const source = `const $bbof0_0 = 'mine';\nfunction* g() { const out = []; for (const c of yield) out.push(c, $bbof0_0); return out; }\nexport function run() { const it = g(); it.next(); return it.next([1]).value; }`;
    const out = hoistYieldFromForOf(source);
    expect(out).toContain('$bbof1_0');
  });
});
