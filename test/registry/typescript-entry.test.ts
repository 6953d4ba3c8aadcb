import { afterAll, afterEach, expect, it } from 'vitest';
import { createRegistry, type FunctionsError, type Registry } from 'bunbase-functions';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDatabase } from './registry-helpers.js';

let registry: Registry | undefined;
const db = tempDatabase();
const dir = mkdtempSync(join(tmpdir(), 'registry-entry-'));
afterEach(async () => {
  await registry?.close();
});
afterAll(() => {
  db.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const handler = (word: string) => `import { shout } from './shout.ts';
export default (req: Request): Response => {
  if (new URL(req.url).pathname === '/fail') throw new RangeError('failing on purpose');
  return new Response(shout('${word}'));
};
`;

it('bundles a TypeScript entry once per version, stores the bundle with its source map, and runs the stored bytes', async () => {
  const entry = join(dir, 'handler.ts');
  writeFileSync(join(dir, 'shout.ts'), `export const shout = (s: string): string => s.toUpperCase() + '!';\n`);
  writeFileSync(entry, handler('first'));
  registry = await createRegistry({ database: db.path });
  const { id } = await registry.register({ name: 'ts', projectId: 'acme', runtime: 'quickjs-ng', source: { entry }, capabilities: {} });
  // The file changes; the deployed version does not.
  writeFileSync(entry, handler('second'));
  expect((await registry.invoke(id, {})).text()).toBe('FIRST!');
  await registry.close();

  // In a new registry (a new pool from the stored row), stacks still point at the TypeScript.
  registry = await createRegistry({ database: db.path });
  const error = (await registry.invoke(id, { path: '/fail' }).catch((e: unknown) => e)) as FunctionsError;
  expect(error.code).toBe('HANDLER_ERROR');
  expect(error.workerStack).toMatch(/handler\.ts:3:\d+/);

  expect((await registry.deploy(id, { source: { entry } })).version).toBe(2);
  expect((await registry.invoke(id, {})).text()).toBe('SECOND!');
  await expect(registry.deploy(id, { source: { entry: join(dir, 'missing.ts') } })).rejects.toMatchObject({ code: 'BUNDLE_LOAD_ERROR' });
});

it('refuses an entry whose imports leave its project, and stores nothing of it', async () => {
  const project = join(dir, 'tenant');
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'package.json'), '{"private":true}');
  writeFileSync(join(dir, 'secrets.json'), '{"token":"registry-secret-81d"}');
  const entry = join(project, 'handler.ts');
  writeFileSync(entry, `import s from '../secrets.json';\nexport default () => Response.json(s);\n`);
  registry = await createRegistry({ database: db.path });
  const error = (await registry
    .register({ name: 'leaky', projectId: 'leaky-tenant', runtime: 'quickjs-ng', source: { entry, cacheDir: false }, capabilities: {} })
    .catch((e: unknown) => e)) as FunctionsError;
  expect(error.code).toBe('BUNDLE_LOAD_ERROR');
  expect(error.message).toContain('../secrets.json');
  expect(error.message).not.toContain('registry-secret-81d');
  expect(await registry.list({ projectId: 'leaky-tenant' })).toEqual([]);
});
