import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_ERROR_TEXT, boundedText, describeThrown } from '../../lib/thrown-value.js';

describe('thrown values: one bound for every runtime', () => {
  it('the native worker keeps the bound of lib/thrown-value.ts', () => {
    const text = readFileSync(new URL('../../native/private.h', import.meta.url), 'utf8');
    expect(Number(/^#define QW_MAX_ERROR_TEXT (\d+)\s*$/m.exec(text)?.[1])).toBe(MAX_ERROR_TEXT);
  });

  it('cuts text past the bound and says how much, leaves text at the bound whole', () => {
    expect(boundedText('a'.repeat(MAX_ERROR_TEXT))).toHaveLength(MAX_ERROR_TEXT);
    const cut = boundedText('a'.repeat(MAX_ERROR_TEXT + 10));
    expect(cut.startsWith('a'.repeat(MAX_ERROR_TEXT))).toBe(true);
    expect(cut).toMatch(/truncated: 10 more characters/);
  });

  it('reads values whose getters and traps throw without throwing', () => {
    const trap = () => {
      throw new Error('trap');
    };
    expect(describeThrown(new Proxy({}, { get: trap, getPrototypeOf: trap }))).toEqual({
      name: 'NonErrorThrown',
      message: '(unprintable exception)',
      stack: undefined,
    });
    const named = new (class extends Error {
      override get name(): string {
        return trap();
      }
    })('m');
    expect(describeThrown(named)).toMatchObject({ name: 'Error', message: 'm' });
    expect(describeThrown(Symbol('s'))).toMatchObject({ name: 'NonErrorThrown', message: 'Symbol(s)' });
  });
});
