import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from 'bunbase-functions';
import { RUNTIMES } from '../helpers.js';

const SLOW = `export default async () => { await new Promise((r) => setTimeout(r, 300)); return new Response('done') }`;

describe.each(RUNTIMES)('%s: per-project concurrency quota', (runtime) => {
  let registry: Registry | undefined;
  afterEach(async () => registry?.close());

  it('refuses a project over its quota with QUOTA_EXCEEDED while other projects run', async () => {
    registry = await createRegistry({ database: ':memory:', maxWorkers: 4, maxProjectConcurrency: 2, verifyBundles: false });
    for (const [id, projectId] of [['a1', 'acme'], ['a2', 'acme'], ['a3', 'acme'], ['g1', 'globex']] as const) {
      await registry.register({ id, name: id, projectId, runtime, source: { code: SLOW }, capabilities: {}, options: { maxWorkers: 1 } });
    }
    const running = [registry.invoke('a1', {}), registry.invoke('a2', {})];
    const refused = registry.invoke('a3', {});
    await expect(refused).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
    await expect(refused).rejects.toThrow(/acme/);
    expect(registry.stats().projects).toEqual({ acme: 2 });
    expect((await registry.invoke('g1', {})).text()).toBe('done');
    for (const r of await Promise.all(running)) expect(r.text()).toBe('done');
    // Over-quota calls never took budget or opened a pool.
    expect(registry.stats().functions['a3']).toBeUndefined();
    expect((await registry.invoke('a3', {})).text()).toBe('done');
    expect(registry.stats().projects).toEqual({});
  });
});
