/*
 * valibot's default messages describe its internals ("Expected never but
 * received "maxWorker"", "Expected Object but received Object"). This turns
 * any issue into the user's words: what is wrong with which option, and the
 * nearest known name for a typo. Messages a schema wrote itself are kept.
 */
import * as v from 'valibot';
import type { ValidationIssue } from './errors.js';

/** What a schema looks like from the outside, enough to walk it along a path. */
interface SchemaShape {
  type: string;
  entries?: Record<string, SchemaShape>;
  options?: readonly unknown[];
  wrapped?: SchemaShape;
  item?: SchemaShape;
  value?: SchemaShape;
}

/** valibot's own messages start like this; a schema's custom messages do not. */
const DEFAULT_MESSAGE = /^Invalid [a-z ]+: /i;

/** Levenshtein distance, with a swap of two neighbours counted as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `input`, if it is close enough to be a typo of it. */
export function nearestName(input: string, known: readonly string[]): string | undefined {
  const typed = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const lower = name.toLowerCase();
    const distance = editDistance(typed, lower);
    // A shortened name (`maxMem`) is as likely a slip as a typo.
    const abbreviation = typed.length >= 3 && (lower.startsWith(typed) || typed.startsWith(lower));
    if ((distance <= Math.max(2, Math.floor(typed.length / 3)) || abbreviation) && distance < bestDistance) {
      [best, bestDistance] = [name, distance];
    }
  }
  return best;
}

/** `unknown option 'maxWorker' — did you mean 'maxWorkers'?` */
export function unknownKeyMessage(noun: string, key: string, known: readonly string[]): string {
  const suggestion = nearestName(key, known);
  return suggestion === undefined
    ? `unknown ${noun} '${key}'; the ${noun}s are ${known.join(', ')}`
    : `unknown ${noun} '${key}' — did you mean '${suggestion}'?`;
}

function shapeOf(schema: unknown): SchemaShape {
  return schema as SchemaShape;
}

/** Optional and nullable wrappers say nothing about the shape inside. */
function unwrap(schema: SchemaShape): SchemaShape {
  let s = schema;
  while (s.wrapped !== undefined) s = s.wrapped;
  return s;
}

/** The schema at `keys` below `schema` (a union's option that has the key), if it can be found. */
function schemaAt(schema: SchemaShape, keys: readonly unknown[]): SchemaShape | undefined {
  let current: SchemaShape | undefined = unwrap(schema);
  for (const key of keys) {
    if (current === undefined) return undefined;
    if (current.type === 'union') {
      current = current.options
        ?.map(shapeOf)
        .find((o) => typeof key === 'string' && unwrap(o).entries?.[key] !== undefined);
      if (current === undefined) return undefined;
      current = unwrap(current);
    }
    const next: SchemaShape | undefined =
      current.entries !== undefined
        ? current.entries[String(key)]
        : current.type === 'record'
          ? current.value
          : current.item;
    current = next === undefined ? undefined : unwrap(next);
  }
  return current;
}

/** `{ code, filename? }`: an object schema's keys, optional ones marked. */
function describeObject(schema: SchemaShape): string {
  const keys = Object.entries(schema.entries ?? {}).map(([key, s]) => (s.type === 'optional' ? `${key}?` : key));
  return `{ ${keys.join(', ')} }`;
}

function describeValue(input: unknown): string {
  if (input === null || typeof input !== 'object')
    return typeof input === 'string' ? JSON.stringify(input) : String(input);
  if (Array.isArray(input)) return 'an array';
  const keys = Object.keys(input);
  return keys.length === 0 ? '{}' : `an object with ${keys.join(', ')}`;
}

const ARTICLE: Record<string, string> = {
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  Object: 'an object',
  Array: 'an array',
  bigint: 'a bigint',
  function: 'a function',
};

/**
 * Rewrites each of `issues` (from parsing with `schema`) as `{ path, message }`
 * in the user's words. `noun` names the keys of objects: `option`, `field`.
 */
export function describeIssues(
  schema: unknown,
  issues: readonly v.BaseIssue<unknown>[],
  noun: string,
  prefix: readonly unknown[] = [],
): ValidationIssue[] {
  const root = shapeOf(schema);
  const out: ValidationIssue[] = [];
  for (const issue of issues) {
    const keys = [...prefix, ...(issue.path ?? []).map((item) => item.key)];
    const path = keys.join('.');
    const custom = !DEFAULT_MESSAGE.test(issue.message);
    if (custom) {
      out.push({ path, message: issue.message });
      continue;
    }
    if ((issue.type === 'strict_object' || issue.type === 'object') && issue.expected === 'never') {
      const parent = schemaAt(root, keys.slice(prefix.length, -1));
      const known = Object.keys(parent?.entries ?? {});
      out.push({ path, message: unknownKeyMessage(noun, String(keys.at(-1)), known) });
      continue;
    }
    if (issue.kind === 'schema' && issue.received === 'undefined' && /^"/.test(issue.expected ?? '')) {
      out.push({ path, message: 'is required' });
      continue;
    }
    if (issue.type === 'union') {
      out.push(...describeUnion(root, issue, keys.slice(prefix.length), prefix, noun));
      continue;
    }
    out.push({ path, message: describeSimple(root, issue, keys.slice(prefix.length)) });
  }
  return out;
}

/**
 * A union of objects: when the input's keys pick one option, that option's
 * own problems; otherwise what the union accepts.
 */
function describeUnion(
  root: SchemaShape,
  issue: v.BaseIssue<unknown>,
  keys: readonly unknown[],
  prefix: readonly unknown[],
  noun: string,
): ValidationIssue[] {
  const path = [...prefix, ...keys].join('.');
  const union = schemaAt(root, keys);
  const options = (union?.options ?? []).map((o) => unwrap(shapeOf(o)));
  const input = issue.input;
  if (options.length > 0 && options.every((o) => o.entries !== undefined)) {
    if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
      // The option sharing the most keys with the input, if only one does.
      const inputKeys = Object.keys(input);
      const scores = options.map((o) => inputKeys.filter((k) => o.entries![k] !== undefined).length);
      const best = Math.max(...scores);
      if (best > 0 && scores.filter((score) => score === best).length === 1) {
        const option = options[scores.indexOf(best)]!;
        const result = v.safeParse(option as unknown as v.GenericSchema, input);
        if (!result.success) return describeIssues(option, result.issues, noun, [...prefix, ...keys]);
      }
    }
    const shapes = options.map(describeObject).join(' or ');
    return [
      {
        path,
        message: input === undefined ? `is required: ${shapes}` : `must be ${shapes}, got ${describeValue(input)}`,
      },
    ];
  }
  return [{ path, message: `must be ${issue.expected ?? 'something else'}, got ${issue.received}` }];
}

function describeSimple(root: SchemaShape, issue: v.BaseIssue<unknown>, keys: readonly unknown[]): string {
  const { expected, received } = issue;
  switch (issue.type) {
    case 'picklist': {
      const choices = (schemaAt(root, keys)?.options ?? []).map(String);
      const suggestion = typeof issue.input === 'string' ? nearestName(issue.input, choices) : undefined;
      const hint = suggestion === undefined ? '' : ` — did you mean '${suggestion}'?`;
      const list = choices.map((c) => `'${c}'`).join(', ');
      return issue.input === undefined
        ? `is required: one of ${list}`
        : `must be one of ${list}, got ${received}${hint}`;
    }
    case 'min_value':
      return `must be at least ${expected?.replace(/^>=/, '')}, got ${received}`;
    case 'max_value':
      return `must be at most ${expected?.replace(/^<=/, '')}, got ${received}`;
    case 'safe_integer':
    case 'integer':
      return `must be a whole number, got ${received}`;
    default:
      if (issue.kind === 'schema' && expected !== null)
        return `must be ${ARTICLE[expected] ?? expected}, got ${received}`;
      return `${issue.message.replace(DEFAULT_MESSAGE, '')}`;
  }
}
