import { ConfigError, Env, readEnum, readInt, readOptional } from '../config/env';
import { validateClientId } from '../domain/clientId';

/**
 * How records reach the client's workers (TENANCY):
 * - `shared`: every worker reads the shared topics and skips other clients' keys (N clients read
 *   N times the traffic; fine for a handful of clients);
 * - `routed`: one `kgroot router` reads the shared raw topics once and writes each record to its
 *   client's own topics (`{topic}.{client}`), which are the only topics a worker reads.
 */
export type TenancyMode = 'shared' | 'routed';

export interface TenancySettings {
  /** TENANCY: `shared` (default) or `routed`. */
  mode: TenancyMode;
  /**
   * DEFAULT_CLIENT_ID: the client of records whose key names none (a bare Event uid, a null log
   * key) — for a deployment that serves one cluster. Unset: such records are dead-lettered once by
   * the router.
   */
  defaultClient: string | null;
  /** TENANT_TOPIC_PARTITIONS: partitions of each per-client topic (default 3). */
  partitions: number;
  /** TENANT_TOPIC_RETENTION_HOURS: retention of the per-client raw and normalized topics (default 72). */
  retentionHours: number;
  /**
   * TENANT_TOPICS_ON_REMOVE: what a deregistration (tombstone) does to the client's topics:
   * `keep` (default: a client that comes back resumes from its offsets) or `delete`. A client that
   * only went silent always keeps them.
   */
  onRemove: 'keep' | 'delete';
  /**
   * ROUTER_UNREGISTERED_GRACE_SECONDS: how long the router holds a record of a valid client id whose
   * topics do not exist yet (it has not registered) before dead-lettering it (default 120).
   */
  unregisteredGraceMs: number;
}

export function loadTenancySettings(env: Env): TenancySettings {
  const raw = readOptional(env, 'DEFAULT_CLIENT_ID');
  let defaultClient: string | null = null;
  if (raw !== undefined) {
    const check = validateClientId(raw);
    if (!check.ok) throw new ConfigError('DEFAULT_CLIENT_ID', check.reason, 'Set it to a valid client id (a lowercase letter, then [a-z0-9-], 3 to 42 characters) or unset it');
    defaultClient = check.clientId;
  }
  return {
    mode: readEnum(env, 'TENANCY', ['shared', 'routed'] as const, 'shared'),
    defaultClient,
    partitions: readInt(env, 'TENANT_TOPIC_PARTITIONS', 3, { min: 1, max: 1000 }),
    retentionHours: readInt(env, 'TENANT_TOPIC_RETENTION_HOURS', 72, { min: 1, max: 24 * 365 }),
    onRemove: readEnum(env, 'TENANT_TOPICS_ON_REMOVE', ['keep', 'delete'] as const, 'keep'),
    unregisteredGraceMs: readInt(env, 'ROUTER_UNREGISTERED_GRACE_SECONDS', 120, { min: 0, max: 86_400 }) * 1000,
  };
}

/**
 * DEFAULT_CLIENT_ID as the options of resolveClient (src/tenancy/resolveClient.ts), which the
 * shared-topic workers, the graph builder and the topology builder's dead-lettering of records
 * naming no client use; validated by loadTenancySettings.
 */
export function loadTenancyOptions(env: Env): { defaultClient?: string } {
  const { defaultClient } = loadTenancySettings(env);
  return defaultClient === null ? {} : { defaultClient };
}
