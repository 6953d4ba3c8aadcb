import { afterEach, expect, it } from 'vitest';
import { createRegistry, type Registry } from 'bunbase-functions';
import { join } from 'node:path';
import { FIXTURES, runNode, tempDatabase } from './registry-helpers.js';

let registry: Registry | undefined;
const db = tempDatabase();
afterEach(async () => {
  await registry?.close();
  db.cleanup();
});

it('keeps functions, versions and capability history across processes', async () => {
  // Another process writes, and exits.
  const writer = await runNode(join(FIXTURES, 'populate.mjs'), [db.path]);
  expect(writer.stderr).toBe('');
  expect(writer.code).toBe(0);

  registry = await createRegistry({ database: db.path });
  const records = await registry.list();
  expect(records.map((r) => [r.projectId, r.name, r.runtime, r.version])).toEqual([
    ['acme', 'hello', 'quickjs-ng', 1],
    ['globex', 'shout', 'bun', 2],
  ]);
  const shout = records[1]!;
  expect(shout.capabilities.maxCpu).toBe(5000);
  expect((await registry.capabilityHistory(shout.id)).map((h) => h.capabilities.maxCpu)).toEqual([60_000, 5000]);
  expect((await registry.versions(shout.id)).map((v) => v.version)).toEqual([1, 2]);
  expect((await registry.invoke(shout.id, { method: 'POST', body: 'hi' })).text()).toBe('HI!');
  expect((await registry.invoke(records[0]!.id, {})).text()).toBe('hello from acme');

  // And this process's changes are seen by the next one.
  await registry.rollback(shout.id, 1);
  await registry.close();
  const reader = await runNode(join(FIXTURES, 'read.mjs'), [db.path, shout.id]);
  expect(reader.stderr).toBe('');
  expect(JSON.parse(reader.stdout)).toEqual({ version: 1, answer: 'hi?' });
});
