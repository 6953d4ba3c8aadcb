import type { ValidationIssue } from '../errors.js';
import { DEFAULT_MAX_CPU, DEFAULT_MAX_FILE_DESCRIPTORS, DEFAULT_MAX_MEMORY } from './fields.js';
import type { Capabilities, CapabilitiesInput } from './schema.js';
import { createInvalidCapabilitiesError, parseCapabilities, validateCapabilities } from './validate.js';

const MB = 1024 * 1024;

/** Everything `custom` accepts: any capability field but `projectId`. */
export type CapabilityOverrides = Omit<CapabilitiesInput, 'projectId'>;

/**
 * The original system's presets. Each returns a validated, deeply frozen
 * plain object, and throws `InvalidCapabilitiesError` for a bad `projectId`.
 */
export const profiles = {
  /** Nothing allowed; 100 MB memory, 30 000 ms CPU, 10 descriptors. */
  strict(projectId: string): Capabilities {
    return validateCapabilities({ projectId, maxMemory: 100 * MB, maxCpu: 30_000, maxFileDescriptors: 10 });
  },

  /**
   * Everything allowed: every path but `/proc`, `/sys`, `/dev` (empty
   * `allowedPaths`), every public address (empty `allowedDomains`), child
   * processes, eval; 512 MB memory, 300 000 ms CPU, 100 descriptors.
   */
  permissive(projectId: string): Capabilities {
    return validateCapabilities({
      projectId,
      allowFilesystem: true,
      allowNetwork: true,
      allowChildProcess: true,
      allowEval: true,
      maxMemory: 512 * MB,
      maxCpu: 300_000,
      maxFileDescriptors: 100,
    });
  },

  /**
   * Nothing allowed unless `overrides` says so; 256 MB memory, 60 000 ms CPU,
   * 50 descriptors unless overridden. Overrides are validated like any
   * profile, unknown fields refused; `projectId` belongs in the first argument.
   */
  custom(projectId: string, overrides: CapabilityOverrides = {}): Capabilities {
    const issues: ValidationIssue[] = [];
    let fields: object = {};
    if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
      issues.push({ path: '', message: 'overrides must be an object of capability fields' });
    } else {
      fields = overrides;
      if (Object.hasOwn(overrides, 'projectId')) {
        issues.push({ path: 'projectId', message: 'pass the project id as the first argument of profiles.custom, not in overrides' });
      }
    }
    const result = parseCapabilities({
      maxMemory: DEFAULT_MAX_MEMORY,
      maxCpu: DEFAULT_MAX_CPU,
      maxFileDescriptors: DEFAULT_MAX_FILE_DESCRIPTORS,
      ...fields,
      projectId,
    });
    if (!result.ok) issues.push(...result.issues);
    if (issues.length > 0 || !result.ok) throw createInvalidCapabilitiesError(issues);
    return result.value;
  },
} as const;
