// How the benches' contenders take turns, and how calls are kept in flight.
// No imports: benches that load several package roots use it too.

/**
 * The [index, item] pairs of `items` in the order of turn `round`: each round
 * starts one further along, so that over the rounds every contender comes
 * first, and after each other contender, equally often. Measured always in one
 * order, a contender ran in the wake of the same neighbour every time (its
 * garbage collected, its processes torn down, its caches left cold): in a
 * throughput probe on the 2-core machine, whichever of two identical pools
 * ran first in each round had 1.6x to 2x the host CPU per call of the other.
 */
export function inTurn(items, round) {
  return items.map((_, i) => (i + round) % items.length).map((k) => [k, items[k]]);
}

/** Makes `total` calls of `call`, `lanes` of them outstanding at any time (each lane starts the next as its last answers). */
export async function callsInFlight(lanes, total, call) {
  let sent = 0;
  const lane = async () => {
    while (sent < total) {
      sent++;
      await call();
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}
