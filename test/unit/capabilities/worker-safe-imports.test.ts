import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// paths.ts and domains.ts are also loaded inside the Bun worker, where
// valibot and errors.ts are not available.
function importsOf(file: string): string[] {
  const source = readFileSync(new URL(`../../../lib/capabilities/${file}`, import.meta.url), 'utf8');
  return [...source.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1] as string);
}

describe('worker-safe modules', () => {
  it('paths.ts imports only node:module and node:path, and never node:fs as an ES module', () => {
    // An early ES import of node:fs inside the Bun worker would freeze its namespace before the guards patch it.
    expect(new Set(importsOf('paths.ts'))).toEqual(new Set(['node:module', 'node:path']));
  });

  it('domains.ts imports only node built-ins', () => {
    expect(importsOf('domains.ts').every((specifier) => specifier.startsWith('node:'))).toBe(true);
  });
});
