import { createRequire } from 'node:module';

/**
 * The precompiled alternatives of the genuine-eval cases (docs/eval-free-packages.md):
 * the template or schema is compiled once at build time, in Node, into module
 * source that the bundle imports. Keyed like eval-cases/; each exports `run()`
 * giving the same answer as the eval case.
 */
const require = createRequire(import.meta.url);

export async function precompiledCases(): Promise<Record<string, string>> {
  const Ajv = require('ajv') as typeof import('ajv').default;
  const standaloneCode = (require('ajv/dist/standalone') as { default: (ajv: unknown, v: unknown) => string }).default;
  const ajv = new Ajv({ allErrors: true, code: { source: true, esm: true } });
  const validate = ajv.compile({ type: 'object', properties: { a: { type: 'integer', minimum: 1 } }, required: ['a'] });
  const Handlebars = require('handlebars') as { precompile: (t: string) => string };
  const spec = Handlebars.precompile('Hi {{name}}! {{#each items}}[{{this}}]{{/each}} {{html}}');
  const { template } = (await import('lodash-es')) as unknown as { template: (t: string, o: object) => { source: string } };
  const lodashSource = template('Hi <%- data.name %>! <% data.items.forEach(function (i) { %>[<%= i %>]<% }); %>', {
    variable: 'data',
  }).source;
  return {
    // The generated module exports the validator; here it is inlined into the case, which exports run().
    'ajv-compile': `${standaloneCode(ajv, validate)
      .replace(/^"use strict";/, '')
      .replace(/export const validate = (\w+);export default \1;/, 'const validate = $1;')}
export async function run() { return [validate({ a: 2 }), validate({ a: 0 }), validate.errors.map((e) => e.keyword)]; }`,
    'handlebars-compile': `import Handlebars from 'handlebars/runtime';
const render = Handlebars.template(${spec});
export async function run() { return render({ name: 'Ada', items: ['x', 'y'], html: '<b>' }); }`,
    'lodash-template': `import { escape } from 'lodash-es';
const _ = { escape };
const render = ${lodashSource};
export async function run() { return render({ name: '<Ada>', items: ['x', 'y'] }); }`,
  };
}
