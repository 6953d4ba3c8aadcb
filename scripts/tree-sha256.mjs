// The pin of a source tree: sha256 over the sorted "<sha256>  <relative path>"
// lines of its files (the QJS_SRC_TREE_SHA256 of native/deps.lock). The
// version marker fetch-deps.sh adds is not part of the tree.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const NOT_IN_TREE = new Set(['.qjs-src-version']);

export function treeSha256(dir) {
  const lines = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (NOT_IN_TREE.has(entry.name)) continue;
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else lines.push(`${createHash('sha256').update(readFileSync(path)).digest('hex')}  ${relative(dir, path)}`);
    }
  };
  walk(dir);
  lines.sort();
  return createHash('sha256')
    .update(lines.join('\n') + '\n')
    .digest('hex');
}

/** The tree pin written in native/deps.lock. */
export function pinnedTreeSha256(lockFile) {
  return /^QJS_SRC_TREE_SHA256=([0-9a-f]{64})$/m.exec(readFileSync(lockFile, 'utf8'))?.[1];
}
