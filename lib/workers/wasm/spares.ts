import type { Engine } from './engine.js';
import type { SandboxSettings, SandboxTask } from './messages.js';
import { Sandbox } from './sandbox.js';
import { markActive, quietForMs } from './thread-activity.js';

/**
 * Quiet time on a thread (no sandbox on it ran code or got a message) after
 * which it makes its spare. Making one holds the thread for as long as a
 * start does (the prelude is compiled from source: quickjs-emscripten cannot
 * load bytecode), so it waits for a lull rather than delay calls.
 */
const SPARE_AFTER_QUIET_MS = 25;

let spare: { key: string; engine: Engine; sandbox: Sandbox } | undefined;
let timer: NodeJS.Timeout | undefined;

/**
 * Everything a sandbox's prelude sees: its settings but the handler's source
 * and file name. Only a start with the very same settings (the same project,
 * profile, env, clock and seed) may take a spare.
 */
function keyOf(settings: SandboxSettings): string {
  return JSON.stringify({ ...settings, source: '', filename: '' });
}

/**
 * A sandbox for `task`, attached and loading its handler: the thread's spare
 * when it was made for the same settings, else a new one. Either way, once
 * the thread has been quiet for a moment, a spare is made for the settings
 * of the latest start, so that the next pool like it (tests that make a pool
 * each, a pool that grows or replaces a worker) starts with only its handler
 * to load. One spare per thread, never run: it holds no handler code.
 */
export function startSandbox(engine: Engine, task: SandboxTask): Sandbox {
  const key = keyOf(task.settings);
  let sandbox: Sandbox;
  // Not a spare of an engine that was since discarded (engine.ts).
  if (spare?.key === key && spare.engine === engine) {
    sandbox = spare.sandbox;
    spare = undefined;
  } else {
    sandbox = new Sandbox(engine, task.settings);
  }
  markActive();
  sandbox.attach(task);
  clearTimeout(timer);
  makeSpareWhenQuiet(engine, task.settings, key, SPARE_AFTER_QUIET_MS);
  return sandbox;
}

function makeSpareWhenQuiet(engine: Engine, settings: SandboxSettings, key: string, waitMs: number): void {
  timer = setTimeout(() => {
    timer = undefined;
    if (spare?.key === key) return;
    const quiet = quietForMs();
    if (quiet < SPARE_AFTER_QUIET_MS) {
      makeSpareWhenQuiet(engine, settings, key, SPARE_AFTER_QUIET_MS - quiet);
      return;
    }
    spare?.sandbox.discard();
    spare = { key, engine, sandbox: new Sandbox(engine, settings) };
  }, waitMs);
  // A spare alone does not keep the thread: tinypool stops it when idle, and the spare goes with it.
  timer.unref();
}
