import { afterEach, expect, it } from 'vitest';
import { createRegistry, type Registry } from 'bunbase-functions';
import { tempDatabase } from './registry-helpers.js';

let registry: Registry | undefined;
const db = tempDatabase();
afterEach(async () => {
  await registry?.close();
  db.cleanup();
});

it('drains in-flight calls, then deletes the function with its versions and history', async () => {
  registry = await createRegistry({ database: db.path });
  const slow = `export default async () => { await new Promise((r) => setTimeout(r, 300)); return new Response('finished') }`;
  // shutdownTimeoutMs 20: pool.close() alone would fail the 300 ms call; remove() waits for it.
  const { id } = await registry.register({
    name: 'f',
    projectId: 'acme',
    runtime: 'quickjs-ng',
    source: { code: slow },
    capabilities: {},
    options: { shutdownTimeoutMs: 20 },
  });
  await registry.deploy(id, { source: { code: slow } });
  const inFlight = registry.invoke(id, {});
  await new Promise((r) => setTimeout(r, 50));
  const removed = registry.remove(id);
  // While it drains, it takes no new calls.
  await expect(registry.invoke(id, {})).rejects.toMatchObject({ code: 'FUNCTION_NOT_FOUND' });
  await removed;
  expect((await inFlight).text()).toBe('finished');
  expect(await registry.get(id)).toBeUndefined();
  expect(await registry.find('acme', 'f')).toBeUndefined();
  await expect(registry.versions(id)).rejects.toMatchObject({ code: 'FUNCTION_NOT_FOUND' });
  await registry.close();

  // Gone for the next process too, and the name is free again.
  registry = await createRegistry({ database: db.path });
  expect(await registry.list()).toEqual([]);
  await registry.register({ name: 'f', projectId: 'acme', runtime: 'quickjs-ng', source: { code: slow }, capabilities: {} });
});

it('close() lets calls in flight finish, then refuses new ones with POOL_CLOSED', async () => {
  registry = await createRegistry({ database: ':memory:' });
  const slow = `export default async () => { await new Promise((r) => setTimeout(r, 400)); return new Response('finished') }`;
  const { id } = await registry.register({
    name: 'f',
    projectId: 'acme',
    runtime: 'quickjs-ng',
    source: { code: slow },
    capabilities: {},
    options: { shutdownTimeoutMs: 20 },
  });
  const inFlight = registry.invoke(id, {});
  await new Promise((r) => setTimeout(r, 100));
  const closed = registry.close();
  await expect(registry.invoke(id, {})).rejects.toMatchObject({ code: 'POOL_CLOSED' });
  await closed;
  expect((await inFlight).text()).toBe('finished');
  expect(registry.stats().openPools).toBe(0);
});
