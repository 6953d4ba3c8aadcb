
/** Layers that must be "on" for `requireOsSandbox` (netns is "off" by design when network is allowed). */
const REQUIRED_LAYERS = ['landlock', 'seccomp', 'rlimits', 'noNewPrivs'] as const;

/** Which OS layers are missing from a worker's report; an empty report means no fence at all. */
export function missingLayers(sandbox: Record<string, unknown>): string[] {
  const missing: string[] = REQUIRED_LAYERS.filter((layer) => sandbox[layer] !== 'on');
  for (const [layer, state] of Object.entries(sandbox)) {
    if ((state === 'unavailable' || state === 'error') && !missing.includes(layer)) missing.push(layer);
  }
  return missing;
}
