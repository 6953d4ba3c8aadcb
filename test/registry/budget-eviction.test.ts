import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from 'bunbase-functions';
import { RUNTIMES, alive } from '../helpers.js';

describe.each(RUNTIMES)('%s: global worker budget', (runtime) => {
  let registry: Registry | undefined;
  afterEach(async () => registry?.close());

  it('never holds more than maxWorkers and evicts the least recently used idle pool', async () => {
    registry = await createRegistry({ database: ':memory:', maxWorkers: 2, verifyBundles: false });
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      const code = `export default () => new Response('${name}')`;
      ids.push((await registry.register({ id: name, name, projectId: 'acme', runtime, source: { code }, capabilities: {} })).id);
    }
    const evicted: string[] = [];
    registry.on('poolclose', (e) => evicted.push(`${e.functionId}:${e.reason}`));

    expect((await registry.invoke('a', {})).text()).toBe('a');
    expect((await registry.invoke('b', {})).text()).toBe('b');
    const pidsOfA = registry.stats().functions['a']!.pool!.pids;
    // a was used last: b is the least recently used when c needs room.
    await registry.invoke('a', {});
    expect((await registry.invoke('c', {})).text()).toBe('c');
    expect(evicted).toEqual(['b:evicted']);
    expect(registry.stats().reservedWorkers).toBeLessThanOrEqual(2);
    expect(registry.stats().openPools).toBe(2);

    // b comes back in a new pool; now a is the least recently used.
    expect((await registry.invoke('b', {})).text()).toBe('b');
    expect(evicted).toEqual(['b:evicted', 'a:evicted']);
    for (const pid of pidsOfA) expect(alive(pid)).toBe(false);
    expect(registry.stats().pools).toMatchObject({ opened: 4, evicted: 2 });
    expect(registry.stats().functions['b']!.poolsOpened).toBe(2);
  });

  it('makes a new pool wait for a busy one instead of exceeding the budget', async () => {
    registry = await createRegistry({ database: ':memory:', maxWorkers: 1, maxProjectConcurrency: 2, verifyBundles: false });
    const slow = `export default async () => { await new Promise((r) => setTimeout(r, 300)); return new Response('slow') }`;
    await registry.register({ id: 'slow', name: 'slow', projectId: 'acme', runtime, source: { code: slow }, capabilities: {} });
    await registry.register({ id: 'fast', name: 'fast', projectId: 'acme', runtime, source: { code: `export default () => new Response('fast')` }, capabilities: {} });
    await registry.invoke('slow', {});
    const first = registry.invoke('slow', {});
    await new Promise((r) => setTimeout(r, 50));
    const second = registry.invoke('fast', {});
    expect((await first).text()).toBe('slow');
    expect((await second).text()).toBe('fast');
    expect(registry.stats().pools.evicted).toBe(1);
  });

  it('gives up with TIMEOUT when no room appears within the deadline', async () => {
    registry = await createRegistry({ database: ':memory:', maxWorkers: 1, maxProjectConcurrency: 2, verifyBundles: false });
    const slow = `export default async () => { await new Promise((r) => setTimeout(r, 1500)); return new Response('slow') }`;
    await registry.register({ id: 'slow', name: 'slow', projectId: 'acme', runtime, source: { code: slow }, capabilities: {} });
    await registry.register({
      id: 'fast',
      name: 'fast',
      projectId: 'acme',
      runtime,
      source: { code: `export default () => new Response('fast')` },
      capabilities: {},
      options: { timeoutMs: 200 },
    });
    const busy = registry.invoke('slow', {});
    await new Promise((r) => setTimeout(r, 100));
    await expect(registry.invoke('fast', {})).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect((await busy).text()).toBe('slow');
  });
});
