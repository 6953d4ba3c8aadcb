import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { NativeWorker, ready } from './worker.js';

let w: NativeWorker | undefined;
afterEach(async () => {
  const x = w;
  w = undefined;
  await x?.finish();
});

describe('native worker: maxFileDescriptors', () => {
  it('sets RLIMIT_NOFILE to the runtime own descriptors plus the allowance, and keeps no inherited ones', async () => {
    w = await ready(`export default () => new Response('x')`, { maxFileDescriptors: 7 });
    const pid = w.child.pid!;
    const fds = readdirSync(`/proc/${pid}/fd`).map(Number);
    const highest = Math.max(...fds);
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
    const soft = Number(line.split(/\s{2,}/)[1]);
    expect(soft).toBe(highest + 1 + 7);
    // Only the runtime's own: stdio, fd 3 and libuv's few.
    expect(fds.length).toBeLessThanOrEqual(12);
  });
});
