import { describe, expect, it } from 'vitest';
import { validateCapabilities } from '../../lib/capabilities/index.js';
import { validateOptions } from '../../lib/options.js';

const base = { runtime: 'bun', capabilities: { projectId: 'p' }, source: { code: 'export default () => 1' } };

function optionsMessage(patch: Record<string, unknown>): string {
  try {
    validateOptions({ ...base, ...patch });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected validateOptions to throw');
}

describe('validation messages are written for the user, not in valibot terms', () => {
  it.each([
    [{ maxWorker: 2 }, "maxWorker: unknown option 'maxWorker' — did you mean 'maxWorkers'?"],
    [{ timeoutMS: 5 }, "timeoutMS: unknown option 'timeoutMS' — did you mean 'timeoutMs'?"],
    [
      { source: {} },
      'source: must be { code, filename?, sourceMap? } or { path } or { entry, root?, cacheDir?, maxBundleBytes?, buildTimeoutMs? }, got {}',
    ],
    [
      { source: undefined },
      'source: is required: { code, filename?, sourceMap? } or { path } or { entry, root?, cacheDir?, maxBundleBytes?, buildTimeoutMs? }',
    ],
    [
      { source: 'export default 1' },
      'source: must be { code, filename?, sourceMap? } or { path } or { entry, root?, cacheDir?, maxBundleBytes?, buildTimeoutMs? }, got "export default 1"',
    ],
    [{ source: { code: 1 } }, 'source.code: must be a string, got 1'],
    [
      { source: { code: 'x', fillename: 'a.js' } },
      "source.fillename: unknown option 'fillename' — did you mean 'filename'?",
    ],
    [{ runtime: 'quickjs' }, `runtime: must be one of 'quickjs-ng', 'bun', 'quickjs-wasm', got "quickjs" — did you mean 'quickjs-ng'?`],
    [{ maxWorkers: '4' }, 'maxWorkers: must be a number, got "4"'],
    [{ maxWorkers: 0 }, 'maxWorkers: must be at least 1, got 0'],
    [{ timeoutMs: 1.5 }, 'timeoutMs: must be a whole number, got 1.5'],
    [{ env: { A: 1 } }, 'env.A: must be a string, got 1'],
    [
      { source: { entry: 'a.ts', cacheDr: '/tmp' } },
      "source.cacheDr: unknown option 'cacheDr' — did you mean 'cacheDir'?",
    ],
  ])('%j', (patch, expected) => {
    const message = optionsMessage(patch);
    expect(message).toBe(`Invalid pool options: ${expected}`);
    expect(message).not.toMatch(/Expected|never|received/);
  });

  it('lists the options when nothing is close to an unknown name', () => {
    expect(optionsMessage({ xyzzy: 1 })).toMatch(
      /unknown option 'xyzzy'; the options are runtime, capabilities, source, /,
    );
  });

  it('keeps the messages a schema wrote itself', () => {
    expect(optionsMessage({ env: { LD_PRELOAD: 'x' } })).toContain('env.LD_PRELOAD: runtime-control variables');
  });

  it('says what to pass when the options are not an object', () => {
    expect(() => validateOptions(undefined)).toThrow('Invalid pool options: must be an object, got undefined');
  });

  it('suggests the nearest capability field', () => {
    expect(() => validateCapabilities({ projectId: 'p', allowNetwrk: true, maxMem: 1 })).toThrow(
      "Invalid capabilities: allowNetwrk: unknown field 'allowNetwrk' — did you mean 'allowNetwork'?; " +
        "maxMem: unknown field 'maxMem' — did you mean 'maxMemory'?",
    );
  });
});
