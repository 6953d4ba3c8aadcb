/**
 * Cases known to differ from Node today, with the reason. The suite asserts
 * that each of these still fails (so a fix shows up as a failing test that
 * asks for its entry to be removed here); everything else must match Node.
 *
 * Key: `<runtime>/<case>/<platform>`; `<case>` is the file name in cases/
 * without `.js`; `<platform>` is esbuild's `browser` or `node`.
 */
export const expectedGaps: Record<string, string> = {
  // QuickJS-NG: Web platform gaps.
  // QuickJS-NG: a --platform=node bundle expects Node's builtins, which QuickJS-NG does not have.
  'quickjs-ng/cheerio/node': 'node builtin: require("buffer")',
  'quickjs-ng/qs/node': 'node builtin: require("util")',
  'quickjs-ng/yaml/node': 'node builtin: require("process")',
  'quickjs-ng/nanoid/node': 'node builtin: import from "node:crypto"',
  'quickjs-ng/uuid/node': 'node builtin: import from "node:crypto"',
  'quickjs-ng/react/node': 'node builtin: require("util") (react-dom/server.node)',
  'quickjs-ng/react-stream/node': 'node builtin: require("util") (react-dom/server.node)',

  // quickjs-wasm: the same prelude on the same engine family, so the same gaps.
  'quickjs-wasm/cheerio/node': 'node builtin: require("buffer")',
  'quickjs-wasm/qs/node': 'node builtin: require("util")',
  'quickjs-wasm/yaml/node': 'node builtin: require("process")',
  'quickjs-wasm/nanoid/node': 'node builtin: import from "node:crypto"',
  'quickjs-wasm/uuid/node': 'node builtin: import from "node:crypto"',
  'quickjs-wasm/react/node': 'node builtin: require("util") (react-dom/server.node)',
  'quickjs-wasm/react-stream/node': 'node builtin: require("util") (react-dom/server.node)',
};
