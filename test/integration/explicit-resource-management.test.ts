import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPool, profiles, type Pool } from 'bunbase-functions';
import { RUNTIMES } from '../helpers.js';

/**
 * `using`, `await using`, DisposableStack and friends behave alike on every
 * runtime. quickjs-wasm's QuickJS-NG (0.12) has none of them: its binding adds
 * them (lib/workers/wasm/disposables.js); before, a TypeScript handler's
 * `using` threw "Object not disposable" there only.
 */
const STACKS = `export default { async fetch() {
  const out = [];
  const s = new DisposableStack();
  s.defer(() => out.push('deferred'));
  const r = s.use({ [Symbol.dispose]() { out.push('used'); } });
  s.use(null);
  s.adopt('x', (v) => out.push('adopted ' + v));
  out.push(typeof r, s.disposed, Object.prototype.toString.call(s));
  const moved = s.move();
  out.push(s.disposed, moved.disposed);
  moved[Symbol.dispose]();
  out.push(moved.disposed);
  try { moved.defer(() => {}); } catch (e) { out.push(e.constructor.name); }
  try { new DisposableStack().use({}); } catch (e) { out.push(e.constructor.name); }

  const failing = new DisposableStack();
  failing.defer(() => { throw new Error('first'); });
  failing.defer(() => { throw new Error('second'); });
  try { failing.dispose(); } catch (e) { out.push(e.name, e.error.message, e.suppressed.message); }

  const a = new AsyncDisposableStack();
  a.use({ [Symbol.dispose]() { out.push('sync in async'); } });
  a.use({ async [Symbol.asyncDispose]() { await null; out.push('async'); } });
  await a.disposeAsync();
  out.push(a.disposed, typeof Symbol.dispose, typeof Symbol.asyncDispose, new SuppressedError(1, 2, 'm').message);

  const done = new DisposableStack();
  done.dispose();
  try { done.adopt(1, 'not a function'); } catch (e) { out.push(e.constructor.name); }
  const af = new AsyncDisposableStack();
  af.defer(async () => { throw new Error('a1'); });
  af.use(null);
  af.defer(() => { throw new Error('a2'); });
  try { await af.disposeAsync(); } catch (e) { out.push(e.name, e.error.message, e.suppressed.message); }
  out.push(af.disposed, await af.disposeAsync());
  return Response.json(out);
} }`;

const EXPECTED = [
  'object', false, '[object DisposableStack]', true, false,
  'adopted x', 'used', 'deferred', true,
  'ReferenceError', 'TypeError',
  'SuppressedError', 'first', 'second',
  'async', 'sync in async', true, 'symbol', 'symbol', 'm',
  'ReferenceError', 'SuppressedError', 'a1', 'a2', true, null,
];

const USING_TS = `
const log: string[] = [];
class Res implements Disposable {
  constructor(private name: string) {}
  [Symbol.dispose]() { log.push('disposed ' + this.name); }
}
class ARes implements AsyncDisposable {
  async [Symbol.asyncDispose]() { log.push('async disposed'); }
}
export default {
  async fetch(): Promise<Response> {
    {
      using a = new Res('a');
      using b = new Res('b');
      await using c = new ARes();
      log.push('body');
    }
    return Response.json(log);
  },
};
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bb-erm-'));
  writeFileSync(join(dir, 'package.json'), '{"name":"erm","private":true}');
  writeFileSync(join(dir, 'handler.ts'), USING_TS);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(RUNTIMES)('%s: explicit resource management', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('DisposableStack, AsyncDisposableStack and SuppressedError', async () => {
    p = createPool({ runtime, capabilities: profiles.strict('test-project'), source: { code: STACKS } });
    expect((await p.invoke({ path: '/' })).json()).toEqual(EXPECTED);
  });

  it('a TypeScript handler with using and await using', async () => {
    p = createPool({ runtime, capabilities: profiles.strict('test-project'), source: { entry: join(dir, 'handler.ts'), root: dir } });
    expect((await p.invoke({ path: '/' })).json()).toEqual(['body', 'async disposed', 'disposed b', 'disposed a']);
  });
});
