import { isAbsolute, resolve } from 'node:path';
import * as v from 'valibot';
import { normalizeDomainPattern } from './domain-pattern.js';
import { neverGrantableRoot } from './paths.js';

/*
 * One valibot schema per kind of capability field. Messages say what is wrong
 * and what to pass instead; `validateCapabilities` prefixes the field path.
 */

/** Bytes of memory a `custom` profile (and an omitted `maxMemory`) gets: 256 MB. */
export const DEFAULT_MAX_MEMORY = 256 * 1024 * 1024;
/** CPU milliseconds a `custom` profile (and an omitted `maxCpu`) gets: 1 minute. */
export const DEFAULT_MAX_CPU = 60_000;
/** Descriptors a `custom` profile (and an omitted `maxFileDescriptors`) gets. */
export const DEFAULT_MAX_FILE_DESCRIPTORS = 50;

/** Tenant id: non-empty, at most 256 characters, no control characters. Required. */
export const ProjectIdSchema = v.pipe(
  v.string((issue) => `must be a non-empty string (the tenant id), got ${issue.received}`),
  v.nonEmpty('must be a non-empty string (the tenant id), got ""'),
  v.maxLength(256, (issue) => `must be at most 256 characters, got ${issue.received}`),
  // The id is written into logs and events; a newline could forge a log line.
  // eslint-disable-next-line no-control-regex
  v.check((id) => !/[\u0000-\u001f\u007f]/.test(id), 'must not contain control characters such as newlines'),
);

/** An optional boolean capability. Default `false`. */
export function flag() {
  return v.optional(v.boolean((issue) => `must be true or false, got ${issue.received}`), false);
}

/** Lexically normalised: `..` applied, duplicate and trailing slashes removed. */
function normalizeGrantPath(path: string): string {
  return resolve(path);
}

const GrantPathSchema = v.pipe(
  v.string((issue) => `must be an absolute path string, got ${issue.received}`),
  v.check((path) => isAbsolute(path) && !path.includes('\0'), (issue) => `must be an absolute path, got ${issue.received}`),
  v.transform(normalizeGrantPath),
  v.check(
    (path) => neverGrantableRoot(path) === undefined,
    (issue) => `${neverGrantableRoot(String(issue.input)) ?? '/proc'} is never grantable, got ${issue.received}; remove it`,
  ),
);

/**
 * An optional list of absolute directories, each lexically normalised, none
 * under `/proc`, `/sys` or `/dev`. Default `[]`. Symlinks are resolved at
 * check time (`checkPath`), not here: the directory may not exist yet.
 */
export function pathList() {
  return v.optional(
    v.array(GrantPathSchema, (issue) => `must be an array of absolute paths, got ${issue.received}`),
    () => [],
  );
}

const DomainPatternSchema = v.pipe(
  v.string((issue) => `must be a host name string, got ${issue.received}`),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const result = normalizeDomainPattern(dataset.value);
    if (result.ok) return result.value;
    addIssue({
      message: `${result.reason}, got ${JSON.stringify(dataset.value)}`,
    });
    return NEVER;
  }),
);

/** An optional list of `allowedDomains` entries, normalised by `normalizeDomainPattern`. Default `[]`. */
export function domainList() {
  return v.optional(
    v.array(DomainPatternSchema, (issue) => `must be an array of host names, got ${issue.received}`),
    () => [],
  );
}

/** An optional safe integer ≥ 0 (0 = unlimited), `unit` named in messages. Default `fallback`. */
export function limit(unit: string, fallback: number) {
  const message = (issue: { received: string }): string =>
    `must be an integer ≥ 0 (${unit}; 0 = unlimited), got ${issue.received}`;
  return v.optional(
    v.pipe(
      v.number(message),
      v.check((n) => Number.isSafeInteger(n) && n >= 0, message),
    ),
    fallback,
  );
}
