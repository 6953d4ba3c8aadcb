import { afterEach, describe, expect, it } from 'vitest';
import type { Pool, RuntimeName } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

/** The runtimes that offer isolation 'invocation' (Bun has no fresh-context control). */
const ISOLATING = RUNTIMES.filter((r): r is RuntimeName => r === 'quickjs-ng' || r === 'quickjs-wasm');

// Module state, a global and a built-in prototype: three places state could survive in.
const COUNTER = `let count = 0; globalThis.leak ??= 0; Array.prototype.marks ??= 0;
export default { async fetch(req) {
  count++; globalThis.leak++; Array.prototype.marks++;
  const body = await req.text();
  return Response.json({ count, leak: globalThis.leak, marks: [].marks, bodyLength: body.length, bodyOk: body === 'ab'.repeat(body.length / 2) });
} }`;

const run = async (p: Pool, bodyBytes: number): Promise<unknown> =>
  (await p.invoke({ method: 'POST', path: '/', body: 'ab'.repeat(bodyBytes / 2) })).json();

describe.each(ISOLATING)('%s: isolation per invocation', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it("isolation 'invocation' gives every invocation a fresh context; request bodies of every size arrive intact", async () => {
    p = pool(runtime, COUNTER, { isolation: 'invocation', maxWorkers: 1 });
    // 64 KB is past the size the native worker takes out of the line before parsing it.
    const seen = [await run(p, 2), await run(p, 64 * 1024), await run(p, 0), await run(p, 2)];
    expect(seen).toEqual([
      { count: 1, leak: 1, marks: 1, bodyLength: 2, bodyOk: true },
      { count: 1, leak: 1, marks: 1, bodyLength: 64 * 1024, bodyOk: true },
      { count: 1, leak: 1, marks: 1, bodyLength: 0, bodyOk: true },
      { count: 1, leak: 1, marks: 1, bodyLength: 2, bodyOk: true },
    ]);
  });

  it("positive control: with isolation 'worker' state survives", async () => {
    p = pool(runtime, COUNTER, { maxWorkers: 1 });
    const seen = [await run(p, 2), await run(p, 2), await run(p, 2)];
    expect(seen).toEqual([
      { count: 1, leak: 1, marks: 1, bodyLength: 2, bodyOk: true },
      { count: 2, leak: 2, marks: 2, bodyLength: 2, bodyOk: true },
      { count: 3, leak: 3, marks: 3, bodyLength: 2, bodyOk: true },
    ]);
  });

  it.each(['invocation', 'worker'] as const)(
    "a timer left running by one invocation is dropped when the next one starts (isolation '%s' for contrast)",
    async (isolation) => {
      // The second call starts well within the first timer's second; the first
      // timer, if it survived, fires before the second one, which is waited for.
      p = pool(runtime, `export default { fetch(req) {
        const n = new URL(req.url).searchParams.get('n');
        setTimeout(() => console.log('late ' + n), 1000);
        return new Response(n);
      } }`, { isolation, maxWorkers: 1 });
      const logs: string[] = [];
      const second = new Promise<void>((resolve) =>
        p!.on('log', (entry) => {
          logs.push(entry.message);
          if (entry.message === 'late 2') resolve();
        }),
      );
      expect((await p.invoke({ path: '/?n=1' })).text()).toBe('1');
      expect((await p.invoke({ path: '/?n=2' })).text()).toBe('2');
      await second;
      expect(logs.filter((m) => m.startsWith('late'))).toEqual(isolation === 'invocation' ? ['late 2'] : ['late 1', 'late 2']);
    },
  );
});

// quickjs-wasm loads such a module and fails the invocation that renews it instead.
describe.each(ISOLATING.filter((r) => r === 'quickjs-ng'))('%s: a handler that cannot load in a fresh context', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it("a module whose top-level code waits is refused at start with BUNDLE_LOAD_ERROR saying why; with isolation 'worker' it loads", async () => {
    const code = `await new Promise((r) => setTimeout(r, 1));
      export default { fetch() { return new Response('ok') } }`;
    p = pool(runtime, code, { isolation: 'invocation', maxWorkers: 1 });
    await expect(p.invoke({ path: '/' })).rejects.toMatchObject({ code: 'BUNDLE_LOAD_ERROR', message: /top-level await.*isolation 'invocation'/ });
    await p.close();
    p = pool(runtime, code, { maxWorkers: 1 });
    expect((await p.invoke({ path: '/' })).text()).toBe('ok');
  });
});
