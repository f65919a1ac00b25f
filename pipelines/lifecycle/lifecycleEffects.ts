import { asyncScheduler, catchError, concatMap, defer, groupBy, map, mergeMap, Observable, of, retry, SchedulerLike, timer } from 'rxjs';
import { LifecycleEvent } from './lifecycleTypes';
import { backoffMs } from '../../src/domain/backoff';
import { limitConcurrency } from '../operators/limitConcurrency';

/** A worker as the effects stage reports it (the spawner's view, reduced to what logs need). */
export interface WorkerRef {
  name: string;
  role: string;
  id: string;
  adopted: boolean;
}

export interface LifecycleEffectDeps {
  /** Makes the client's workers run (idempotent: existing ones are adopted); `cause` is the event that asked for it. Cold. */
  ensureWorkers(client: string, cause: LifecycleEvent): Observable<WorkerRef[]>;
  /** Stops and removes the client's workers (idempotent); `cause` is the event that asked for it. Cold. */
  removeWorkers(client: string, cause: LifecycleEvent): Observable<WorkerRef[]>;
}

export interface LifecycleEffectsConfig {
  /** Attempts after the first failure of a spawn or removal, with doubling delay. */
  retries?: number;
  /** First retry delay, ms (doubles, capped at 10 s). */
  retryDelayMs?: number;
  /** Clients whose workers are started at once; the others queue (in order). Removals never wait. */
  spawnConcurrency?: number;
}

export type LifecycleEffect =
  | { kind: 'workers/spawned'; client: string; cause: LifecycleEvent['kind']; workers: WorkerRef[]; ms: number }
  | { kind: 'workers/removed'; client: string; cause: LifecycleEvent['kind']; workers: WorkerRef[]; ms: number }
  | { kind: 'workers/failed'; client: string; cause: LifecycleEvent['kind']; action: 'spawn' | 'remove'; reason: string };

type Action = 'spawn' | 'remove' | undefined;

/** Which events touch workers: registration and return spawn, staleness and removal clean up. */
export function actionOf(e: LifecycleEvent): Action {
  switch (e.kind) {
    case 'client/registered':
    case 'client/returned':
      return 'spawn';
    case 'client/stale':
    case 'client/removed':
      return 'remove';
    default:
      return undefined;
  }
}

/**
 * The effects stage: turns lifecycle events into spawner calls, one client at a time in event
 * order (a removal never overtakes the spawn before it), clients in parallel. A failure is
 * retried with backoff, then reported as a `workers/failed` effect; the stream goes on.
 *
 * @example lifecycleEffects$(events$, { ensureWorkers: (c) => defer(() => spawner.ensureAll(c)), removeWorkers })
 */
export function lifecycleEffects$(
  events$: Observable<LifecycleEvent>,
  deps: LifecycleEffectDeps,
  config: LifecycleEffectsConfig = {},
  scheduler: SchedulerLike = asyncScheduler,
): Observable<LifecycleEffect> {
  const { retries = 3, retryDelayMs = 500, spawnConcurrency = Infinity } = config;
  const spawnGate = limitConcurrency(spawnConcurrency);
  return events$.pipe(
    groupBy((e) => e.client ?? ''),
    mergeMap((perClient$) =>
      perClient$.pipe(
        concatMap((e): Observable<LifecycleEffect> => {
          const action = actionOf(e);
          if (action === undefined || e.client === null) return of();
          const client = e.client;
          const started = { at: 0 };
          return defer(() => {
            started.at = scheduler.now();
            const call$ = (action === 'spawn' ? deps.ensureWorkers(client, e) : deps.removeWorkers(client, e)).pipe(
              retry({ count: retries, delay: (_err, n) => timer(backoffMs(n, { initialMs: retryDelayMs, maxMs: 10_000 }), scheduler) }),
            );
            return (action === 'spawn' ? spawnGate(call$) : call$).pipe(
              map((workers): LifecycleEffect => ({
                kind: action === 'spawn' ? 'workers/spawned' : 'workers/removed',
                client,
                cause: e.kind,
                workers,
                ms: scheduler.now() - started.at,
              })),
              catchError((err: unknown) =>
                of<LifecycleEffect>({ kind: 'workers/failed', client, cause: e.kind, action, reason: (err as Error)?.message ?? String(err) }),
              ),
            );
          });
        }),
      ),
    ),
  );
}
