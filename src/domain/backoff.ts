/** Bounds of an exponential backoff: the first wait and the longest, ms. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/**
 * The wait before retry number `attempt` (1 = the first retry): `initialMs`, doubling per
 * attempt, never more than `maxMs`. The one definition of `min(max, base × 2^n)` for every retry
 * loop of the tree (graph writes, sends, worker calls, worker restarts).
 *
 * @example backoffMs(1, { initialMs: 500, maxMs: 10_000 }) // 500
 *          backoffMs(3, { initialMs: 500, maxMs: 10_000 }) // 2000
 *          backoffMs(99, { initialMs: 500, maxMs: 10_000 }) // 10000
 */
export function backoffMs(attempt: number, b: Backoff): number {
  const n = Math.max(0, Math.min(attempt - 1, 52));
  return Math.min(b.maxMs, b.initialMs * 2 ** n);
}
