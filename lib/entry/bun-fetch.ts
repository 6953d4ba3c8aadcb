import { send } from './channel.js';

interface Pending {
  resolve: (response: Response) => void;
  reject: (error: Error) => void;
}

/**
 * `fetch` inside the worker: the request goes to the host as a `call`, the
 * host checks the profile on every hop and performs it. The worker never
 * opens a socket of its own.
 */
export function createHostFetch(currentId: () => number, maxBodyBytes: number, allowNetwork: boolean) {
  const pending = new Map<number, Pending>();
  let nextCall = 1;

  async function hostFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const id = currentId();
    const request = new Request(input, init);
    if (!allowNetwork) {
      send({ id, type: 'denied', payload: { capability: 'network', target: request.url, rule: 'allowNetwork is false' } });
      const error = new Error(`network access to ${request.url} is not allowed: allowNetwork is false`);
      (error as Error & { code: string }).code = 'CAPABILITY_DENIED';
      throw error;
    }
    const body = request.body === null ? null : new Uint8Array(await request.arrayBuffer());
    if (body !== null && body.byteLength > maxBodyBytes) {
      throw new RangeError(`fetch body of ${body.byteLength} bytes exceeds the limit of ${maxBodyBytes}`);
    }
    const call = nextCall++;
    const result = new Promise<Response>((resolve, reject) => pending.set(call, { resolve, reject }));
    send({
      id,
      type: 'call',
      payload: {
        call,
        op: 'fetch',
        args: {
          url: request.url,
          method: request.method,
          headers: [...request.headers],
          body: body === null ? null : Buffer.from(body).toString('base64'),
          redirect: request.redirect,
        },
      },
    });
    return result;
  }

  function settle(payload: Record<string, unknown>): void {
    const call = Number(payload['call']);
    const entry = pending.get(call);
    if (entry === undefined) return;
    pending.delete(call);
    if (payload['ok'] === true) {
      const value = payload['value'] as {
        status: number;
        statusText: string;
        headers: [string, string][];
        body: string | null;
        url: string;
        redirected: boolean;
      };
      const body = value.body === null ? null : Buffer.from(value.body, 'base64');
      const nullBody = value.status === 204 || value.status === 304 || (value.status >= 100 && value.status < 200);
      const response = new Response(nullBody ? null : body, {
        status: value.status,
        statusText: value.statusText,
        headers: value.headers,
      });
      // A constructed Response has no url and is never "redirected"; carry the real ones.
      Object.defineProperty(response, 'url', { value: value.url });
      Object.defineProperty(response, 'redirected', { value: value.redirected });
      entry.resolve(response);
    } else {
      const failure = payload['error'] as { code: string; message: string };
      const error = new TypeError(failure.message);
      (error as TypeError & { code: string }).code = failure.code;
      entry.reject(error);
    }
  }

  return { fetch: hostFetch as typeof fetch, settle };
}
