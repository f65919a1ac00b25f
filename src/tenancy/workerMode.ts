import { ConfigError, Env, readEnum, readInt } from '../config/env';
import type { TenancyMode } from './tenancyConfig';

/**
 * WORKER_MODE: how the control plane runs a client's workers.
 * - `per-client` (default): three processes per client (event normalizer, log normalizer, graph
 *   builder), each reading its own client's topics;
 * - `pooled`: one event-normalizer pool and one log-normalizer pool serve every client (started once,
 *   by `kgroot start` or the deployment), each reading all clients' per-client topics with one
 *   consumer; the control plane spawns only the graph builder per client.
 * Pooled needs TENANCY=routed: the client of a record is taken from its per-client topic, which
 * only the router (or a producer whose ACLs allow only its own topics) writes.
 */
export type WorkerMode = 'per-client' | 'pooled';

export function loadWorkerMode(env: Env, tenancy: TenancyMode): WorkerMode {
  const mode = readEnum(env, 'WORKER_MODE', ['per-client', 'pooled'] as const, 'per-client');
  if (mode === 'pooled' && tenancy !== 'routed') {
    throw new ConfigError(
      'WORKER_MODE',
      `pooled needs TENANCY=routed (the pool takes each record's client from its per-client topic), got TENANCY=${tenancy}`,
      'Set TENANCY=routed, or unset WORKER_MODE for one process per client and role',
    );
  }
  return mode;
}

/** The worker roles the control plane spawns per client in each mode (the pools serve the normalizer roles). */
export function perClientRoles<R extends string>(mode: WorkerMode, all: readonly R[], pooled: readonly R[]): R[] {
  return mode === 'pooled' ? all.filter((r) => !pooled.includes(r)) : [...all];
}

/**
 * What every pool's consumer reads the same way: POOL_TOPIC_REFRESH_MS (how often the topic list
 * is read, so a client registered meanwhile is served; default 5000) and POOL_FETCH_WAIT_MS (how
 * long the broker holds an empty fetch; default 500).
 */
export function loadPoolConsumerSettings(env: Env): { topicRefreshMs: number; fetchWaitMs: number } {
  return {
    topicRefreshMs: readInt(env, 'POOL_TOPIC_REFRESH_MS', 5000, { min: 100, max: 3_600_000 }),
    fetchWaitMs: readInt(env, 'POOL_FETCH_WAIT_MS', 500, { min: 10, max: 300_000 }),
  };
}
