import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from 'bunbase-functions';
import { RUNTIMES } from '../helpers.js';

// Reports whether eval works, after an optional pause (to keep a call in flight).
const EVAL_PROBE = `export default async (req) => {
  const wait = Number(new URL(req.url).searchParams.get('wait') ?? 0);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  try { return new Response('eval ' + (0, eval)('1 + 1')); } catch (e) { return new Response('no eval'); }
}`;

describe.each(RUNTIMES)('%s: updateCapabilities', (runtime) => {
  let registry: Registry | undefined;
  afterEach(async () => registry?.close());

  it('takes effect from the next call while a call in flight finishes in the old pool', async () => {
    registry = await createRegistry({ database: ':memory:' });
    const closes: string[] = [];
    registry.on('poolclose', (e) => closes.push(e.reason));
    const { id } = await registry.register({ name: 'probe', projectId: 'acme', runtime, source: { code: EVAL_PROBE }, capabilities: {} });
    expect((await registry.invoke(id, {})).text()).toBe('no eval');

    const inFlight = registry.invoke(id, { path: '/?wait=400' });
    await new Promise((r) => setTimeout(r, 100));
    const record = await registry.updateCapabilities(id, { allowEval: true });
    expect(record.capabilities.allowEval).toBe(true);

    expect((await registry.invoke(id, {})).text()).toBe('eval 2');
    // The old pool drains: the call started before the change answers, under the old profile.
    expect((await inFlight).text()).toBe('no eval');
    expect(closes).toEqual(['replaced']);

    const history = await registry.capabilityHistory(id);
    expect(history.map((h) => h.capabilities.allowEval)).toEqual([false, true]);
    expect(history[1]!.setAt.getTime()).toBeGreaterThanOrEqual(history[0]!.setAt.getTime());
  });

  it('validates first and changes nothing on error', async () => {
    registry = await createRegistry({ database: ':memory:' });
    const { id } = await registry.register({ name: 'probe', projectId: 'acme', runtime, source: { code: EVAL_PROBE }, capabilities: {} });
    await expect(registry.updateCapabilities(id, { maxMemory: -1 })).rejects.toMatchObject({ code: 'INVALID_CAPABILITIES' });
    await expect(registry.updateCapabilities(id, { projectId: 'globex' })).rejects.toMatchObject({ code: 'INVALID_CAPABILITIES' });
    expect((await registry.capabilityHistory(id)).length).toBe(1);
    expect((await registry.invoke(id, {})).text()).toBe('no eval');
  });

  it('lets a call in flight finish in the old pool even past that pool\'s shutdownTimeoutMs', async () => {
    registry = await createRegistry({ database: ':memory:' });
    const { id } = await registry.register({
      name: 'probe',
      projectId: 'acme',
      runtime,
      source: { code: EVAL_PROBE },
      capabilities: {},
      // pool.close() alone would fail what still runs after 20 ms with POOL_CLOSED.
      options: { shutdownTimeoutMs: 20 },
    });
    const inFlight = registry.invoke(id, { path: '/?wait=600' });
    await new Promise((r) => setTimeout(r, 150));
    await registry.updateCapabilities(id, { allowEval: true });
    expect((await registry.invoke(id, {})).text()).toBe('eval 2');
    expect((await inFlight).text()).toBe('no eval');
  });

  it('runs changes to one function one after another, each checked against the state it replaces', async () => {
    registry = await createRegistry({ database: ':memory:' });
    const { id } = await registry.register({
      name: 'probe',
      projectId: 'acme',
      runtime,
      source: { code: EVAL_PROBE },
      capabilities: { allowEval: true },
    });
    // Version 2 needs eval while it loads; the capability change takes eval away.
    // Started together, the change must be checked against version 2 and refused,
    // not against version 1 (which loads without eval).
    const evalAtLoad = `const two = (0, eval)('1 + 1'); export default () => new Response('loaded with ' + two)`;
    const [deployed, changed] = await Promise.allSettled([
      registry.deploy(id, { source: { code: evalAtLoad } }),
      registry.updateCapabilities(id, { allowEval: false }),
    ]);
    expect(deployed).toMatchObject({ status: 'fulfilled', value: { version: 2 } });
    expect(changed).toMatchObject({ status: 'rejected', reason: { code: 'BUNDLE_LOAD_ERROR' } });
    expect((await registry.get(id))?.capabilities.allowEval).toBe(true);
    expect((await registry.capabilityHistory(id)).length).toBe(1);
    expect((await registry.invoke(id, {})).text()).toBe('loaded with 2');
  });
});
