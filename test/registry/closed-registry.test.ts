import { describe, expect, it } from 'vitest';
import { createRegistry } from 'bunbase-functions';
import { versioned } from './registry-helpers.js';

describe('a closed registry', () => {
  it('refuses every call with POOL_CLOSED, reads included (they reached the closed database: a TypeError without a code)', async () => {
    const registry = await createRegistry({ database: ':memory:' });
    const fn = await registry.register({ name: 'f', projectId: 'p', runtime: 'quickjs-wasm', source: { code: versioned(1) }, capabilities: {} });
    await registry.close();
    const calls: [string, () => Promise<unknown>][] = [
      ['get', () => registry.get(fn.id)],
      ['find', () => registry.find('p', 'f')],
      ['list', () => registry.list()],
      ['versions', () => registry.versions(fn.id)],
      ['capabilityHistory', () => registry.capabilityHistory(fn.id)],
      ['invoke', () => registry.invoke(fn.id, { path: '/' })],
      ['deploy', () => registry.deploy(fn.id, { source: { code: versioned(2) } })],
      ['remove', () => registry.remove(fn.id)],
    ];
    for (const [name, call] of calls) {
      await expect(call(), name).rejects.toMatchObject({ code: 'POOL_CLOSED', message: 'The registry is closed' });
    }
  });
});
