let lastActive = 0;

/** A sandbox on this thread runs code or gets a message now (spares.ts waits for a quiet thread). */
export function markActive(): void {
  lastActive = performance.now();
}

/** How long no sandbox on this thread has run anything (ms). */
export function quietForMs(): number {
  return performance.now() - lastActive;
}
