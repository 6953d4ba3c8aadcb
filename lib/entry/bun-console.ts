import { inspect } from 'node:util';
import { send } from './channel.js';

type Level = 'debug' | 'info' | 'log' | 'warn' | 'error';

/**
 * Sends `console.*` output to the host as `log` messages tagged with the
 * invocation that wrote it. `currentId` says which invocation is running.
 */
export function installConsole(currentId: () => number, maxLogBytes: number): void {
  const write = (level: Level) =>
    (...args: unknown[]): void => {
      let message = args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 4 }))).join(' ');
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
