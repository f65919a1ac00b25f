import { clientsByState, spawnsTotal } from '../metrics/metrics';
import { componentLogger } from '../log/logger';
import type { LifecycleConfig, LifecycleEffect, LifecycleEvent, LifecycleState } from '../../pipelines/lifecycle';
import { byKind } from '../../pipelines/operators/ofKind';

export const CONTROL_PLANE = 'control-plane';

/** One log line per lifecycle event, with the client. */
export function logEvent(e: LifecycleEvent, config: LifecycleConfig): void {
  const log = componentLogger(CONTROL_PLANE, e.client ?? undefined);
  switch (e.kind) {
    case 'client/registered':
      log.info({ event: e.kind, info: e.info, resumed: e.resumed }, e.resumed ? 'client known from the registry is alive' : 'client registered');
      break;
    case 'client/heartbeat':
      log.debug({ event: e.kind, source: e.source }, 'heartbeat');
      break;
    case 'client/stale':
      log.warn({ event: e.kind, silentForS: e.silentForMs / 1000, thresholdS: config.staleAfterMs / 1000 }, 'client stale: no heartbeat');
      break;
    case 'client/removed':
      log.info({ event: e.kind, reason: e.reason }, 'client removed');
      break;
    case 'client/returned':
      log.info({ event: e.kind, awayS: e.awayMs / 1000 }, 'client returned');
      break;
    case 'client/rejected':
      log.warn({ event: e.kind, source: e.source, reason: e.reason }, 'rejected');
      break;
  }
}

/** One log line and the kgroot_spawns_total count per workers effect, by its kind. */
export const logEffect = byKind<LifecycleEffect>({
  'workers/spawned': (e) => workersDone(e, 'spawn', 'workers running'),
  'workers/removed': (e) => workersDone(e, 'remove', 'workers removed'),
  'workers/failed': (e) => {
    spawnsTotal.labels('all', e.action, 'error').inc();
    componentLogger(CONTROL_PLANE, e.client).error({ effect: e.kind, action: e.action, cause: e.cause, reason: e.reason }, `workers ${e.action} failed`);
  },
});

function workersDone(e: Exclude<LifecycleEffect, { kind: 'workers/failed' }>, action: 'spawn' | 'remove', msg: string): void {
  for (const w of e.workers) spawnsTotal.labels(w.role, action, 'ok').inc();
  componentLogger(CONTROL_PLANE, e.client).info({ effect: e.kind, ms: e.ms, workers: e.workers.map((w) => w.name) }, msg);
}

/** kgroot_clients{state}: how many clients are in each state now. */
export function countClients(state: LifecycleState): void {
  const counts: Record<string, number> = { pending: 0, live: 0, stale: 0, removed: 0 };
  for (const c of Object.values(state.clients)) counts[c.status] = (counts[c.status] ?? 0) + 1;
  for (const [k, n] of Object.entries(counts)) clientsByState.labels(k).set(n);
}
