import { totalmem } from 'node:os';
import { ConfigError, Env, readList, readNumber, readOptional } from '../../src/config/env';
import { validateClientId } from '../../src/domain/clientId';
import { LifecyclePolicy } from './lifecycleTypes';

/** What one client costs on this machine: three workers of ~150 MiB RSS each (perf/RESULTS.md, idle workers). */
export const CLIENT_MEMORY_BYTES = 3 * 150 * 1024 * 1024;

/**
 * The default MAX_CLIENTS: as many clients as half the machine's memory holds at three workers each
 * (24 GiB → 27), at least 1 — so a burst of registrations cannot spawn more workers than the
 * machine can run. Set MAX_CLIENTS to raise it (workers on other machines) or 0 for no limit.
 */
export function defaultMaxClients(totalMemoryBytes: number): number {
  return Math.max(1, Math.floor((totalMemoryBytes * 0.5) / CLIENT_MEMORY_BYTES));
}

export interface LifecycleConfig extends LifecyclePolicy {
  /** How often staleness is checked (HEARTBEAT_CHECK_INTERVAL_SECONDS, 30). */
  checkIntervalMs: number;
  /** The registry replay counts as done after this long even if its end was not seen (REGISTRY_REPLAY_TIMEOUT_SECONDS, 30). */
  replayTimeoutMs: number;
  /** Clients whose workers are being started at once (SPAWN_CONCURRENCY, 4); the others wait their turn. */
  spawnConcurrency: number;
}

/**
 * Reads the lifecycle settings. STALE_CLIENT_THRESHOLD_SECONDS, when set, overrides
 * STALE_CLIENT_THRESHOLD_MINUTES (tests and benchmarks use seconds).
 */
export function loadLifecycleConfig(env: Env, totalMemoryBytes = totalmem()): LifecycleConfig {
  const checkIntervalMs = readNumber(env, 'HEARTBEAT_CHECK_INTERVAL_SECONDS', 30, { min: 0.05, max: 3600 }) * 1000;
  const staleAfterMs =
    readOptional(env, 'STALE_CLIENT_THRESHOLD_SECONDS') !== undefined
      ? readNumber(env, 'STALE_CLIENT_THRESHOLD_SECONDS', 120, { min: 0.1 }) * 1000
      : readNumber(env, 'STALE_CLIENT_THRESHOLD_MINUTES', 2, { min: 0.01 }) * 60_000;
  if (checkIntervalMs > staleAfterMs) {
    throw new ConfigError(
      'HEARTBEAT_CHECK_INTERVAL_SECONDS',
      `is ${checkIntervalMs / 1000} s, longer than the stale threshold of ${staleAfterMs / 1000} s, so staleness would be detected late`,
      'Lower HEARTBEAT_CHECK_INTERVAL_SECONDS below STALE_CLIENT_THRESHOLD_MINUTES (a quarter of it is recommended)',
    );
  }
  const allowlist = readList(env, 'CLIENT_ALLOWLIST');
  for (const id of allowlist) {
    const check = validateClientId(id);
    if (!check.ok) throw new ConfigError('CLIENT_ALLOWLIST', `entry ${JSON.stringify(id)} is not a valid client id: ${check.reason}`, 'List valid client ids separated by commas, or unset it to allow any');
  }
  return {
    checkIntervalMs,
    staleAfterMs,
    quarantineMs: readNumber(env, 'QUARANTINE_SECONDS', 30, { min: 0 }) * 1000,
    allowlist,
    registrationSecret: readOptional(env, 'REGISTRATION_SECRET'),
    maxClients: readNumber(env, 'MAX_CLIENTS', defaultMaxClients(totalMemoryBytes), { min: 0 }),
    replayTimeoutMs: readNumber(env, 'REGISTRY_REPLAY_TIMEOUT_SECONDS', 30, { min: 0 }) * 1000,
    spawnConcurrency: readNumber(env, 'SPAWN_CONCURRENCY', 4, { min: 1, max: 1000 }),
  };
}
