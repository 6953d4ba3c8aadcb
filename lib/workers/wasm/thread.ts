import { discardEngine, loadEngine } from './engine.js';
import { onEngineLost } from './local-port.js';
import type { SandboxTask } from './messages.js';
import { startSandbox } from './spares.js';

/**
 * The tinypool task of one quickjs-wasm sandbox: it runs for as long as the
 * sandbox lives, so a thread holds many sandboxes at once (each waits for
 * messages on its own port) and a pool's "worker" costs no thread.
 */
// Inline, on the host's thread: an engine that threw out of a call is replaced (local-port.ts).
onEngineLost(discardEngine);

export default async function runSandbox(task: SandboxTask): Promise<void> {
  const sandbox = startSandbox(await loadEngine(), task);
  await sandbox.closed;
}
