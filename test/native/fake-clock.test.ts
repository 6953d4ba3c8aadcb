import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, NativeWorker } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

const START = Date.UTC(2026, 0, 1);

describe('native worker: the fake clock (init fakeClock, advanceTime)', () => {
  it('timers wait for advanceTime; the answer comes before advanced; Date and performance.now follow', async () => {
    w = new NativeWorker();
    const readyMsg = await w.init(
      `export default async () => {
         const t0 = performance.now(), d0 = Date.now();
         await new Promise((r) => setTimeout(r, 5000));
         return new Response([d0, Date.now(), performance.now() - t0, performance.timeOrigin].join(' '));
       }`,
      {},
      { fakeClock: START },
    );
    expect(readyMsg.type).toBe('ready');
    const answer = w.invoke();
    w.send({ id: 0, type: 'advanceTime', payload: { ms: 4999 } });
    const first = await w.waitFor((m) => m.type === 'advanced');
    expect(w.messages.some((m) => m.type === 'response')).toBe(false);
    w.send({ id: 0, type: 'advanceTime', payload: { ms: 1 } });
    await w.waitFor((m) => m.type === 'advanced' && m !== first);
    const types = w.messages.map((m) => m.type).filter((t) => t === 'response' || t === 'advanced');
    expect(types).toEqual(['advanced', 'response', 'advanced']);
    expect(bodyText(await answer)).toBe(`${START} ${START + 5000} 5000 ${START}`);
  });

  it('without fakeClock advanceTime is answered and moves nothing', async () => {
    w = new NativeWorker();
    await w.init(`export default () => new Response(String(Date.now()))`);
    w.send({ id: 0, type: 'advanceTime', payload: { ms: 1e9 } });
    await w.waitFor((m) => m.type === 'advanced');
    expect(Math.abs(Number(bodyText(await w.invoke())) - Date.now())).toBeLessThan(60_000);
  });

  it.each([{ fakeClock: -1 }, { fakeClock: 'now' }])('an init with %o is unusable: exit code 42', async (extra) => {
    w = new NativeWorker();
    w.init(`export default () => new Response('x')`, {}, extra);
    expect((await w.exited).code).toBe(42);
  });
});
