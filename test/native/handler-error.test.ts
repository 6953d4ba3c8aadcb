import { afterEach, describe, expect, it } from 'vitest';
import { NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: handler errors', () => {
  it('turns a throwing handler into HANDLER_ERROR with name, message and stack', async () => {
    w = await ready(`function inner() { null.x } export default { fetch() { inner() } }`);
    const m = await w.invoke();
    expect(m.type).toBe('error');
    expect(m.payload).toMatchObject({ code: 'HANDLER_ERROR', name: 'TypeError' });
    expect(m.payload['message']).toMatch(/null/);
    expect(m.payload['stack']).toMatch(/^TypeError: .*\n\s+at inner \(handler\.js:1/);
    // The worker keeps serving.
    const again = await w.invoke();
    expect(again.payload['code']).toBe('HANDLER_ERROR');
  });

  it('reports an unhandled rejection during an invocation as HANDLER_ERROR', async () => {
    w = await ready(`export default async () => { Promise.reject(new RangeError('floating')); await new Promise((r) => setTimeout(r, 20)); return new Response('late') }`);
    const m = await w.invoke();
    expect(m.payload).toMatchObject({ code: 'HANDLER_ERROR', name: 'RangeError', message: 'floating' });
  });

  it('reports an error thrown in a timer callback as HANDLER_ERROR', async () => {
    w = await ready(`export default () => new Promise(() => { setTimeout(() => { throw new Error('in timer') }, 1) })`);
    const m = await w.invoke();
    expect(m.payload).toMatchObject({ code: 'HANDLER_ERROR', message: 'in timer' });
  });

  it('refuses a handler result that is not a Response', async () => {
    w = await ready(`export default () => ({ status: 200 })`);
    const m = await w.invoke();
    expect(m.payload).toMatchObject({ code: 'HANDLER_ERROR', name: 'TypeError' });
    expect(m.payload['message']).toMatch(/must return a Response/);
  });
});
