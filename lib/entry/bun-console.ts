import { inspect } from 'node:util';
import { send } from './channel.js';

type Level = 'debug' | 'info' | 'log' | 'warn' | 'error';

/** A value's text for the log, never a throw: a handler's console.log must not fail because of what it logs. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return inspect(value, { depth: 4 });
  } catch (error) {
    let why: string;
    try {
      why = error instanceof Error ? `${error.name}: ${error.message}` : typeof error;
    } catch {
      why = 'an exception';
    }
    return `[Uninspectable: ${why}]`;
  }
}

/**
 * Sends `console.*` output to the host as `log` messages tagged with the
 * invocation that wrote it. `currentId` says which invocation is running.
 */
export function installConsole(currentId: () => number, maxLogBytes: number): void {
  const write = (level: Level) =>
    (...args: unknown[]): void => {
      let message = args.map(text).join(' ');
      if (message.length > maxLogBytes) message = `${message.slice(0, maxLogBytes)}… [truncated]`;
      send({ id: currentId(), type: 'log', payload: { level, message, time: Date.now() } });
    };
  const c = console as unknown as Record<string, unknown>;
  c['log'] = write('log');
  c['info'] = write('info');
  c['debug'] = write('debug');
  c['trace'] = write('debug');
  c['warn'] = write('warn');
  c['error'] = write('error');
}
