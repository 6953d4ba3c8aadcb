import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from 'bunbase-functions';
import { RUNTIMES } from '../helpers.js';
import { ECHO } from './registry-helpers.js';

describe.each(RUNTIMES)('%s: register validates everything and stores nothing on error', (runtime) => {
  let registry: Registry | undefined;
  afterEach(async () => registry?.close());

  const base = () => ({ name: 'f', projectId: 'acme', runtime, source: { code: ECHO }, capabilities: {} });

  it.each([
    ['a bad capability', { capabilities: { allowEval: 'yes' } }, 'INVALID_CAPABILITIES'],
    ['an unknown capability', { capabilities: { allowEvil: true } }, 'INVALID_CAPABILITIES'],
    ["another project's profile", { capabilities: { projectId: 'globex' } }, 'INVALID_CAPABILITIES'],
    ['a bad option', { options: { maxWorkers: 0 } }, 'INVALID_OPTIONS'],
    ['an option the record owns', { options: { runtime: 'bun' } }, 'INVALID_OPTIONS'],
    ['more workers than the whole budget', { options: { maxWorkers: 9 } }, 'INVALID_OPTIONS'],
    ['a forbidden env name', { env: { LD_PRELOAD: 'x' } }, 'INVALID_OPTIONS'],
    ['a name unfit for a URL', { name: 'a/b' }, 'INVALID_OPTIONS'],
    ['an unknown runtime', { runtime: 'deno' }, 'INVALID_OPTIONS'],
    ['an empty source', { source: { code: '' } }, 'INVALID_OPTIONS'],
    ['an unreadable source path', { source: { path: '/nonexistent/handler.js' } }, 'BUNDLE_LOAD_ERROR'],
    ['a bundle with a syntax error', { source: { code: 'export default {{' } }, 'BUNDLE_LOAD_ERROR'],
    ['a bundle that throws while loading', { source: { code: 'throw new Error("boom"); export default () => 1' } }, 'BUNDLE_LOAD_ERROR'],
  ])('refuses %s', async (_what, change, code) => {
    registry = await createRegistry({ database: ':memory:', maxWorkers: 8 });
    await expect(registry.register({ ...base(), ...change } as never)).rejects.toMatchObject({ code });
    expect(await registry.list()).toEqual([]);
    expect(registry.stats().reservedWorkers).toBe(0);
  });

  it('keeps names unique within a project, not across projects, and ids unique', async () => {
    registry = await createRegistry({ database: ':memory:' });
    await registry.register({ ...base(), id: 'one' });
    await expect(registry.register({ ...base(), id: 'two' })).rejects.toMatchObject({ code: 'FUNCTION_EXISTS' });
    await expect(registry.register({ ...base(), id: 'one', name: 'other' })).rejects.toMatchObject({ code: 'FUNCTION_EXISTS' });
    await registry.register({ ...base(), id: 'three', projectId: 'globex' });
    expect((await registry.list()).map((r) => r.id)).toEqual(['one', 'three']);
  });
});

describe('createRegistry options', () => {
  it.each([
    [{}, 'neither database nor store'],
    [{ database: ':memory:', maxWorkers: 0 }, 'a zero budget'],
    [{ database: ':memory:', maxWorker: 3 }, 'a misspelled option'],
    [{ database: ':memory:', store: {} }, 'both database and a bad store'],
  ])('refuses %j (%s) with INVALID_OPTIONS', async (options) => {
    await expect(createRegistry(options as never)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });
});
