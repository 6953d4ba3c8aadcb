import { afterEach, describe, expect, it } from 'vitest';
import { createPool, profiles, type Pool } from 'bunbase-functions';
import { pool } from '../helpers.js';

const HELLO = `export default { fetch() { return new Response('ok') } }`;

describe('quickjs-wasm reports that it has no OS layer', () => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('stats().sandbox and workerstart say there is no OS layer', async () => {
    p = pool('quickjs-wasm', HELLO);
    const starts: Record<string, unknown>[] = [];
    p.on('workerstart', (e) => starts.push(e.info.sandbox));
    expect((await p.invoke({ path: '/' })).text()).toBe('ok');
    expect(p.stats().sandbox).toEqual({ os: 'none', isolation: 'webassembly' });
    expect(starts).toEqual([{ os: 'none', isolation: 'webassembly' }]);
    expect(p.stats().pids).toEqual([]);
  });

  it('requireOsSandbox refuses the runtime with SANDBOX_UNAVAILABLE before anything starts', () => {
    expect(() =>
      createPool({ runtime: 'quickjs-wasm', capabilities: profiles.strict('p'), source: { code: HELLO }, requireOsSandbox: true }),
    ).toThrow(expect.objectContaining({ code: 'SANDBOX_UNAVAILABLE' }));
  });
});
