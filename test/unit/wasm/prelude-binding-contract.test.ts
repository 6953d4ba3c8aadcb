import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEngine } from '../../../dist/workers/wasm/engine.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** Every `native.<name>` the prelude uses (docs/prelude-binding.md). */
function preludeNeeds(): string[] {
  const names = new Set<string>();
  for (const file of readdirSync(join(root, 'native/prelude'))) {
    if (!file.endsWith('.js')) continue;
    for (const m of read(`native/prelude/${file}`).matchAll(/(?<![/\w])native\.(\w+)/g)) names.add(m[1] as string);
    // Destructured: const { utf8Encode, utf8Decode } = native;
    for (const m of read(`native/prelude/${file}`).matchAll(/const \{([^}]+)\} = native;/g)) {
      for (const n of (m[1] as string).split(',')) names.add(n.trim());
    }
  }
  return [...names].sort();
}

/** What the C binding hands the prelude: the mod_*.c function tables and the values runtime.c sets. */
function nativeProvides(): string[] {
  const names = new Set<string>();
  for (const file of readdirSync(join(root, 'native'))) {
    if (!file.endsWith('.c')) continue;
    const text = read(`native/${file}`);
    for (const m of text.matchAll(/JS_CFUNC(?:_MAGIC)?_DEF\("(\w+)"/g)) names.add(m[1] as string);
    for (const m of text.matchAll(/JS_SetPropertyStr\(ctx, ns, "(\w+)"/g)) names.add(m[1] as string);
  }
  return [...names];
}

/** What the quickjs-wasm binding hands the prelude, read from a real context running it. */
async function wasmProvides(): Promise<string[]> {
  const engine = await loadEngine();
  const rt = engine.module.newRuntime();
  const ctx = rt.newContext();
  const stub = `globalThis.__qw_host = new Proxy({}, { get: (_, k) => k === 'options'
    ? () => ({ env: '{}', allowEval: false, allowFilesystem: true, projectId: 'p', engineVersion: '0', fakeClock: false, randomSeed: null })
    : () => undefined });`;
  ctx.unwrapResult(ctx.evalCode(stub)).dispose();
  ctx.unwrapResult(ctx.evalCode(engine.binding)).dispose();
  const handle = ctx.unwrapResult(ctx.evalCode('Object.keys(globalThis.__qw)'));
  const keys = ctx.dump(handle) as string[];
  handle.dispose();
  ctx.dispose();
  rt.dispose();
  return keys;
}

/**
 * Natives a binding may leave out: the prelude looks for them and falls back
 * (CompressionStream on pako when there is no C zlib, lazy-compression.js;
 * a job queued as a promise reaction when there is no queueJob, index.js).
 */
const OPTIONAL = ['zlibOpen', 'zlibPush', 'zlibClose', 'queueJob'];

/**
 * The pool's settings, which the C binding does not put on the binding: a
 * forked worker evaluates the prelude before it knows its pool, and
 * runtime.c hands them to the prelude's `configure` callback from init.
 */
const CONFIGURED = ['env', 'allowEval', 'maxBodyBytes'];

describe('the prelude binding contract: one prelude, two bindings', () => {
  it('the optional natives are the ones the prelude feature-detects', () => {
    expect(read('native/prelude/lazy-compression.js')).toMatch(/typeof native\.zlibOpen === 'function'/);
    expect(read('native/prelude/index.js')).toMatch(/native\.queueJob \?\?/);
  });

  it('the C binding provides every native function the prelude uses', () => {
    const provided = nativeProvides();
    expect(preludeNeeds().filter((n) => !provided.includes(n) && !CONFIGURED.includes(n))).toEqual([]);
    expect(read('native/runtime.c')).toMatch(/JS_Call\(ctx, qw->cb_configure/);
    for (const name of CONFIGURED) expect(read('native/runtime.c')).toContain(`JS_SetPropertyStr(ctx, settings, "${name}"`);
  });

  it('the quickjs-wasm binding provides every native function the prelude uses', async () => {
    const provided = await wasmProvides();
    expect(preludeNeeds().filter((n) => !provided.includes(n) && !OPTIONAL.includes(n))).toEqual([]);
  });
});
