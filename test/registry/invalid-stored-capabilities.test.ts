import { afterEach, expect, it } from 'vitest';
import { createRegistry, type Registry } from 'bunbase-functions';
import Database from 'better-sqlite3';
import { ECHO, tempDatabase } from './registry-helpers.js';

let registry: Registry | undefined;
const db = tempDatabase();
afterEach(async () => {
  await registry?.close();
  db.cleanup();
});

it('refuses to start a function whose stored capabilities no longer validate, and never falls back to defaults', async () => {
  registry = await createRegistry({ database: db.path });
  const good = await registry.register({ name: 'good', projectId: 'acme', runtime: 'quickjs-ng', source: { code: ECHO }, capabilities: {} });
  const typo = await registry.register({ name: 'typo', projectId: 'acme', runtime: 'quickjs-ng', source: { code: ECHO }, capabilities: {} });
  const garbage = await registry.register({ name: 'garbage', projectId: 'acme', runtime: 'quickjs-ng', source: { code: ECHO }, capabilities: {} });
  await registry.close();

  // Someone edits the rows behind the registry's back.
  const raw = new Database(db.path);
  raw.prepare('UPDATE functions SET capabilities_json = ? WHERE id = ?').run(JSON.stringify({ projectId: 'acme', allowEvil: true }), typo.id);
  raw.prepare('UPDATE functions SET capabilities_json = ? WHERE id = ?').run('{not json', garbage.id);
  raw.close();

  registry = await createRegistry({ database: db.path });
  const starts: string[] = [];
  registry.on('poolopen', (e) => starts.push(e.functionId));
  for (const id of [typo.id, garbage.id]) {
    const failure = registry.invoke(id, {});
    await expect(failure).rejects.toMatchObject({ code: 'INVALID_CAPABILITIES' });
    await expect(failure).rejects.toThrow(/refuses to start/);
  }
  expect(starts).toEqual([]);
  expect(registry.stats().reservedWorkers).toBe(0);
  // The others are unaffected, and an update repairs the broken one.
  expect((await registry.invoke(good.id, {})).status).toBe(200);
  await registry.updateCapabilities(typo.id, { maxCpu: 1000 });
  expect((await registry.invoke(typo.id, {})).status).toBe(200);
});
