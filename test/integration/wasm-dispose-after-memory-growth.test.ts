import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RUNTIMES } from '../helpers.js';

/**
 * A quickjs-wasm sandbox whose promise jobs grew the thread's WebAssembly
 * memory is freed cleanly. quickjs-emscripten's job runner read the job's
 * context back through a view of the memory from before the jobs, so after
 * a growth it made a stray JSContext that was never freed; freeing the
 * sandbox's runtime then aborted the engine (`Aborted(Assertion failed:
 * list_empty(&rt->gc_obj_list) … JS_FreeRuntime)` on stderr) and left that
 * runtime's memory in the thread's module. With isolation 'invocation' the
 * next call found the worker crashed, and inline the host process died.
 *
 * Each workload runs in a host process of its own (fixtures/wasm-dispose-host.mjs),
 * whose stderr is what the threads printed.
 */
const HOST = fileURLToPath(new URL('../fixtures/wasm-dispose-host.mjs', import.meta.url));

function runHost(workload: string, where: 'thread' | 'inline'): Promise<{ answers: string[]; stderr: string; error: Error | null }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [HOST, workload, where], { timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      resolve({ answers: line.startsWith('[') ? (JSON.parse(line) as string[]) : [], stderr, error });
    });
  });
}

// Skipped, not emptied, when the run leaves quickjs-wasm out (an empty suite fails the run).
describe.skipIf(!RUNTIMES.includes('quickjs-wasm'))('quickjs-wasm: a sandbox whose jobs grew the memory is freed cleanly', () => {

  it.each([
    ['files', 'thread', ['{"ok":10,"EMFILE":19990}']],
    ['header', 'thread', ['RESPONSE_TOO_LARGE', 'small']],
    ['isolation', 'thread', ['8', '8', '8']],
    ['isolation', 'inline', ['8', '8', '8']],
  ] as const)('%s (%s): every call answered, nothing aborted while freeing', async (workload, where, expected) => {
    const run = await runHost(workload, where);
    expect(run.stderr).not.toMatch(/Aborted\(|Assertion failed|RuntimeError/);
    expect(run.error).toBeNull();
    expect(run.answers).toEqual(expected);
  }, 120_000);
});
