import { describe, expect, it } from 'vitest';
import { validateOptions } from '../../lib/options.js';

const BASE = { capabilities: {}, source: { code: 'export default {}' } };

describe('options of the unit-test sandbox', () => {
  it('inline is refused outside quickjs-wasm, naming the option', () => {
    for (const runtime of ['quickjs-ng', 'bun']) {
      expect(() => validateOptions({ ...BASE, runtime, inline: true })).toThrow(/inline: inline needs runtime quickjs-wasm/);
    }
    expect(validateOptions({ ...BASE, runtime: 'quickjs-wasm', inline: true })).toMatchObject({ inline: true });
  });

  it('fakeClock, randomSeed and isolation "invocation" are accepted on quickjs-ng and quickjs-wasm, refused on Bun naming the rule', () => {
    for (const extra of [{ fakeClock: 0 }, { randomSeed: 1 }, { randomSeed: -3 }, { isolation: 'invocation' }]) {
      expect(() => validateOptions({ ...BASE, runtime: 'bun', ...extra })).toThrow(/runtime: .*need runtime quickjs-ng or quickjs-wasm/);
      expect(validateOptions({ ...BASE, runtime: 'quickjs-ng', ...extra })).toMatchObject(extra);
      expect(validateOptions({ ...BASE, runtime: 'quickjs-wasm', ...extra })).toMatchObject(extra);
    }
  });

  it('a randomSeed that is not a safe integer and an unknown isolation are refused', () => {
    expect(() => validateOptions({ ...BASE, runtime: 'quickjs-ng', randomSeed: 1.5 })).toThrow(/randomSeed/);
    expect(() => validateOptions({ ...BASE, runtime: 'quickjs-ng', isolation: 'request' })).toThrow(/isolation/);
  });

  it('fetch must be a function; every runtime accepts it', () => {
    expect(() => validateOptions({ ...BASE, runtime: 'bun', fetch: 'https://x' })).toThrow(/fetch: must be a function/);
    expect(validateOptions({ ...BASE, runtime: 'bun', fetch: () => new Response('') }).fetch).toBeTypeOf('function');
  });
});
