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
});
