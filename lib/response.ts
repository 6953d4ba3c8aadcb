import type { HeaderPairs } from './protocol/index.js';
import type { LogEntry } from './workers/worker.js';

/** Figures measured for one invocation. */
export interface InvocationMetrics {
  /** Host-side wall time from `invoke()` to the answer, queueing included. */
  wallMs: number;
  /** CPU time the worker spent on it, as the worker measured it. */
  cpuMs: number;
  /** Peak resident memory of the worker process. */
  peakMemoryBytes: number;
  /** Request body bytes sent. */
  bytesIn: number;
  /** Response body bytes received. */
  bytesOut: number;
  /** True when this was the first invocation of a freshly started worker. */
  coldStart: boolean;
  /** Capability denials during the invocation. */
  denials: number;
  /** Which worker ran it. */
  workerId: number;
}

const decoder = new TextDecoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads a byte-string header value as UTF-8 text when it is valid UTF-8 (docs/protocol.md). */
function fromByteString(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value)) return value;
  try {
    return strictUtf8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}

/** The handler's response, fully received. Reading it is synchronous. */
export class InvokeResponse {
  /** The pool's id of this invocation, the same id its `invocation` and `log` events carry. */
  readonly invocationId: number;
  readonly status: number;
  readonly statusText: string;
  /** Lower-case names; repeated headers joined with `, ` (all of them kept in `headerList`). */
  readonly headers: Record<string, string>;
  readonly headerList: HeaderPairs;
  readonly body: Uint8Array;
  readonly logs: readonly LogEntry[];
  readonly metrics: InvocationMetrics;

  constructor(init: {
    invocationId: number;
    status: number;
    statusText: string;
    headers: HeaderPairs;
    body: Uint8Array;
    logs: readonly LogEntry[];
    metrics: InvocationMetrics;
  }) {
    this.invocationId = init.invocationId;
    this.status = init.status;
    this.statusText = init.statusText;
    this.headerList = init.headers;
    const headers: Record<string, string> = {};
    for (const [name, value] of init.headers) {
      const key = name.toLowerCase();
      const text = fromByteString(value);
      headers[key] = headers[key] === undefined ? text : `${headers[key]}, ${text}`;
    }
    this.headers = headers;
    this.body = init.body;
    this.logs = init.logs;
    this.metrics = init.metrics;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  text(): string {
    return decoder.decode(this.body);
  }

  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }

  /** A WHATWG `Response` with the same status, headers and body. */
  toResponse(): Response {
    const nullBody = this.status === 204 || this.status === 205 || this.status === 304;
    return new Response(nullBody ? null : (this.body as Uint8Array<ArrayBuffer>), {
      status: this.status,
      statusText: this.statusText,
      headers: this.headerList,
    });
  }
}
