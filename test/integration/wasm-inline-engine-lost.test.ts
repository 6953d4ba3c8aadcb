import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RUNTIMES } from '../helpers.js';

/**
 * Inline quickjs-wasm sandboxes share the host thread's engine. When the
 * engine throws out of a call, from a message or from a timer (the host's
 * stack overflowed inside the WebAssembly), that call is WORKER_CRASHED, the other inline sandboxes are
 * replaced as a thread's crash would replace them, and the next sandbox gets
 * a new engine: the host process lives on. It died of the uncaught
 * RangeError. Run in a process of its own, whose main thread has Node's
 * default stack.
 */
const HOST = fileURLToPath(new URL('../fixtures/wasm-inline-engine-lost-host.mjs', import.meta.url));

describe.skipIf(!RUNTIMES.includes('quickjs-wasm'))('quickjs-wasm inline: an engine that throws out of a call', () => {
  it('fails that call, replaces the other inline sandboxes, and leaves the host process running', async () => {
    const run = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
      execFile(process.execPath, [HOST], { timeout: 90_000 }, (error, stdout, stderr) =>
        resolve({ stdout, stderr, code: error === null ? 0 : ((error as { code?: number }).code ?? null) }),
      );
    });
    expect(run.stderr).not.toMatch(/RangeError|Maximum call stack/);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').pop() ?? '[]')).toEqual(['bystander', 'WORKER_CRASHED', 'bystander', 'fresh', 'WORKER_CRASHED', 'fresh']);
  }, 120_000);
});
