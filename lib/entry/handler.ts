/** The three handler shapes a bundle may export (DESIGN.md). */
export type Handler = (request: Request, env: Record<string, string>, ctx: unknown) => unknown;

export function resolveHandler(module: Record<string, unknown>): Handler {
  const def = module['default'];
  if (typeof def === 'function') return def as Handler;
  if (typeof def === 'object' && def !== null && typeof (def as { fetch?: unknown }).fetch === 'function') {
    const target = def as { fetch: Handler };
    return (request, env, ctx) => target.fetch(request, env, ctx);
  }
  const named = module['handler'];
  if (typeof named === 'function') return named as Handler;
  throw new TypeError(
    'The bundle exports no handler. Export one of: `export default { fetch(request, env, ctx) {…} }`, ' +
      '`export default function (request, env, ctx) {…}`, or `export function handler(request) {…}`.',
  );
}
