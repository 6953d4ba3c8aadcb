import type { IncomingMessage, ServerResponse } from 'node:http';
import { FunctionsError, type ErrorCode } from '../errors.js';
import type { Registry } from './registry.js';

/** Options of `createRequestListener`. */
export interface RequestListenerOptions {
  /** Largest request body read; a larger one gets 413 before any worker sees it. Default 32 MiB. */
  maxBodyBytes?: number;
}

/** The HTTP status an error code is answered with. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  FUNCTION_NOT_FOUND: 404,
  INVALID_REQUEST: 400,
  BODY_TOO_LARGE: 413,
  QUOTA_EXCEEDED: 429,
  QUEUE_FULL: 503,
  POOL_CLOSED: 503,
  TIMEOUT: 504,
  CPU_LIMIT: 504,
  HANDLER_ERROR: 502,
  WORKER_CRASHED: 502,
  MEMORY_LIMIT: 502,
  RESPONSE_TOO_LARGE: 502,
  CAPABILITY_DENIED: 502,
};

/** Connection-level headers belong to one hop; they are neither passed in nor sent back. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'content-length']);

class BodyLimit extends Error {}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) throw new BodyLimit();
    chunks.push(chunk);
  }
  return chunks.length === 0 ? null : Buffer.concat(chunks);
}

function sendError(res: ServerResponse, code: string, message: string, status: number): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }));
}

/**
 * A Node request listener that routes `/<projectId>/<name>/<rest>` to the
 * function `name` of `projectId`, which sees `/<rest>` with the query.
 * Use it alone (`http.createServer(listener)`) or mounted: express's
 * `app.use('/functions', listener)` hands it the path below the mount point
 * and its `next`, called for paths that name no function.
 * Failures are answered with a status from their code and a JSON body
 * `{ error: { code, message } }`.
 */
export function createRequestListener(
  registry: Registry,
  options: RequestListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void {
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
  return (req, res, next) => {
    void (async () => {
      const raw = req.url ?? '/';
      const queryAt = raw.indexOf('?');
      const pathname = queryAt === -1 ? raw : raw.slice(0, queryAt);
      const [, projectSegment = '', nameSegment = '', ...rest] = pathname.split('/');
      let projectId: string;
      let name: string;
      try {
        projectId = decodeURIComponent(projectSegment);
        name = decodeURIComponent(nameSegment);
      } catch {
        sendError(res, 'INVALID_REQUEST', 'The path is not valid percent-encoding', 400);
        return;
      }
      const record = projectId === '' || name === '' ? undefined : await registry.find(projectId, name);
      if (record === undefined) {
        if (next !== undefined) next();
        else sendError(res, 'FUNCTION_NOT_FOUND', `No function ${JSON.stringify(name)} in project ${JSON.stringify(projectId)}`, 404);
        return;
      }
      let body: Buffer | null;
      try {
        body = await readBody(req, maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyLimit) sendError(res, 'BODY_TOO_LARGE', `The request body exceeds ${maxBodyBytes} bytes`, 413);
        else res.destroy();
        return;
      }
      const headers: [string, string][] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const header = req.rawHeaders[i]!;
        if (!HOP_BY_HOP.has(header.toLowerCase())) headers.push([header, req.rawHeaders[i + 1]!]);
      }
      // A client that goes away cancels its invocation.
      const aborter = new AbortController();
      const onClose = (): void => {
        if (!res.writableFinished) aborter.abort();
      };
      res.once('close', onClose);
      try {
        const response = await registry.invoke(
          record.id,
          { method: req.method ?? 'GET', path: '/' + rest.join('/') + (queryAt === -1 ? '' : raw.slice(queryAt)), headers, body },
          { signal: aborter.signal },
        );
        const out: string[] = [];
        for (const [header, value] of response.headerList) if (!HOP_BY_HOP.has(header)) out.push(header, value);
        res.writeHead(response.status, response.statusText || undefined, out).end(response.body);
      } catch (error) {
        if (error instanceof FunctionsError) sendError(res, error.code, error.message, STATUS[error.code] ?? 500);
        else sendError(res, 'INTERNAL', 'The request could not be served', 500);
      } finally {
        res.off('close', onClose);
      }
    })();
  };
}
