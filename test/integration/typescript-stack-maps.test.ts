import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, profiles, type FunctionsError, type LogEvent, type Pool } from 'bunbase-functions';
import { RUNTIMES } from '../helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/bundle/${name}`, import.meta.url));

describe.each(RUNTIMES)('%s: stacks of a bundled entry point at the TypeScript source', (runtime) => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('a thrown error names the .ts file, line and column, through a relative module', async () => {
    p = createPool({ runtime, capabilities: profiles.strict('ts'), source: { entry: fixture('throws.ts') } });
    const error = (await p.invoke({ path: '/nowhere' }).catch((e: unknown) => e)) as FunctionsError;
    expect(error.code).toBe('HANDLER_ERROR');
    expect(error.workerName).toBe('RangeError');
    // lib/fail.ts line 4 is the throw; throws.ts line 10 the call.
    expect(error.workerStack).toMatch(/lib\/fail\.ts:4:\d+/);
    expect(error.workerStack).toMatch(/throws\.ts:10:\d+/);
    expect(error.workerStack).not.toContain('throws.bundle.js');
  });

  it('stacks written to the log are mapped too, in the response and in log events', async () => {
    p = createPool({ runtime, capabilities: profiles.strict('ts'), source: { entry: fixture('throws.ts') } });
    const events: LogEvent[] = [];
    p.on('log', (event) => events.push(event));
    const response = await p.invoke({ path: '/log' });
    expect(response.logs.map((l) => l.message).join('\n')).toMatch(/throws\.ts:6:\d+/);
    expect(events.map((e) => e.message).join('\n')).toMatch(/throws\.ts:6:\d+/);
  });

  it('a throw while the bundle loads is a BUNDLE_LOAD_ERROR whose stack names the .ts line', async () => {
    p = createPool({ runtime, capabilities: profiles.strict('ts'), source: { entry: fixture('top-level-throw.ts') } });
    const error = (await p.ready().catch((e: unknown) => e)) as FunctionsError;
    expect(error.code).toBe('BUNDLE_LOAD_ERROR');
    expect(error.message).toContain('not configured');
    expect(error.workerStack).toMatch(/top-level-throw\.ts:3:\d+/);
  });
});
