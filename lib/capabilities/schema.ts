import * as v from 'valibot';
import {
  DEFAULT_MAX_CPU,
  DEFAULT_MAX_FILE_DESCRIPTORS,
  DEFAULT_MAX_MEMORY,
  ProjectIdSchema,
  domainList,
  flag,
  limit,
  pathList,
} from './fields.js';

/** Names of every capability field, in schema order. */
export const CAPABILITY_FIELDS = [
  'projectId',
  'allowFilesystem',
  'allowedPaths',
  'readOnlyPaths',
  'allowNetwork',
  'allowedDomains',
  'allowChildProcess',
  'allowEval',
  'maxMemory',
  'maxCpu',
  'maxFileDescriptors',
] as const;

/**
 * Message for the object itself: not an object, a missing required field, or
 * an unknown field (typos are refused, not ignored).
 */
function objectMessage(issue: v.StrictObjectIssue): string {
  if (issue.expected === 'never') {
    return `unknown field; the capability fields are ${CAPABILITY_FIELDS.join(', ')}`;
  }
  if (issue.kind === 'schema' && issue.expected === 'Object') {
    return `capabilities must be an object, got ${issue.received}`;
  }
  return 'is required (the tenant id, a non-empty string)';
}

/**
 * A capability profile. Unknown fields are refused. Defaults for omitted
 * fields: every `allow*` flag `false`, every list empty, and the limits of the
 * `custom` profile (256 MB, 60 000 ms, 50 descriptors).
 */
export const CapabilitiesSchema = v.strictObject(
  {
    /** Tenant id, carried into logs and events. Required, non-empty. */
    projectId: ProjectIdSchema,
    /** Filesystem access at all. Default `false`. */
    allowFilesystem: flag(),
    /**
     * Absolute directories readable and writable when `allowFilesystem` is set;
     * empty (the default) means every path except `/proc`, `/sys`, `/dev`.
     */
    allowedPaths: pathList(),
    /** Absolute directories readable but never writable, even inside `allowedPaths`. Default `[]`. */
    readOnlyPaths: pathList(),
    /** Outbound HTTP(S) at all. Default `false`. */
    allowNetwork: flag(),
    /**
     * Hosts reachable when `allowNetwork` is set: `example.com`, `*.example.com`
     * (subdomains and the apex), `localhost`, IP literals. Empty (the default)
     * means every public address.
     */
    allowedDomains: domainList(),
    /** May spawn processes. Default `false`. */
    allowChildProcess: flag(),
    /** `eval` and the `Function` constructor. Default `false`. */
    allowEval: flag(),
    /** Memory limit in bytes, 0 = unlimited. Default 256 MB. */
    maxMemory: limit('bytes', DEFAULT_MAX_MEMORY),
    /** CPU time one invocation may burn, in ms, 0 = unlimited. Default 60 000. */
    maxCpu: limit('ms of CPU time', DEFAULT_MAX_CPU),
    /** Descriptors the handler may hold open beyond the runtime's own, 0 = unlimited. Default 50. */
    maxFileDescriptors: limit('open file descriptors', DEFAULT_MAX_FILE_DESCRIPTORS),
  },
  objectMessage,
);

/** What users pass: only `projectId` is required. */
export type CapabilitiesInput = v.InferInput<typeof CapabilitiesSchema>;

/** A validated profile: every field present, paths and hosts normalised. */
export type Capabilities = v.InferOutput<typeof CapabilitiesSchema>;
