import * as v from 'valibot';
import { WorkerMessageSchema, type HostMessage, type WorkerMessage } from './messages.js';

export function encodeMessage(message: HostMessage): string {
  return JSON.stringify(message) + '\n';
}

export type DecodeResult = { ok: true; message: WorkerMessage } | { ok: false; reason: string };

/** Parses and validates one line from a worker. Never throws: a bad line is a result, not an exception. */
export function decodeMessage(line: string): DecodeResult {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, reason: `not JSON: ${preview(line)}` };
  }
  const parsed = v.safeParse(WorkerMessageSchema, raw);
  if (!parsed.success) {
    return { ok: false, reason: `${v.summarize(parsed.issues).replaceAll('\n', '; ')} in ${preview(line)}` };
  }
  return { ok: true, message: parsed.output };
}

function preview(line: string): string {
  return JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line);
}
