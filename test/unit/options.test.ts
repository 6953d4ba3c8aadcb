import { describe, expect, it } from 'vitest';
import { validateOptions } from '../../lib/options.js';

const base = { runtime: 'bun', capabilities: {}, source: { code: 'export default () => 1' } };

describe('validateOptions', () => {
  it('fills in the documented defaults', () => {
    const o = validateOptions(base);
    expect(o).toMatchObject({
      minWorkers: 0,
      maxWorkers: 4,
      concurrency: 1,
      maxQueue: 1000,
      timeoutMs: 30_000,
      idleTimeoutMs: 30_000,
      recycleAfter: 10_000,
      maxBodyBytes: 32 * 1024 * 1024,
      maxLogBytes: 1024 * 1024,
      spinWaitUs: 200,
      osSandbox: true,
      requireOsSandbox: false,
      env: {},
    });
    expect(o.maxMessageBytes).toBeGreaterThan((o.maxBodyBytes * 4) / 3);
    expect(validateOptions({ ...base, source: { code: 'x' } }).source).toEqual({ code: 'x', filename: 'handler.js' });
  });

  it.each([
    ['an unknown option', { typo: 1 }, 'typo'],
    ['an unknown runtime', { runtime: 'deno' }, 'runtime'],
    ['maxWorkers 0', { maxWorkers: 0 }, 'maxWorkers'],
    ['a fractional timeout', { timeoutMs: 1.5 }, 'timeoutMs'],
    ['minWorkers above maxWorkers', { minWorkers: 3, maxWorkers: 2 }, 'minWorkers'],
    ['an empty source', { source: { code: '' } }, 'source'],
    ['a source with both code and path', { source: { code: 'x', path: '/a' } }, 'source'],
    ['LD_PRELOAD in env', { env: { LD_PRELOAD: 'x' } }, 'LD_PRELOAD'],
    ['NODE_OPTIONS in env', { env: { NODE_OPTIONS: 'x' } }, 'NODE_OPTIONS'],
    ['node_env in env (only NODE_ENV itself is let through)', { env: { node_env: 'x' } }, 'node_env'],
    ['BUN_CONFIG in env', { env: { BUN_CONFIG_VERBOSE_FETCH: '1' } }, 'BUN_CONFIG_VERBOSE_FETCH'],
    ['a non-string env value', { env: { A: 1 } }, 'env'],
    ['a negative spinWaitUs', { spinWaitUs: -1 }, 'spinWaitUs'],
    ['requireOsSandbox without osSandbox', { osSandbox: false, requireOsSandbox: true }, 'requireOsSandbox'],
  ])('refuses %s, naming it', (_name, patch, field) => {
    expect(() => validateOptions({ ...base, ...patch })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining(field) }));
  });

  it('takes NODE_ENV in env: it steers libraries, not a runtime', () => {
    expect(validateOptions({ ...base, env: { NODE_ENV: 'development' } }).env).toEqual({ NODE_ENV: 'development' });
  });
});
