import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT_BAD_SETTINGS, EXIT_FENCE_INCOMPLETE, PROTOCOL_VERSION } from '../../lib/protocol/index.js';

/** The value of `#define NAME value` in a C source of the native worker. */
function define(file: string, name: string): number {
  const text = readFileSync(new URL(`../../native/${file}`, import.meta.url), 'utf8');
  const match = new RegExp(`^#define ${name} (\\d+)\\s*$`, 'm').exec(text);
  if (match === null) throw new Error(`native/${file} has no #define ${name}`);
  return Number(match[1]);
}

describe('protocol constants: lib/protocol/constants.ts and the C side agree', () => {
  it('the protocol version and exit codes of the native worker', () => {
    expect(define('private.h', 'QW_PROTOCOL_VERSION')).toBe(PROTOCOL_VERSION);
    expect(define('private.h', 'QW_EXIT_BAD_SETTINGS')).toBe(EXIT_BAD_SETTINGS);
    expect(define('private.h', 'QW_EXIT_FENCE_FAILED')).toBe(EXIT_FENCE_INCOMPLETE);
  });

  it('the exit codes of the launcher', () => {
    expect(define('launcher.c', 'EXIT_BAD_SETTINGS')).toBe(EXIT_BAD_SETTINGS);
    expect(define('launcher.c', 'EXIT_FENCE_FAILED')).toBe(EXIT_FENCE_INCOMPLETE);
  });
});
