import { afterEach, beforeEach, expect, it } from 'vitest';
import { createRegistry, type FunctionRecord, type Registry } from 'bunbase-functions';
import { join } from 'node:path';
import { FIXTURES, runNode, tempDatabase } from './registry-helpers.js';

// Two registries on one file stand for two host processes sharing it.
let registries: Registry[] = [];
let db: ReturnType<typeof tempDatabase>;
beforeEach(() => {
  db = tempDatabase();
});
afterEach(async () => {
  await Promise.all(registries.map((r) => r.close()));
  registries = [];
  db.cleanup();
});

const probe = (version: number): string =>
  `export default () => { let e; try { e = (0, eval)('1 + 1') } catch { e = 'no' } return new Response('v${version} eval ' + e) }`;

it("picks up another registry's deploy, capability change and remove on refresh(); in-flight calls finish in the old pool", async () => {
  const a = await createRegistry({ database: db.path, watchMs: 0 });
  const b = await createRegistry({ database: db.path, watchMs: 0 });
  registries = [a, b];
  const seen: [string, number | undefined][] = [];
  b.on('external', (id, record) => seen.push([id, record?.version]));

  const { id } = await a.register({ name: 'f', projectId: 'acme', runtime: 'quickjs-ng', source: { code: probe(1) }, capabilities: {} });
  expect((await b.invoke(id, {})).text()).toBe('v1 eval no');

  await a.deploy(id, { source: { code: probe(2) } });
  // b keeps its loaded state until it looks.
  expect((await b.invoke(id, {})).text()).toBe('v1 eval no');
  await b.refresh();
  expect((await b.invoke(id, {})).text()).toBe('v2 eval no');
  expect((await b.get(id))?.version).toBe(2);
  expect(seen).toEqual([[id, 2]]);

  // Nothing changed since: nothing happens.
  await b.refresh();
  expect(seen.length).toBe(1);

  const slow = `export default async () => { await new Promise((r) => setTimeout(r, 400)); return new Response('slow done') }`;
  await a.deploy(id, { source: { code: slow } });
  await b.refresh();
  const inFlight = b.invoke(id, {});
  await new Promise((r) => setTimeout(r, 100));
  await a.updateCapabilities(id, { allowEval: true });
  await a.rollback(id, 2);
  await b.refresh();
  expect((await b.invoke(id, {})).text()).toBe('v2 eval 2');
  expect((await inFlight).text()).toBe('slow done');
  expect(b.stats().pools.replaced).toBe(3);

  await a.remove(id);
  await b.refresh();
  await expect(b.invoke(id, {})).rejects.toMatchObject({ code: 'FUNCTION_NOT_FOUND' });
  expect(await b.find('acme', 'f')).toBeUndefined();
  expect(seen.at(-1)).toEqual([id, undefined]);
  expect(b.stats().openPools).toBe(0);
});

it('sees a deploy made by another process within watchMs, by itself', async () => {
  const b = await createRegistry({ database: db.path, watchMs: 50 });
  registries = [b];
  const { id } = await b.register({ name: 'f', projectId: 'acme', runtime: 'quickjs-ng', source: { code: probe(1) }, capabilities: {} });
  expect((await b.invoke(id, {})).text()).toBe('v1 eval no');

  const external = new Promise<FunctionRecord | undefined>((resolve) => b.once('external', (_id, record) => resolve(record)));
  const writer = await runNode(join(FIXTURES, 'deploy.mjs'), [db.path, id, probe(2)]);
  expect(writer.stderr).toBe('');
  expect(JSON.parse(writer.stdout)).toEqual({ version: 2 });
  expect((await external)?.version).toBe(2);
  expect((await b.invoke(id, {})).text()).toBe('v2 eval no');
});
