import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

// The small globals whose absence crashed libraries on QuickJS-NG.
const HANDLER = `
export default async () => {
  const error = new Error('x');
  error.stack = undefined;
  const event = new CustomEvent('ping', { detail: { n: 1 }, bubbles: true, cancelable: true });
  const target = new EventTarget();
  let seen = null;
  target.addEventListener('ping', (e) => { seen = [e.detail.n, e.isTrusted, e.eventPhase]; });
  target.dispatchEvent(event);
  const controller = new AbortController();
  let trusted = null;
  controller.signal.addEventListener('abort', (e) => { trusted = e.isTrusted; });
  controller.abort();
  performance.mark('start');
  performance.mark('end');
  const measure = performance.measure('span', 'start', 'end');
  return Response.json({
    stack: error.stack === undefined,
    event: [event.bubbles, event.cancelable, event.isTrusted, event.composed],
    seen,
    trusted,
    measure: [measure.name, measure.entryType, measure.duration >= 0],
    marks: performance.getEntriesByName('start').map((e) => e.entryType),
    missingMark: (() => { try { performance.measure('x', 'nope'); } catch (e) { return e.name; } })(),
    userAgent: typeof navigator.userAgent,
    env: typeof process.env,
  });
};`;

describe.each(RUNTIMES)('%s: globals libraries expect', (runtime) => {
  let p: Pool;
  beforeAll(() => {
    p = pool(runtime, HANDLER, { maxWorkers: 1 });
  });
  afterAll(async () => p.close());

  it('has CustomEvent, trusted abort events, User Timing, navigator, process.env and a lenient err.stack', async () => {
    expect((await p.invoke({ path: '/' })).json()).toEqual({
      stack: true,
      event: [true, true, false, false],
      seen: [1, false, 2],
      trusted: true,
      measure: ['span', 'measure', true],
      marks: ['mark'],
      missingMark: 'SyntaxError',
      userAgent: 'string',
      env: 'object',
    });
  });
});

// The QuickJS runtimes share the prelude's shim; Bun has its own process.
describe.each(RUNTIMES.filter((r) => r !== 'bun'))('%s: process', (runtime) => {
  let p: Pool;
  beforeAll(() => {
    p = pool(runtime, `export default () => Response.json({ env: process.env, node: process.versions.node ?? null, browser: process.browser })`, {
      maxWorkers: 1,
      env: { API: 'k' },
    });
  });
  afterAll(async () => p.close());

  it("holds the pool's env with NODE_ENV defaulting to production, and no Node", async () => {
    expect((await p.invoke({ path: '/' })).json()).toEqual({ env: { NODE_ENV: 'production', API: 'k' }, node: null, browser: true });
  });
});
