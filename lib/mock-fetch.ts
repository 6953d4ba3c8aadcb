import { checkUrl, type Capabilities } from './capabilities/index.js';
import { CapabilityDeniedError, ResponseTooLargeError } from './errors.js';
import type { HostCallHandler } from './workers/worker.js';

/** The `fetch` pool option: what the handler's `fetch` reaches instead of the network. */
export type FetchOverride = (request: Request) => Response | Promise<Response>;

/**
 * Host calls of a pool whose network is replaced by the `fetch` option (the
 * unit-test sandbox: mocked or recorded responses). The profile's rules run
 * first, as for the real network: the worker refuses `fetch` without
 * `allowNetwork`, and here the URL must pass the name rules
 * (`capabilities/network.ts`: scheme, `allowedDomains`). There is no lookup,
 * so the address rules have nothing to judge.
 */
export function createMockHostCall(fetch: FetchOverride, capabilities: Capabilities, maxBodyBytes: number): HostCallHandler {
  return async (args, { signal, onDenied }) => {
    const decision = checkUrl(args.url, capabilities);
    if (!decision.allowed) {
      onDenied({ capability: 'network', target: decision.target, rule: decision.rule });
      throw new CapabilityDeniedError(`Network access to ${decision.target} denied: ${decision.rule}. To allow it, ${decision.fix}.`);
    }
    const method = args.method.toUpperCase();
    const body = args.body === null || method === 'GET' || method === 'HEAD' ? null : new Uint8Array(args.body);
    const request = new Request(decision.url, { method, headers: args.headers, body, redirect: args.redirect ?? 'follow', signal });
    const response = await fetch(request);
    if (!(response instanceof Response)) {
      throw new TypeError(`The pool's fetch option must return a Response (or a Promise of one), but it returned ${typeof response}`);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength > maxBodyBytes) {
      throw new ResponseTooLargeError(`The mocked response body has ${bytes.byteLength} bytes, more than maxBodyBytes (${maxBodyBytes})`);
    }
    return {
      status: response.status,
      statusText: response.statusText,
      url: response.url || decision.url.href,
      redirected: response.redirected,
      headers: [...response.headers],
      body: bytes,
    };
  };
}
