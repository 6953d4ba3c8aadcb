import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: deep recursion', () => {
  it('turns a stack overflow into a catchable RangeError', async () => {
    w = await ready(`function f(n) { return f(n + 1) + 1 } export default () => { try { f(0) } catch (e) { return new Response(e.name + ': ' + e.message) } }`);
    expect(bodyText(await w.invoke())).toBe('RangeError: Maximum call stack size exceeded');
  });

  it('reports an uncaught overflow as HANDLER_ERROR, and the worker lives on', async () => {
    w = await ready(`const g = (n) => [g(n + 1)]; export default (req) => req.method === 'POST' ? g(0) : new Response('alive')`);
    const m = await w.invoke({ method: 'POST', body: 'x' });
    expect(m.payload).toMatchObject({ code: 'HANDLER_ERROR', name: 'RangeError' });
    expect(bodyText(await w.invoke())).toBe('alive');
  });
});
