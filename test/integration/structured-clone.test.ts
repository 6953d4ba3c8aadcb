import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'bunbase-functions';
import { RUNTIMES, pool } from '../helpers.js';

// structuredClone as HTML specifies it, on the cases libraries hit.
const HANDLER = `
const attempt = (f) => { try { return f(); } catch (e) { return e.name; } };
export default async () => {
  const error = structuredClone(new RangeError('out', { cause: 'why' }));
  const buffer = new ArrayBuffer(4);
  new Uint8Array(buffer)[1] = 9;
  const moved = structuredClone({ view: new Uint8Array(buffer, 1, 2) }, { transfer: [buffer] });
  const blob = structuredClone(new Blob(['hi'], { type: 'image/png' }));
  const file = structuredClone(new File(['x'], 'a.txt'));
  class Point { constructor() { this.x = 1; } get y() { return 2; } }
  const cycle = { list: [] };
  cycle.list.push(cycle);
  const copy = structuredClone(cycle);
  return Response.json({
    error: [error instanceof RangeError, error.name, error.message],
    custom: structuredClone(Object.assign(new Error('m'), { name: 'MyError' })).name,
    symbol: attempt(() => structuredClone(Symbol('s'))),
    symbolInside: attempt(() => structuredClone({ s: Symbol('s') })),
    fn: attempt(() => structuredClone({ f() {} })),
    getter: structuredClone({ get v() { return 42; } }),
    instance: structuredClone(new Point()),
    detached: buffer.byteLength,
    moved: [moved.view.byteOffset, moved.view.length, moved.view[0]],
    transferAgain: attempt(() => structuredClone(buffer, { transfer: [buffer] })),
    notTransferable: attempt(() => structuredClone(1, { transfer: [{}] })),
    blob: [blob instanceof Blob, blob.type, await blob.text()],
    file: [file instanceof File, file.name],
    cycle: copy.list[0] === copy,
    boxed: typeof structuredClone(Object(1n)),
    sparse: structuredClone([1, , 3]).hasOwnProperty(1),
  });
};`;

describe.each(RUNTIMES)('%s: structuredClone', (runtime) => {
  let p: Pool;
  beforeAll(() => {
    p = pool(runtime, HANDLER, { maxWorkers: 1 });
  });
  afterAll(async () => p.close());

  it('clones errors and blobs, reads getters, detaches transferred buffers and refuses symbols', async () => {
    expect((await p.invoke({ path: '/' })).json()).toEqual({
      error: [true, 'RangeError', 'out'],
      custom: 'Error',
      symbol: 'DataCloneError',
      symbolInside: 'DataCloneError',
      fn: 'DataCloneError',
      getter: { v: 42 },
      instance: { x: 1 },
      detached: 0,
      moved: [1, 2, 9],
      transferAgain: 'DataCloneError',
      notTransferable: 'DataCloneError',
      blob: [true, 'image/png', 'hi'],
      file: [true, 'a.txt'],
      cycle: true,
      boxed: 'object',
      sparse: false,
    });
  });
});
