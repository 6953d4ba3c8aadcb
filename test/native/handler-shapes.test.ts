import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: handler shapes', () => {
  it.each([
    ['export default { fetch(request, env, ctx) }', `export default { prefix: 'obj', fetch(req, env, ctx) { ctx.waitUntil(Promise.resolve()); return new Response(this.prefix + ':' + env.KEY) } }`, 'obj:value'],
    ['export default function', `export default function (req, env) { return new Response('fn:' + env.KEY) }`, 'fn:value'],
    ['export function handler', `export function handler(req) { return new Response('named:' + req.method) }`, 'named:GET'],
    ['top-level await', `const v = await new Promise((r) => setTimeout(() => r('tla'), 5)); export default () => new Response(v)`, 'tla'],
    ['modern syntax', `class A { #x = 1; static s = 2; get x() { return this.#x } } export default async (req) => new Response(String(new A().x + A.s + (req?.missing?.deep ?? 3) + (0n + 1n).toString().length))`, '7'],
  ])('%s', async (_name, source, expected) => {
    w = await ready(source);
    expect(bodyText(await w.invoke())).toBe(expected);
  });

  it('refuses a module without a handler with BUNDLE_LOAD_ERROR', async () => {
    w = new NativeWorker();
    const m = await w.init('export const x = 1');
    expect(m).toMatchObject({ type: 'error', payload: { code: 'BUNDLE_LOAD_ERROR' } });
    expect(m.payload['message']).toMatch(/export default \{ fetch/);
    expect(await w.exited).toEqual({ code: 0, signal: null });
  });

  it('reports a throwing top level as BUNDLE_LOAD_ERROR', async () => {
    w = new NativeWorker();
    const m = await w.init(`throw new Error('top'); export default () => 1`);
    expect(m).toMatchObject({ type: 'error', payload: { code: 'BUNDLE_LOAD_ERROR', message: 'top' } });
  });
});
