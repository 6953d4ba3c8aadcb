import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SandboxClock } from '../../../lib/workers/wasm/sandbox-clock.js';

/**
 * Runs `body` (a function of SandboxClock, from the build in dist/) on a
 * thread, stopped after `limitMs`: the scans this guards against run for
 * minutes of synchronous code, which no test timeout can interrupt.
 */
function onThread(body: string, limitMs: number): Promise<unknown> {
  const clockUrl = new URL('../../../dist/workers/wasm/sandbox-clock.js', import.meta.url).href;
  const worker = new Worker(
    `import(${JSON.stringify(clockUrl)}).then(({ SandboxClock }) => require('node:worker_threads').parentPort.postMessage((${body})(SandboxClock)))`,
    { eval: true },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`still running after ${limitMs} ms`));
    }, limitMs);
    worker.once('message', (value) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(value);
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * quickjs-wasm's clock scanned every pending timer to set one (real clock)
 * or to fire one (either clock): 40,000 timers set at once took 8.7 s in a
 * sandbox, and 100,000 fired took minutes. The cases with 200,000 timers get
 * a limit far above what they need and far below what the scans took.
 */
describe('quickjs-wasm sandbox clock', () => {
  it('fires many timers in due order, ties in the order they were set, without the cancelled ones', () => {
    const clock = new SandboxClock(0);
    const fired: number[] = [];
    const handles = [];
    const N = 20_000;
    for (let i = 0; i < N; i++) handles.push(clock.schedule((i * 7919) % 1000, false, () => fired.push(i)));
    // Oldest first, every third one.
    for (let i = 0; i < N; i += 3) clock.cancel(handles[i]!);
    clock.advance(1000);
    const expected = Array.from({ length: N }, (_, i) => i)
      .filter((i) => i % 3 !== 0)
      .sort((a, b) => ((a * 7919) % 1000) - ((b * 7919) % 1000) || a - b);
    expect(fired).toEqual(expected);
    // Fired and cancelled timers are gone: nothing more fires.
    clock.advance(10_000);
    expect(fired.length).toBe(expected.length);
  }, 60_000);

  it('keeps intervals, and timers set or cancelled while firing, in order', () => {
    const clock = new SandboxClock(0);
    const log: string[] = [];
    let ticks = 0;
    const interval = clock.schedule(10, true, () => {
      log.push(`i${clock.now()}`);
      if (++ticks === 3) clock.cancel(interval);
    });
    const late = clock.schedule(25, false, () => log.push('late'));
    clock.schedule(15, false, () => {
      log.push('a15');
      clock.schedule(0, false, () => log.push('a15+0'));
      clock.cancel(late);
    });
    clock.schedule(20, false, () => log.push('b20'));
    clock.advance(100);
    // A re-armed interval counts as set again: it comes after a timer due at the same instant.
    expect(log).toEqual(['i10', 'a15', 'a15+0', 'b20', 'i20', 'i30']);
  });

  it('fires 200,000 fake-clock timers and sets and cancels 200,000 real-clock ones in time proportional to their number', async () => {
    const fired = await onThread(
      `(SandboxClock) => {
        const clock = new SandboxClock(0);
        let fired = 0;
        for (let i = 0; i < 200000; i++) clock.schedule(i % 1000, false, () => fired++);
        clock.advance(1000);
        const real = new SandboxClock(null);
        const handles = [];
        for (let i = 0; i < 200000; i++) handles.push(real.schedule(60000 + (i % 100), false, () => {}));
        for (const h of handles) real.cancel(h);
        real.stop();
        return fired;
      }`,
      60_000,
    );
    expect(fired).toBe(200_000);
  }, 90_000);
});
