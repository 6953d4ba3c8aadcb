import { afterEach, describe, expect, it } from 'vitest';
import { profiles, type DenialEvent, type Pool } from 'bunbase-functions';
import { pool } from '../helpers.js';

const ROADS: Record<string, string> = {
  eval: `eval('1 + 1')`,
  indirectEval: `(0, eval)('1 + 1')`,
  Function: `new Function('return 1')()`,
  functionConstructor: `(function () {}).constructor('return 1')()`,
  asyncFunction: `(async function () {}).constructor('return 1')`,
  generatorFunction: `(function* () {}).constructor('yield 1')`,
  asyncGeneratorFunction: `(async function* () {}).constructor('yield 1')`,
  reflect: `Reflect.construct(Function, ['return 1'])()`,
  viaResponse: `new Response('').constructor.constructor('return 1')()`,
};

const HANDLER = `export default { fetch(req) {
  const out = {};
  for (const [name, code] of Object.entries(${JSON.stringify(ROADS)})) {
    try { out[name] = 'ran: ' + String(globalThis.eval === undefined ? '' : (0, globalThis['ev' + 'al'])(code)); }
    catch (e) { out[name] = e.name; }
  }
  return Response.json(out);
} }`;

describe('quickjs-wasm: eval and the Function constructors', () => {
  let p: Pool | undefined;
  afterEach(async () => p?.close());

  it('every road refuses with EvalError and reports an eval denial when allowEval is false', async () => {
    // The roads are written directly in the handler, not passed through eval.
    const direct = `export default { fetch() {
      const out = {};
      ${Object.entries(ROADS)
        .map(([name, code]) => `try { out.${name} = 'ran: ' + String(${code}); } catch (e) { out.${name} = e.name; }`)
        .join('\n')}
      return Response.json(out);
    } }`;
    p = pool('quickjs-wasm', direct);
    const denials: DenialEvent[] = [];
    p.on('denied', (d) => denials.push(d));
    const res = await p.invoke({ path: '/' });
    const seen = res.json() as Record<string, string>;
    for (const name of Object.keys(ROADS)) expect(seen[name], name).toBe('EvalError');
    expect(denials.length).toBeGreaterThanOrEqual(Object.keys(ROADS).length);
    expect(denials.every((d) => d.capability === 'eval')).toBe(true);
  });

  it('positive control: with allowEval the same roads run', async () => {
    p = pool('quickjs-wasm', HANDLER, { capabilities: profiles.custom('test-project', { allowEval: true }) });
    const seen = (await p.invoke({ path: '/' })).json() as Record<string, string>;
    expect(seen['eval']).toBe('ran: 2');
    expect(seen['Function']).toBe('ran: 1');
  });
});
