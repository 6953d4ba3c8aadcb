import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

// MessageChannel as libraries use it (React's renderer and scheduler): messages are structured
// clones, delivered in order, each as a task of its own (after the microtasks of the current one),
// only once the receiving port is started. The same answers on every runtime (Bun has its own).
const HANDLER = `export default { async fetch() {
  const seen = [];
  const { port1, port2 } = new MessageChannel();
  const done = new Promise((resolve) => {
    port2.onmessage = (event) => {
      seen.push(event instanceof MessageEvent ? 'event' : 'not an event');
      seen.push(event.data);
      if (event.data.last) resolve();
    };
  });
  const sent = { n: 1, date: new Date(0), nested: { list: [1, 2] } };
  port1.postMessage(sent);
  sent.n = 99;
  port1.postMessage({ n: 2, last: true });
  Promise.resolve().then(() => seen.push('microtask first'));
  await done;

  // addEventListener does not start a port: nothing arrives before start().
  const second = new MessageChannel();
  const early = [];
  second.port2.addEventListener('message', (e) => early.push(e.data));
  second.port1.postMessage('queued');
  await new Promise((r) => setTimeout(r, 20));
  const before = early.length;
  second.port2.start();
  await new Promise((r) => setTimeout(r, 20));

  // A closed port receives nothing; a function cannot be cloned.
  const third = new MessageChannel();
  let closedGot = 0;
  third.port2.onmessage = () => closedGot++;
  third.port2.close();
  third.port1.postMessage('dropped');
  await new Promise((r) => setTimeout(r, 20));
  let cloneError = null;
  try { third.port1.postMessage(() => 1); } catch (e) { cloneError = e.name; }

  return Response.json({
    seen: seen.map((x) => (x && typeof x === 'object' ? { n: x.n, date: x.date instanceof Date ? x.date.getTime() : null, nested: x.nested ?? null, last: x.last ?? false } : x)),
    early, closedGot, cloneError,
    types: [typeof MessageChannel, typeof MessagePort, typeof MessageEvent, String(new MessageChannel().port1)],
  });
} }`;

describe.each(RUNTIMES)('%s: MessageChannel', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('delivers clones in order, each as its own task, to started ports only', async () => {
    p = pool(runtime, HANDLER);
    expect((await p.invoke({ path: '/' })).json()).toEqual({
      seen: ['microtask first', 'event', { n: 1, date: 0, nested: { list: [1, 2] }, last: false }, 'event', { n: 2, date: null, nested: null, last: true }],
      early: ['queued'],
      closedGot: 0,
      cloneError: 'DataCloneError',
      types: ['function', 'function', 'function', '[object MessagePort]'],
    });
  });

  it('a port made by the handler module at load time serves later invocations', async () => {
    p = pool(
      runtime,
      `const { port1, port2 } = new MessageChannel(); let resolveNext; port2.onmessage = (e) => resolveNext(e.data);
      export default { async fetch(req) { const got = new Promise((r) => (resolveNext = r)); port1.postMessage(new URL(req.url).pathname); return new Response(await got); } }`,
    );
    expect((await p.invoke({ path: '/one' })).text()).toBe('/one');
    expect((await p.invoke({ path: '/two' })).text()).toBe('/two');
  });
});
