/*
 * Capability profiles: schema, presets, and the rules that enforce them.
 * `paths.ts` and `domains.ts` are dependency-free so workers can load them.
 */
export { CapabilitiesSchema, CAPABILITY_FIELDS, type Capabilities, type CapabilitiesInput } from './schema.js';
export { DEFAULT_MAX_CPU, DEFAULT_MAX_FILE_DESCRIPTORS, DEFAULT_MAX_MEMORY } from './fields.js';
export { validateCapabilities } from './validate.js';
export { profiles, type CapabilityOverrides } from './profiles.js';
export { checkPath, isInside, NEVER_GRANTABLE_ROOTS, type PathCapabilities, type PathDecision } from './paths.js';
export { matchDomain, normalizeHost } from './domains.js';
export { classifyAddress, type AddressClass } from './addresses.js';
export { checkAddress, type AddressDecision } from './address-policy.js';
export { checkUrl, type NetworkCapabilities, type NetworkRefusal, type UrlDecision } from './network.js';
export {
  guardedFetch,
  type GuardedFetchOptions,
  type GuardedRequest,
  type GuardedResponse,
  type NetworkDenial,
} from './guarded-fetch.js';
export type { ResolveHost, ResolvedAddress } from './pinned-lookup.js';
