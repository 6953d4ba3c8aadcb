import { describe, expect, it } from 'vitest';
import { createPool, profiles, type PoolOptions } from 'bunbase-functions';
import { childPids } from '../helpers.js';

function attempt(options: unknown): unknown {
  try {
    createPool(options as PoolOptions);
  } catch (error) {
    return error;
  }
  throw new Error('createPool accepted invalid input');
}

describe('invalid configuration', () => {
  it('invalid capabilities are INVALID_CAPABILITIES naming the field, and no process is spawned', async () => {
    const before = childPids();
    const error = attempt({
      runtime: 'bun',
      capabilities: { ...profiles.strict('p'), maxMemory: -1, allowedPaths: ['relative/dir'], surprise: true },
      source: { code: 'export default () => new Response("x")' },
    });
    expect(error).toMatchObject({ code: 'INVALID_CAPABILITIES' });
    const message = (error as Error).message;
    expect(message).toContain('maxMemory');
    expect(message).toContain('allowedPaths');
    expect(message).toContain('surprise');
    await new Promise((r) => setTimeout(r, 50));
    expect(childPids()).toEqual(before);
  });

  it('invalid options are INVALID_OPTIONS naming every bad field, and no process is spawned', async () => {
    const before = childPids();
    const error = attempt({
      runtime: 'node',
      capabilities: profiles.strict('p'),
      source: { code: 'x' },
      maxWorkers: 0,
      timeoutMs: -5,
      env: { LD_PRELOAD: '/evil.so' },
      typoOption: 1,
    });
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS' });
    const message = (error as Error).message;
    for (const field of ['runtime', 'maxWorkers', 'timeoutMs', 'LD_PRELOAD', 'typoOption']) expect(message).toContain(field);
    expect(attempt({ runtime: 'bun', capabilities: profiles.strict('p'), source: { code: 'x' }, minWorkers: 5, maxWorkers: 2 })).toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining('minWorkers'),
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(childPids()).toEqual(before);
  });

  it('an unreadable source path is BUNDLE_LOAD_ERROR at createPool', () => {
    expect(attempt({ runtime: 'bun', capabilities: profiles.strict('p'), source: { path: '/nonexistent/handler.js' } })).toMatchObject({
      code: 'BUNDLE_LOAD_ERROR',
      message: expect.stringContaining('/nonexistent/handler.js'),
    });
  });

  it('a missing runtime binary is RUNTIME_UNAVAILABLE with a hint', () => {
    process.env['BUNBASE_BUN_PATH'] = '/nonexistent/bun';
    try {
      expect(attempt({ runtime: 'bun', capabilities: profiles.strict('p'), source: { code: 'x' } })).toMatchObject({
        code: 'RUNTIME_UNAVAILABLE',
        message: expect.stringContaining('BUNBASE_BUN_PATH'),
      });
    } finally {
      delete process.env['BUNBASE_BUN_PATH'];
    }
  });
});
