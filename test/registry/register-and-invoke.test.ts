import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from 'bunbase-functions';
import { RUNTIMES } from '../helpers.js';
import { ECHO } from './registry-helpers.js';

describe.each(RUNTIMES)('%s: register, then invoke and fetch', (runtime) => {
  let registry: Registry | undefined;
  afterEach(async () => registry?.close());

  it('stores the record and runs the function with its env, opening its pool on first use', async () => {
    registry = await createRegistry({ database: ':memory:', maxWorkers: 4 });
    const record = await registry.register({
      id: 'echo-1',
      name: 'echo',
      projectId: 'acme',
      runtime,
      source: { code: ECHO },
      capabilities: {},
      env: { GREETING: 'hello' },
    });
    expect(record).toMatchObject({ id: 'echo-1', name: 'echo', projectId: 'acme', runtime, version: 1 });
    expect(record.capabilities.projectId).toBe('acme');
    expect(record.createdAt).toBeInstanceOf(Date);
    expect(registry.stats().openPools).toBe(0);

    const response = await registry.invoke('echo-1', { method: 'POST', path: '/orders?id=7', body: 'payload' });
    expect(response.json()).toEqual({ path: '/orders', query: '?id=7', method: 'POST', body: 'payload', greeting: 'hello' });
    expect(registry.stats().openPools).toBe(1);

    const fetched = await registry.fetch('echo-1', new Request('http://fn.test/x', { method: 'PUT', body: 'b' }));
    expect(fetched).toBeInstanceOf(Response);
    expect(await fetched.json()).toMatchObject({ path: '/x', method: 'PUT', body: 'b' });

    expect(await registry.get('echo-1')).toEqual(record);
    expect(await registry.find('acme', 'echo')).toEqual(record);
    expect(await registry.get('nope')).toBeUndefined();
    const stats = registry.stats().functions['echo-1']!;
    expect(stats.invocations).toBe(2);
    expect(stats.poolsOpened).toBe(1);
    expect(stats.pool?.runtime).toBe(runtime);
  });

  it('lists by project and gives generated ids', async () => {
    registry = await createRegistry({ database: ':memory:', verifyBundles: false });
    const a = await registry.register({ name: 'a', projectId: 'p1', runtime, source: { code: ECHO }, capabilities: {} });
    const b = await registry.register({ name: 'b', projectId: 'p1', runtime, source: { code: ECHO }, capabilities: {} });
    const c = await registry.register({ name: 'a', projectId: 'p2', runtime, source: { code: ECHO }, capabilities: {} });
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await registry.list()).map((r) => r.id)).toEqual([a.id, b.id, c.id]);
    expect((await registry.list({ projectId: 'p2' })).map((r) => r.id)).toEqual([c.id]);
  });

  it('refuses unknown ids with FUNCTION_NOT_FOUND', async () => {
    registry = await createRegistry({ database: ':memory:' });
    await expect(registry.invoke('missing', {})).rejects.toMatchObject({ code: 'FUNCTION_NOT_FOUND' });
    await expect(registry.deploy('missing', { source: { code: ECHO } })).rejects.toMatchObject({ code: 'FUNCTION_NOT_FOUND' });
    await expect(registry.remove('missing')).rejects.toMatchObject({ code: 'FUNCTION_NOT_FOUND' });
  });
});
