import * as v from 'valibot';
import { WorkerMessageSchema, responseHead, type FetchArgs, type HeaderPairs } from '../../protocol/index.js';

/**
 * What a quickjs-wasm sandbox hands the host as JSON: the response head and
 * a fetch's arguments. The binding builds them with its own JSON, but with
 * other globals of the handler's context (`Array.prototype.map`, `String`),
 * which a handler can replace: a header name could arrive as an object, and a
 * header name without `toLowerCase` once threw in the host's own thread,
 * ending the host process. So they are untrusted input, checked against the
 * protocol's schema, the one the process runtimes' messages pass.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface ResponseHead {
  status: number;
  statusText: string;
  headers: HeaderPairs;
}

function parse(json: string, what: string): Checked<unknown> {
  try {
    return { ok: true, value: JSON.parse(json) as unknown };
  } catch {
    return { ok: false, reason: `${what} that is not JSON` };
  }
}

function refused(what: string, issues: v.GenericIssue[]): { ok: false; reason: string } {
  return { ok: false, reason: `${what}: ${v.summarize(issues as [v.GenericIssue, ...v.GenericIssue[]]).replaceAll('\n', '; ')}` };
}

/** The head `[status, statusText, headers]` of a response. */
export function parseHead(json: string): Checked<ResponseHead> {
  const raw = parse(json, 'a response head');
  if (!raw.ok) return raw;
  if (!Array.isArray(raw.value) || raw.value.length !== 3) return { ok: false, reason: 'a response head that is not [status, statusText, headers]' };
  const [status, statusText, headers] = raw.value as unknown[];
  // The warm path: the schema's rules by hand (valibot was a third of `respond`), on arrays JSON.parse just made.
  const head = responseHead(status, statusText, headers);
  if (head !== undefined) return { ok: true, value: head };
  const parsed = v.safeParse(WorkerMessageSchema, {
    id: 0,
    type: 'response',
    payload: { status, statusText, headers, body: null, cpuMs: 0, peakMemoryBytes: 0 },
  });
  if (!parsed.success) return refused('a bad response head', parsed.issues);
  if (parsed.output.type !== 'response') return { ok: false, reason: 'a bad response head' };
  const p = parsed.output.payload;
  return { ok: true, value: { status: p.status, statusText: p.statusText, headers: p.headers } };
}

/** The arguments of a host fetch (the body base64, as on the process runtimes' wire). */
export function parseFetchArgs(json: string): Checked<FetchArgs> {
  const raw = parse(json, 'fetch arguments');
  if (!raw.ok) return raw;
  const parsed = v.safeParse(WorkerMessageSchema, { id: 0, type: 'call', payload: { call: 0, op: 'fetch', args: raw.value } });
  if (!parsed.success) return refused('bad fetch arguments', parsed.issues);
  if (parsed.output.type !== 'call') return { ok: false, reason: 'bad fetch arguments' };
  return { ok: true, value: parsed.output.payload.args };
}
