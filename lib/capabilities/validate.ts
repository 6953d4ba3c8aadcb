import * as v from 'valibot';
import { InvalidCapabilitiesError, type ValidationIssue } from '../errors.js';
import { unknownKeyMessage } from '../validation-messages.js';
import { deepFreeze } from './freeze.js';
import { CAPABILITY_FIELDS, CapabilitiesSchema, type Capabilities } from './schema.js';

/** Outcome of `parseCapabilities`. */
export type ParseResult = { ok: true; value: Capabilities } | { ok: false; issues: ValidationIssue[] };

const KNOWN_FIELDS: ReadonlySet<string> = new Set(CAPABILITY_FIELDS);

/**
 * Validates without throwing and lists every issue. valibot's `strictObject`
 * reports only the first unknown field, so unknown fields are listed here,
 * one issue each.
 */
export function parseCapabilities(input: unknown): ParseResult {
  const result = v.safeParse(CapabilitiesSchema, input);
  if (result.success) return { ok: true, value: deepFreeze(result.output) };
  const issues: ValidationIssue[] = [];
  let unknownFields = false;
  for (const issue of result.issues) {
    if (issue.type === 'strict_object' && issue.expected === 'never') {
      unknownFields = true;
      continue;
    }
    issues.push({ path: v.getDotPath(issue) ?? '', message: issue.message });
  }
  if (unknownFields && typeof input === 'object' && input !== null) {
    for (const key of Object.keys(input)) {
      if (!KNOWN_FIELDS.has(key)) issues.push({ path: key, message: unknownKeyMessage('field', key, CAPABILITY_FIELDS) });
    }
  }
  return { ok: false, issues };
}

/** Builds the error for `issues`, naming each field with what is wrong. */
export function createInvalidCapabilitiesError(issues: readonly ValidationIssue[]): InvalidCapabilitiesError {
  const details = issues.map((issue) => (issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`));
  return new InvalidCapabilitiesError(`Invalid capabilities: ${details.join('; ')}`, issues);
}

/**
 * Validates a capability profile and returns it with defaults filled in,
 * paths and hosts normalised, deeply frozen.
 *
 * @throws InvalidCapabilitiesError (`INVALID_CAPABILITIES`) whose `issues`
 * list every bad field (`{ path: 'allowedPaths.0', message }`) and whose
 * message names them all.
 */
export function validateCapabilities(input: unknown): Capabilities {
  const result = parseCapabilities(input);
  if (!result.ok) throw createInvalidCapabilitiesError(result.issues);
  return result.value;
}
