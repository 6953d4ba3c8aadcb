import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from 'bunbase-functions';
import { RUNTIMES } from '../helpers.js';
import { versioned } from './registry-helpers.js';

describe.each(RUNTIMES)('%s: deploy and rollback', (runtime) => {
  let registry: Registry | undefined;
  afterEach(async () => registry?.close());

  it('runs each new version from the next call, goes back to a kept one, and keeps at most maxVersions', async () => {
    registry = await createRegistry({ database: ':memory:', maxVersions: 3 });
    const { id } = await registry.register({ name: 'f', projectId: 'acme', runtime, source: { code: versioned(1) }, capabilities: {} });
    expect((await registry.invoke(id, {})).text()).toBe('version 1');

    for (let n = 2; n <= 5; n++) {
      const record = await registry.deploy(id, { source: { code: versioned(n), filename: `v${n}.js` } });
      expect(record.version).toBe(n);
      expect((await registry.invoke(id, {})).text()).toBe(`version ${n}`);
    }
    expect((await registry.versions(id)).map((v) => [v.version, v.active])).toEqual([
      [3, false],
      [4, false],
      [5, true],
    ]);

    expect((await registry.rollback(id, 3)).version).toBe(3);
    expect((await registry.invoke(id, {})).text()).toBe('version 3');
    expect((await registry.get(id))?.version).toBe(3);
    await expect(registry.rollback(id, 1)).rejects.toMatchObject({ code: 'FUNCTION_NOT_FOUND' });
    await expect(registry.rollback(id, 0)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });

    // The next deploy follows the highest version, and never prunes the active one.
    expect((await registry.deploy(id, { source: { code: versioned(6) } })).version).toBe(6);
    expect((await registry.versions(id)).map((v) => v.version)).toEqual([4, 5, 6]);
    expect(registry.stats().functions[id]?.poolsOpened).toBe(6);
  });

  it('refuses a bad bundle and keeps running the current version', async () => {
    registry = await createRegistry({ database: ':memory:' });
    const { id } = await registry.register({ name: 'f', projectId: 'acme', runtime, source: { code: versioned(1) }, capabilities: {} });
    await expect(registry.deploy(id, { source: { code: 'export default (' } })).rejects.toMatchObject({ code: 'BUNDLE_LOAD_ERROR' });
    await expect(registry.deploy(id, { source: { nope: 1 } as never })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    // Capabilities change through updateCapabilities, never as a silent extra of deploy.
    await expect(registry.deploy(id, { source: { code: versioned(2) }, capabilities: { allowEval: true } } as never)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    await expect(registry.deploy(id, undefined as never)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    expect((await registry.get(id))?.version).toBe(1);
    expect((await registry.versions(id)).length).toBe(1);
    expect((await registry.invoke(id, {})).text()).toBe('version 1');
  });
});
