/**
 * Runs inside the Bun child process. Reads `init` from the channel, fences the
 * APIs, loads the customer's bundle and serves invocations (docs/protocol.md).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isBuiltin } from 'node:module';
import type { Capabilities } from '../capabilities/index.js';
import { installConsole } from './bun-console.js';
import { installGuards, patchStaticImports } from './bun-guards.js';
import { beforeWrite, flushPosted, listen, post, send, sendWithBody, type HostMessageIn } from './channel.js';
import { resolveHandler, type Handler } from './handler.js';
import { createHostFetch } from './bun-fetch.js';
import { reserveDescriptors } from './fd-budget.js';
import { readResponseBytes, trackStreamedResponses } from './response-bytes.js';
import { cpuMsBetween, readUsage, usageAtStart } from './usage.js';
import { EXIT_BAD_SETTINGS, PROTOCOL_VERSION } from '../protocol/constants.js';
import { MAX_RESPONSE_HEADER_BYTES, REASON_PHRASE, responseHeadersProblem } from '../response-header-limits.js';
import { boundedText, describeThrown, isCapabilityDenied } from '../thrown-value.js';

// Room for init with a large bundle; invocations are bounded by maxBodyBytes below.
const MIN_LINE_BYTES = 64 * 1024 * 1024;
/** Request bodies above this many base64 characters are worth a collection or two (see invoke). */
const LARGE_BODY_CHARS = 4 * 1024 * 1024;
/** Response bodies above this many bytes are written in pieces (sendWithBody), never as one line. */
const LARGE_BODY_BYTES = 256 * 1024;
/** Far more than the launcher's room for Bun's own descriptors: a bound, not a guess. */
const MAX_PLACEHOLDERS = 1024;
/** Statuses whose responses have no body (the Fetch standard's null body statuses). */
const NULL_BODY_STATUS = new Set([204, 205, 304]);
/** Bun's own Response, taken before the handler loads: a handler may replace the global. */
const BunResponse = Response;

interface InitPayload {
  protocol: number;
  source: string;
  filename: string;
  env: Record<string, string>;
  capabilities: Capabilities;
  limits: { maxBodyBytes: number; maxLogBytes: number };
  /** The global name the bundle's rewritten import() calls. */
  importLoader?: string;
  /** Why the bundle could not be checked (it does not parse). */
  bundleError?: string;
}

interface Invocation {
  controller: AbortController;
}

// The launcher's report of the OS fence, read before init replaces the environment.
const sandboxReport = parseSandboxReport(process.env['BUNBASE_SANDBOX']);

function parseSandboxReport(text: string | undefined): Record<string, string | number | boolean> {
  if (text === undefined) return {};
  try {
    return JSON.parse(text) as Record<string, string | number | boolean>;
  } catch {
    return { error: 'unreadable fence report' };
  }
}

const context = new AsyncLocalStorage<number>();
const inFlight = new Map<number, Invocation>();
let handler: Handler | undefined;
let init: InitPayload | undefined;
let hostFetch: ReturnType<typeof createHostFetch> | undefined;

/** The invocation whose code is running: from the async context, or the only one in flight. */
function currentId(): number {
  const id = context.getStore();
  if (id !== undefined) return id;
  if (inFlight.size === 1) return inFlight.keys().next().value ?? 0;
  return 0;
}

function errorPayload(code: string, error: unknown): Record<string, string> {
  try {
    if (error instanceof AggregateError && error.errors.length > 0) {
      // Bun reports a module that fails to build as an AggregateError of build messages.
      const inner = error.errors.map((e: unknown) => (e instanceof Object && 'message' in e ? String(e.message) : String(e)));
      const first = error.errors[0] as { name?: unknown };
      const name = typeof first.name === 'string' && first.name !== 'BuildMessage' ? first.name : 'SyntaxError';
      return { code, name, message: boundedText(inner.join('; ')), stack: boundedText(inner.join('\n')) };
    }
  } catch {
    // A handler's own AggregateError with hostile members: read like any thrown value below.
  }
  const { name, message, stack } = describeThrown(error);
  return stack === undefined ? { code, name, message } : { code, name, message, stack };
}

/** A name Bun accepts for a made-up module, so messages and stack traces say `handler.js:3:7`. */
const MODULE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]*(?:\/[A-Za-z0-9_.@-]+)*$/;

/**
 * Loads the bundle as a module named after its filename. A data: URL would
 * name it `data:text/javascript;base64,…` in every message.
 */
async function loadBundle(source: string, filename: string): Promise<Record<string, unknown>> {
  const name = MODULE_NAME.test(filename) && !isBuiltin(filename) ? filename : 'handler.js';
  let text: string | undefined = source;
  Bun.plugin({
    name: 'bunbase-bundle',
    setup(build) {
      build.module(name, () => {
        const contents = text ?? '';
        text = undefined;
        return { contents, loader: 'js' };
      });
    },
  });
  return (await import(name)) as Record<string, unknown>;
}

async function start(payload: InitPayload): Promise<void> {
  init = payload;
  for (const key of Object.keys(process.env)) delete process.env[key];
  // NODE_ENV defaults to production, as on the QuickJS runtimes (docs/web-platform.md):
  // React and others read it when the handler's module loads, which is after this.
  Object.assign(process.env, { NODE_ENV: 'production' }, payload.env);
  installConsole(currentId, payload.limits.maxLogBytes);
  trackStreamedResponses();
  hostFetch = createHostFetch(currentId, payload.limits.maxBodyBytes, payload.capabilities.allowNetwork);
  Object.defineProperty(globalThis, 'fetch', { value: hostFetch.fetch, writable: false, configurable: false });
  const importLoader = installGuards(payload.capabilities, currentId);
  const maxFds = payload.capabilities.maxFileDescriptors;
  if (maxFds > 0 && sandboxReport['rlimits'] === 'on') reserveDescriptors(maxFds, maxFds + MAX_PLACEHOLDERS);
  // The host rewrote the bundle's import() expressions into calls of this name (lib/workers/bun-dynamic-imports.ts).
  const refusal = payload.bundleError ?? (payload.importLoader === undefined ? 'the host sent no loader for import()' : undefined);
  if (refusal !== undefined) {
    // What cannot be checked is not run.
    send({ id: 0, type: 'error', payload: { code: 'BUNDLE_LOAD_ERROR', name: 'SyntaxError', message: `${payload.filename}: ${refusal}` } });
    process.exit(0);
  }
  Object.defineProperty(globalThis, payload.importLoader as string, { value: importLoader, writable: false, enumerable: false, configurable: false });
  try {
    patchStaticImports(payload.source);
  } catch (error) {
    // Bun's parser refused the bundle: so would its loader.
    send({ id: 0, type: 'error', payload: errorPayload('BUNDLE_LOAD_ERROR', error) });
    process.exit(0);
  }
  try {
    handler = resolveHandler(await loadBundle(payload.source, payload.filename));
  } catch (error) {
    send({ id: 0, type: 'error', payload: errorPayload('BUNDLE_LOAD_ERROR', error) });
    process.exit(0);
  }
  const features = ['fetch'];
  if (payload.capabilities.allowFilesystem) features.push('fs');
  if (payload.capabilities.allowEval) features.push('eval');
  if (payload.capabilities.allowChildProcess) features.push('child_process');
  send({
    id: 0,
    type: 'ready',
    payload: { protocol: PROTOCOL_VERSION, runtime: 'bun', version: Bun.version, pid: process.pid, features, sandbox: sandboxReport },
  });
}

async function invoke(id: number, payload: Record<string, unknown>): Promise<void> {
  const limits = (init as InitPayload).limits;
  const controller = new AbortController();
  inFlight.set(id, { controller });
  const before = usageAtStart();
  try {
    const method = String(payload['method']);
    let encoded = payload['body'];
    delete payload['body'];
    const large = typeof encoded === 'string' && encoded.length > LARGE_BODY_CHARS;
    // A large body's message line, its text and the decoded bytes would otherwise all be alive
    // at once: let the line go (it is the caller's until we yield), collect, decode, collect.
    if (large) {
      await null;
      Bun.gc(true);
    }
    const body = typeof encoded === 'string' ? Buffer.from(encoded, 'base64') : null;
    encoded = undefined;
    if (large) Bun.gc(true);
    const request = new Request(String(payload['url']), {
      method,
      headers: payload['headers'] as [string, string][],
      body: body === null || method === 'GET' || method === 'HEAD' ? null : body,
      signal: controller.signal,
    });
    const ctx = { waitUntil(): void {}, passThroughOnException(): void {}, signal: controller.signal };
    const result = await context.run(id, () => (handler as Handler)(request, init?.env ?? {}, ctx));
    if (!(result instanceof BunResponse)) {
      throw new TypeError(`The handler returned ${describe(result)} instead of a Response`);
    }
    // Status 0 means "no response" to fetch(); Bun also builds 101 (with type 'error'). Neither answers a request.
    if (result.status < 200) {
      throw new TypeError(
        result.status === 0
          ? 'The handler returned Response.error(), a network error, which has no status to answer with.'
          : `The handler returned status ${result.status}: a response's status must be in the range [200, 599]`,
      );
    }
    const headers = [...result.headers];
    // Bun's Response takes any statusText, CR and LF included; the QuickJS runtimes refuse those when it is built.
    if (result.statusText.length <= MAX_RESPONSE_HEADER_BYTES && !REASON_PHRASE.test(result.statusText)) {
      throw new TypeError('Invalid statusText');
    }
    const problem = responseHeadersProblem(headers, result.statusText);
    if (problem !== undefined) {
      answer({ id, type: 'error', payload: { code: 'RESPONSE_TOO_LARGE', name: 'RangeError', message: problem } });
      return;
    }
    // Bun's Response keeps a body with 204, 205 and 304, which the QuickJS runtimes refuse
    // (as the Fetch standard does) and HTTP never sends: the host gets none.
    const read = NULL_BODY_STATUS.has(result.status) ? { bytes: new Uint8Array(0) } : await readResponseBytes(result, limits.maxBodyBytes);
    const size = 'bytes' in read ? read.bytes.byteLength : read.stoppedAt;
    if (size > limits.maxBodyBytes) {
      const what = 'bytes' in read ? `is ${size} bytes` : `stream passed ${size} bytes (reading stopped there)`;
      answer({
        id,
        type: 'error',
        payload: {
          code: 'RESPONSE_TOO_LARGE',
          name: 'RangeError',
          message: `The response body ${what}; the limit is ${limits.maxBodyBytes} (maxBodyBytes)`,
        },
      });
      return;
    }
    const bytes = (read as { bytes: Uint8Array }).bytes;
    const head = { status: result.status, statusText: result.statusText, headers, cpuMs: 0, peakMemoryBytes: 0 };
    if (bytes.byteLength > LARGE_BODY_BYTES) {
      // The handler's own copies of a large body (its array, the Response's) are garbage now:
      // collected before the body's base64 text is made, they are not counted beside it.
      if (bytes.byteLength > LARGE_BODY_CHARS) Bun.gc(true);
      finishFigures(head, before, readUsage());
      sendWithBody({ id, type: 'response', payload: head }, bytes);
      return;
    }
    const base64 = bytes.byteLength === 0 ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    const answered = { ...head, body: base64 };
    // Its figures are read when it is written, with those of the answers leaving beside it.
    unfinished.push({ payload: answered, before });
    post({ id, type: 'response', payload: answered });
    // Alone, it is written at once (see answer).
    if (inFlight.size <= 1) flushPosted();
  } catch (error) {
    answer({ id, type: 'error', payload: errorPayload(isCapabilityDenied(error) ? 'CAPABILITY_DENIED' : 'HANDLER_ERROR', error) });
  } finally {
    inFlight.delete(id);
  }
}

/**
 * Sends an invocation's answer. With others still in flight it is posted, to go out in one
 * write with the answers settling beside it; alone, it is written at once.
 */
function answer(message: { id: number; type: string; payload: unknown }): void {
  if (inFlight.size > 1) post(message);
  else send(message);
}

interface Figures {
  cpuMs: number;
  peakMemoryBytes: number;
}

function finishFigures(figures: Figures, before: NodeJS.ResourceUsage, after: NodeJS.ResourceUsage): void {
  figures.cpuMs = cpuMsBetween(before, after);
  figures.peakMemoryBytes = after.maxRSS * 1024;
}

/** Posted responses whose figures are still to be read: one reading when they are written. */
let unfinished: { payload: Figures; before: NodeJS.ResourceUsage }[] = [];

beforeWrite(() => {
  if (unfinished.length === 0) return;
  const after = readUsage();
  for (const { payload, before } of unfinished) finishFigures(payload, before, after);
  unfinished = [];
});

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  return typeof value;
}

function failCurrent(error: unknown): void {
  const id = currentId();
  if (id !== 0 && inFlight.has(id)) {
    inFlight.delete(id);
    send({ id, type: 'error', payload: errorPayload('HANDLER_ERROR', error) });
  } else {
    const { name, message, stack } = describeThrown(error);
    send({ id: 0, type: 'log', payload: { level: 'error', message: `Uncaught: ${stack ?? `${name}: ${message}`}`, time: Date.now() } });
  }
}

process.on('unhandledRejection', failCurrent);
process.on('uncaughtException', failCurrent);

function onMessage(message: HostMessageIn): void {
  switch (message.type) {
    case 'init': {
      const payload = message.payload as unknown as InitPayload;
      if (payload.protocol !== PROTOCOL_VERSION || init !== undefined) process.exit(EXIT_BAD_SETTINGS);
      start(payload).catch((error: unknown) => {
        // Our own set-up failed, not the customer's bundle: exit so the host reports a crash with this text.
        process.stderr.write(`bunbase worker set-up failed: ${error instanceof Error ? error.stack : String(error)}\n`);
        process.exit(1);
      });
      return;
    }
    case 'invoke':
      void invoke(message.id, message.payload);
      return;
    case 'cancel': {
      // The handler still answers when it settles: the host frees the slot only then.
      inFlight.get(message.id)?.controller.abort(new DOMException('The invocation was cancelled by the host', 'AbortError'));
      return;
    }
    case 'result':
      hostFetch?.settle(message.payload);
      return;
    case 'shutdown':
      process.exit(0);
  }
}

listen(MIN_LINE_BYTES * 2, onMessage);
