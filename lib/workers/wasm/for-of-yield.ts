import { createRequire } from 'node:module';
import type { Node } from 'acorn';

/**
 * The QuickJS-NG inside quickjs-emscripten (0.12.1) cannot compile a
 * `yield` in the iterable of a `for…of`: `function* g(t) { for (const c of
 * yield t) {} }` fails with "InternalError: stack underflow" when the module
 * loads, and with it every bundle that holds one anywhere (liquidjs does). The
 * native runtime's QuickJS-NG compiles it. Nothing newer of the WebAssembly
 * build is published, so the handler's source is rewritten before it reaches
 * the engine: such a loop becomes a block that evaluates the iterable first,
 *
 *   for (const c of yield t) body   →   {const $v=(yield t);for (const c of $v) body}
 *
 * which is what the loop does anyway, but for one case no real code relies
 * on: the loop's own `let`/`const` names are no longer in their dead zone
 * while the iterable runs. Labels move into the block with their loop, so
 * `continue label` still names it. No line breaks are added or dropped, so
 * lines after the loop do not move; within it, the iterable's lines come
 * before the loop's head.
 *
 * The sandbox rewrites only a bundle the engine refused with that error
 * (sandbox.ts): a compile error comes before any of the module runs, so the
 * retry is safe, and no other bundle pays for a parse or for loading acorn
 * (23 ms). Source that does not hold both words is returned without a
 * parse, and source acorn cannot parse as it is. `eval`'d code (with
 * `allowEval`) is not rewritten.
 */

/** The engine's message for it. */
export const FOR_OF_YIELD_FAILURE = /^stack underflow \(op=\d+, pc=\d+\)$/;

type AnyNode = Node & Record<string, unknown>;

interface Target {
  /** The statement replaced: the loop, or the outermost label around it. */
  start: number;
  end: number;
  /** The iterable's expression. */
  rhsStart: number;
  rhsEnd: number;
}

const CACHE_SIZE = 8;
const cache = new Map<string, string>();

/**
 * The rewrite of a source this thread already rewrote, so that the pool's
 * next sandboxes load it at once instead of failing to compile it first;
 * undefined for any other (the lookup is skipped while no source needed one).
 */
export function knownRewrite(source: string): string | undefined {
  return cache.size === 0 ? undefined : cache.get(source);
}

/** `source` with every `for…of` whose iterable holds a `yield` rewritten (see above); remembered for the next sandbox of the same source. */
export function hoistYieldFromForOf(source: string): string {
  if (!/\byield\b/.test(source) || !/\bfor\b/.test(source)) return source;
  let out = cache.get(source);
  if (out === undefined) {
    out = rewrite(source);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(source, out);
  }
  return out;
}

function rewrite(source: string): string {
  let program: AnyNode;
  try {
    // Loaded on first use: most sandboxes never need it.
    const { parse } = createRequire(import.meta.url)('acorn') as typeof import('acorn');
    program = parse(source, { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true }) as unknown as AnyNode;
  } catch {
    return source;
  }
  const targets = findTargets(program);
  if (targets.length === 0) return source;
  const prefix = freshPrefix(source);
  let next = 0;

  // The text of [from, to) with every target wholly inside it rewritten (targets may nest).
  const span = (from: number, to: number): string => {
    let text = '';
    let at = from;
    for (const t of targets) {
      if (t.start < at || t.end > to) continue;
      text += source.slice(at, t.start) + rewritten(t);
      at = t.end;
    }
    return text + source.slice(at, to);
  };
  const rewritten = (t: Target): string => {
    const name = `${prefix}${next++}`;
    return `{const ${name}=(${span(t.rhsStart, t.rhsEnd)});${span(t.start, t.rhsStart)}${name}${span(t.rhsEnd, t.end)}}`;
  };
  return span(0, source.length);
}

/** The loops to rewrite, in source order (an outer one before those inside it). */
function findTargets(program: AnyNode): Target[] {
  const targets: Target[] = [];
  const visit = (node: AnyNode, labelStart: number | undefined): void => {
    if (node.type === 'ForOfStatement') {
      const right = node['right'] as AnyNode;
      if (holdsOwnYield(right)) targets.push({ start: labelStart ?? node.start, end: node.end, rhsStart: right.start, rhsEnd: right.end });
    }
    for (const child of children(node)) {
      // A label's loop is replaced together with the label, so that `continue label` still names a loop.
      const chained = node.type === 'LabeledStatement' && child === node['body'] ? (labelStart ?? node.start) : undefined;
      visit(child, chained);
    }
  };
  visit(program, undefined);
  return targets.sort((a, b) => a.start - b.start);
}

/** Whether `node` holds a `yield` of the function it is in (not one of a function nested in it). */
function holdsOwnYield(node: AnyNode): boolean {
  if (node.type === 'YieldExpression') return true;
  if (/Function/.test(node.type)) return false;
  return children(node).some(holdsOwnYield);
}

function children(node: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'loc') continue;
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) out.push(item);
    } else if (isNode(value)) {
      out.push(value);
    }
  }
  return out;
}

function isNode(value: unknown): value is AnyNode {
  return value !== null && typeof value === 'object' && typeof (value as AnyNode).type === 'string';
}

/** An identifier prefix that occurs nowhere in `source`, so no name made from it can clash. */
function freshPrefix(source: string): string {
  for (let i = 0; ; i++) {
    const prefix = `$bbof${i.toString(36)}_`;
    if (!source.includes(prefix)) return prefix;
  }
}
