import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

/**
 * A `yield` in the iterable of a `for…of`, as liquidjs's template walker
 * writes it (`for (const child of yield template.children())`). The
 * QuickJS-NG of the WebAssembly build refused the whole bundle at load
 * ("stack underflow"); it is rewritten before that engine sees it
 * (lib/workers/wasm/for-of-yield.ts). Every runtime must run it alike.
 */
const HANDLER = `
function* walk(node, depth) {
  const names = [node.name + '@' + depth];
  outer: for (const child of yield node) {
    for (const name of yield* walk(child, depth + 1)) {
      if (name.startsWith('skip')) continue outer;
      names.push(name);
    }
  }
  return names;
}

// Drives the walker: answers each yielded node with its children.
function run(tree) {
  const it = walk(tree, 0);
  let step = it.next();
  while (!step.done) step = it.next(step.value.children ?? []);
  return step.value;
}

export default { async fetch(req) { return Response.json(run(await req.json())); } };
`;

const TREE = {
  name: 'root',
  children: [{ name: 'a', children: [{ name: 'a1' }, { name: 'skip-me' }, { name: 'a2' }] }, { name: 'b' }],
};

describe.each(RUNTIMES)('%s: yield in the iterable of for…of', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('loads and runs as in Node', async () => {
    p = pool(runtime, HANDLER);
    const res = await p.invoke({ method: 'POST', path: '/', body: JSON.stringify(TREE) });
    expect(res.json()).toEqual(['root@0', 'a@1', 'a1@2', 'a2@2', 'b@1']);
  });

  // Every call a new context: on quickjs-wasm the later loads take the thread's remembered rewrite.
  it.skipIf(runtime === 'bun')("loads again in every context of isolation: 'invocation'", async () => {
    p = pool(runtime, HANDLER, { isolation: 'invocation' });
    for (let i = 0; i < 3; i++) {
      const res = await p.invoke({ method: 'POST', path: '/', body: JSON.stringify(TREE) });
      expect(res.json()).toEqual(['root@0', 'a@1', 'a1@2', 'a2@2', 'b@1']);
    }
  });
});
