import { describe, expect, it } from 'vitest';
import { validateOptions } from '../../lib/options.js';

const BASE = { capabilities: {}, source: { code: 'export default {}' } };

describe('options of the unit-test sandbox', () => {
  it('fakeClock, randomSeed and isolation "invocation" are refused outside quickjs-wasm, naming the rule', () => {
    for (const extra of [{ fakeClock: 0 }, { randomSeed: 1 }, { isolation: 'invocation' }]) {
      expect(() => validateOptions({ ...BASE, runtime: 'quickjs-ng', ...extra })).toThrow(/need runtime quickjs-wasm/);
      expect(validateOptions({ ...BASE, runtime: 'quickjs-wasm', ...extra })).toMatchObject(extra);
    }
  });

  it('fetch must be a function; every runtime accepts it', () => {
    expect(() => validateOptions({ ...BASE, runtime: 'bun', fetch: 'https://x' })).toThrow(/fetch: must be a function/);
    expect(validateOptions({ ...BASE, runtime: 'bun', fetch: () => new Response('') }).fetch).toBeTypeOf('function');
  });
});
