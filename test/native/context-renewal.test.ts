import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker, type Message } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe("native worker: isolation 'invocation' renews the context", () => {
  it.each(['invocation', 'worker'] as const)("a host call left pending by one invocation is answered into the void once the next has a new context (isolation '%s' for contrast)", async (isolation) => {
    const fresh = isolation === 'invocation';
    w = new NativeWorker();
    const readyMsg = await w.init(
      `let n = 0;
       export default async (req) => {
         n++;
         if (req.url.endsWith('/first')) fetch('https://api.example.com/').then(() => console.log('old context ran: ' + n));
         return new Response('n=' + n);
       }`,
      { allowNetwork: true, allowedDomains: ['api.example.com'] },
      { isolation },
    );
    expect(readyMsg.type).toBe('ready');
    const calls: Message[] = [];
    w.onCall = (m) => {
      calls.push(m);
      return new Promise(() => {}); // answered by hand below
    };
    expect(bodyText(await w.invoke({ url: 'http://localhost/first' }))).toBe('n=1');
    expect(bodyText(await w.invoke({ url: 'http://localhost/second' }))).toBe(fresh ? 'n=1' : 'n=2');
    expect(calls).toHaveLength(1);
    w.send({ id: calls[0]!.id, type: 'result', payload: { call: calls[0]!.payload['call'], ok: true, value: { status: 200, statusText: 'OK', url: 'https://api.example.com/', redirected: false, headers: [], body: '' } } });
    expect(bodyText(await w.invoke({ url: 'http://localhost/third' }))).toBe(fresh ? 'n=1' : 'n=3');
    const logs = w.messages.filter((m) => m.type === 'log').map((m) => m.payload['message']);
    expect(logs).toEqual(fresh ? [] : ['old context ran: 2']);
    expect(w.stderr).not.toMatch(/unknown call/);
  });

  it.each([{ isolation: 'process' }, { isolation: 1 }, { randomSeed: 'seven' }, { randomSeed: 1.5 }])('an init with %o is unusable: exit code 42', async (extra) => {
    w = new NativeWorker();
    w.init(`export default () => new Response('x')`, {}, extra);
    expect((await w.exited).code).toBe(42);
    expect(w.stderr).toMatch(/payload\.(isolation|randomSeed) has the wrong type or value/);
  });
});
