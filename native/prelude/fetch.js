// fetch through the host: the worker sends a `call` (op fetch) and the host,
// which checks the profile on every hop, answers with the whole response.
import { native } from './native.js';
import { Request, requestBytes } from './request.js';
import { createFetchResponse } from './response.js';
import { headerList } from './headers.js';

export async function fetch(input, init = undefined) {
  const req = new Request(input, init);
  const signal = req.signal;
  signal.throwIfAborted();
  const bytes = await requestBytes(req);
  const args = {
    url: req.url,
    method: req.method,
    headers: headerList(req.headers).map(([n, v]) => [n, v]),
    body: bytes ? native.base64Encode(bytes) : null,
    redirect: req.redirect,
  };
  const call = native.hostCall('fetch', args);
  const result = await new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(
      (r) => {
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
  if (!result.ok) {
    const e = new TypeError(result.error?.message ?? 'fetch failed');
    if (result.error?.code) e.code = result.error.code;
    throw e;
  }
  return createFetchResponse(result.value);
}
