import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CapabilityDeniedError, FunctionsError, HostSocketsExhaustedError } from '../errors.js';
import type { SocketGate } from '../host-calls/socket-gate.js';
import { checkAddress } from './address-policy.js';
import { abortable, createDeadline } from './deadline.js';
import { checkUrl, describeTarget, type NetworkCapabilities } from './network.js';
import { addressesOf, createPinnedLookup, resolveWithSystem, type ResolveHost, type ResolvedAddress } from './pinned-lookup.js';
import { readBody } from './read-body.js';
import { dropBodyHeaders, dropCredentials, normalizeRequestHeaders } from './request-headers.js';

/** Most redirects followed for one request, as in the Fetch standard. */
const MAX_REDIRECTS = 20;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

/** An outbound request as the worker describes it. */
export interface GuardedRequest {
  url: string;
  method: string;
  headers: [string, string][];
  body: Uint8Array | null;
  /** As in Fetch. Default `'follow'`. `'manual'` returns the 3xx response itself. */
  redirect?: 'follow' | 'manual' | 'error';
}

/** A fully buffered response. */
export interface GuardedResponse {
  status: number;
  statusText: string;
  /** Final URL after redirects, without fragment. */
  url: string;
  redirected: boolean;
  /** Names lower-cased, repeated headers (such as `set-cookie`) kept as separate entries. */
  headers: [string, string][];
  body: Uint8Array;
}

/** What `onDenied` receives: who was refused and which rule said no. */
export interface NetworkDenial {
  capability: 'network';
  target: string;
  rule: string;
}

/** How `guardedFetch` limits and reports one request. */
export interface GuardedFetchOptions {
  /** Largest response body buffered; more aborts with `ResponseTooLargeError`. Required. */
  maxBodyBytes: number;
  /** Cancels the whole fetch (`AbortedError`). */
  signal?: AbortSignal;
  /** Deadline for the whole fetch, redirects included (`TimeoutError`). Default: none. */
  timeoutMs?: number;
  /** Called once per denial, before `guardedFetch` rejects with `CapabilityDeniedError`. */
  onDenied?: (denial: NetworkDenial) => void;
  /** Replaces the system resolver (for tests). Default: `dns.lookup` with `all: true`. */
  resolve?: ResolveHost;
  /** Counts response bytes against a budget shared with other fetches (`FetchBufferLimitError` when refused). */
  charge?: (bytes: number) => boolean;
  /** Admits each connection against a cap on open sockets (`HostSocketsExhaustedError` when full). Default: none. */
  sockets?: SocketGate;
}

/**
 * Performs an HTTP(S) request on behalf of a sandboxed handler, enforcing the
 * network capabilities on every hop:
 *
 * - the URL must pass `checkUrl` (scheme, `allowNetwork`, `allowedDomains`);
 * - every address the host resolves to must pass `checkAddress` (public, or
 *   listed literally, or loopback with `localhost` listed), and the socket
 *   connects only to those checked addresses (no second lookup);
 * - each redirect (301, 302, 303, 307, 308; at most 20) is checked again from
 *   scratch; credentials are not sent to a different origin;
 * - hop-by-hop headers, `host` and `content-length` from the caller are
 *   replaced by our own;
 * - the response body is buffered up to `maxBodyBytes`.
 *
 * Uses node:http/node:https, not global fetch, because only they let us pin
 * the address. Bodies are returned as received (no decompression).
 *
 * @throws CapabilityDeniedError when a rule refuses a hop (after `onDenied`).
 * @throws ResponseTooLargeError, TimeoutError, AbortedError as named above.
 * @throws TypeError for network failures, bad requests and redirect errors,
 * as `fetch` does.
 */
export async function guardedFetch(
  request: GuardedRequest,
  caps: NetworkCapabilities,
  options: GuardedFetchOptions,
): Promise<GuardedResponse> {
  const upper = request.method.toUpperCase();
  if (FORBIDDEN_METHODS.has(upper)) throw new TypeError(`fetch failed: method ${request.method} is not allowed`);
  let method = NORMALIZED_METHODS.has(upper) ? upper : request.method;
  let body = request.body;
  if (body !== null && (method === 'GET' || method === 'HEAD')) {
    throw new TypeError(`fetch failed: a ${method} request cannot have a body`);
  }
  const headers = normalizeRequestHeaders(request.headers);
  const mode = request.redirect ?? 'follow';
  const deadline = createDeadline(safeTarget(request.url), options.signal, options.timeoutMs);
  try {
    let current = request.url;
    for (let redirects = 0; ; redirects += 1) {
      const hop = await connectChecked(current, caps, options, deadline.signal);
      const response = await send(hop.url, method, headers, body, hop.addresses, deadline.signal, options.sockets);
      const location = response.headers.location;
      if (mode === 'manual' || !REDIRECT_STATUSES.has(response.statusCode ?? 0) || location === undefined) {
        return {
          status: response.statusCode ?? 0,
          statusText: response.statusMessage ?? '',
          url: withoutFragment(hop.url),
          redirected: redirects > 0,
          headers: pairHeaders(response.rawHeaders),
          body: await readBody(
            response,
            options.maxBodyBytes,
            deadline.signal,
            describeTarget(hop.url),
            method !== 'HEAD' && response.statusCode !== 204 && response.statusCode !== 304,
            options.charge,
          ),
        };
      }
      response.destroy();
      if (mode === 'error') throw new TypeError(`fetch failed: ${describeTarget(hop.url)} redirected and redirect is "error"`);
      if (redirects >= MAX_REDIRECTS) throw new TypeError(`fetch failed: more than ${MAX_REDIRECTS} redirects`);
      let next: URL;
      try {
        next = new URL(location, hop.url);
      } catch (cause) {
        throw new TypeError(`fetch failed: invalid redirect location ${JSON.stringify(location)}`, { cause });
      }
      const status = response.statusCode ?? 0;
      if ((status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
        method = 'GET';
        body = null;
        dropBodyHeaders(headers);
      }
      if (next.origin !== hop.url.origin) dropCredentials(headers);
      current = next.href;
    }
  } catch (error) {
    throw toFetchError(error);
  } finally {
    deadline.dispose();
  }
}

interface CheckedHop {
  url: URL;
  addresses: readonly ResolvedAddress[];
}

/** Runs the name and address rules for one hop; throws `CapabilityDeniedError` on refusal. */
async function connectChecked(
  url: string,
  caps: NetworkCapabilities,
  options: GuardedFetchOptions,
  signal: AbortSignal,
): Promise<CheckedHop> {
  const decision = checkUrl(url, caps);
  if (!decision.allowed) deny(decision.target, decision.rule, decision.fix, options);
  const target = describeTarget(decision.url);
  const addresses = await abortable(addressesOf(decision.url.hostname, options.resolve ?? resolveWithSystem), signal);
  if (addresses.length === 0) throw new TypeError(`fetch failed: ${decision.url.hostname} has no addresses`);
  for (const { address } of addresses) {
    const verdict = checkAddress(address, caps.allowedDomains);
    if (!verdict.allowed) deny(target, verdict.rule, verdict.fix, options);
  }
  return { url: decision.url, addresses };
}

function deny(target: string, rule: string, fix: string, options: GuardedFetchOptions): never {
  options.onDenied?.({ capability: 'network', target, rule });
  throw new CapabilityDeniedError(`Network access to ${target} denied: ${rule}. To allow it, ${fix}.`);
}

function send(
  url: URL,
  method: string,
  headers: ReadonlyMap<string, string>,
  body: Uint8Array | null,
  addresses: readonly ResolvedAddress[],
  signal: AbortSignal,
  sockets: SocketGate | undefined,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const releaseSocket = sockets === undefined ? () => {} : sockets.tryAcquire();
    if (releaseSocket === undefined) {
      reject(
        new HostSocketsExhaustedError(
          `The host already has ${sockets?.limit ?? 0} outbound sockets open (hostFetch.maxSockets); try again later.`,
        ),
      );
      return;
    }
    const outgoing: Record<string, string> = Object.fromEntries(headers);
    outgoing.host = url.host;
    if (body !== null) outgoing['content-length'] = String(body.byteLength);
    const requestOptions: RequestOptions = {
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      method,
      path: `${url.pathname}${url.search}`,
      headers: outgoing,
      setHost: false,
      // A fresh connection per hop: a pooled socket could have been opened for another address.
      agent: false,
      lookup: createPinnedLookup(addresses),
    };
    if (url.port !== '') requestOptions.port = Number(url.port);
    const onAbort = (): void => {
      req.destroy(signal.reason as Error);
    };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(requestOptions, (response) => {
      signal.removeEventListener('abort', onAbort);
      resolve(response);
    });
    // The slot is the descriptor: it is free once the socket is closed (or the
    // request closed without ever getting one).
    let socketAssigned = false;
    req.once('socket', (socket) => {
      socketAssigned = true;
      socket.once('close', releaseSocket);
    });
    req.once('close', () => {
      if (!socketAssigned) releaseSocket();
    });
    req.on('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    req.end(body ?? undefined);
  });
}

/** Our own errors pass through; anything else becomes a `TypeError` like `fetch` throws. */
function toFetchError(error: unknown): Error {
  if (error instanceof FunctionsError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EMFILE' || code === 'ENFILE') {
    return new HostSocketsExhaustedError('The host is out of file descriptors for outbound sockets (EMFILE); try again later.', {
      cause: error,
    });
  }
  if (error instanceof TypeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TypeError(`fetch failed: ${message}`, { cause: error });
}

function pairHeaders(raw: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([(raw[i] as string).toLowerCase(), raw[i + 1] as string]);
  return pairs;
}

/** The URL for messages, without user info or query string. */
function safeTarget(url: string): string {
  return URL.canParse(url) ? describeTarget(new URL(url)) : 'an invalid URL';
}

function withoutFragment(url: URL): string {
  const copy = new URL(url.href);
  copy.hash = '';
  return copy.href;
}
