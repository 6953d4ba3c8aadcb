/**
 * Cases known to differ from Node today, with the reason. The suite asserts
 * that each of these still fails (so a fix shows up as a failing test that
 * asks for its entry to be removed here); everything else must match Node.
 *
 * Key: `<runtime>/<case>/<platform>`; `<case>` is the file name in cases/
 * without `.js`; `<platform>` is esbuild's `browser` or `node`.
 */
export const expectedGaps: Record<string, string> = {
  // Bun: the entry's guards (issue 9).
  'bun/qs/browser': 'allowEval false: the Function replacement has a fresh prototype, so call-bind fails at load',
  'bun/qs/node': "allowEval false: the static check refuses esbuild's __require shim",
  'bun/linkedom/browser': 'allowEval false: the static check refuses `typeof require`',
  'bun/linkedom/node': "allowEval false: the static check refuses esbuild's __require shim",
  'bun/cheerio/node': "allowEval false: the static check refuses esbuild's __require shim",
  'bun/papaparse/node': "allowEval false: the static check refuses esbuild's __require shim",
  'bun/yaml/node': "allowEval false: the static check refuses esbuild's __require shim",

  // QuickJS-NG: Web platform gaps.
  // QuickJS-NG: a --platform=node bundle expects Node's builtins, which QuickJS-NG does not have.
  'quickjs-ng/cheerio/node': 'node builtin: require("buffer")',
  'quickjs-ng/qs/node': 'node builtin: require("util")',
  'quickjs-ng/yaml/node': 'node builtin: require("process")',
  'quickjs-ng/nanoid/node': 'node builtin: import from "node:crypto"',
  'quickjs-ng/uuid/node': 'node builtin: import from "node:crypto"',
};
