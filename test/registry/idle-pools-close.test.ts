import { afterEach, expect, it } from 'vitest';
import { createRegistry, type Registry } from 'bunbase-functions';
import { alive, waitFor } from '../helpers.js';

let registry: Registry | undefined;
afterEach(async () => registry?.close());

it('closes a pool unused for idlePoolMs and reopens it on the next call', async () => {
  registry = await createRegistry({ database: ':memory:', idlePoolMs: 200 });
  const { id } = await registry.register({ name: 'f', projectId: 'acme', runtime: 'quickjs-ng', source: { code: `export default () => new Response('ok')` }, capabilities: {} });
  const closes: string[] = [];
  registry.on('poolclose', (e) => closes.push(e.reason));
  await registry.invoke(id, {});
  const pids = registry.stats().functions[id]!.pool!.pids;
  await waitFor(() => closes.length > 0, 10_000);
  expect(closes).toEqual(['idle']);
  await waitFor(() => registry!.stats().reservedWorkers === 0, 10_000);
  for (const pid of pids) expect(alive(pid)).toBe(false);
  expect((await registry.invoke(id, {})).text()).toBe('ok');
  expect(registry.stats().functions[id]!.poolsOpened).toBe(2);
});
