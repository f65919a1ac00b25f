import { asyncScheduler, concat, connect, filter, groupBy, map, merge, mergeMap, Observable, of, SchedulerLike, switchMap, timer } from 'rxjs';
import { deadLetter } from '../../src/kafka/deadLetter';
import { Delivered, OutRecord, SourceRecord } from '../../src/kafka/record';
import { TOPICS } from '../../src/kafka/topics';
import { PooledRoute, routePooledRecord } from '../../src/tenancy/poolTopics';
import type { TenancyOptions } from '../../src/tenancy/resolveClient';

export const GRAPH_BUILDER_POOL = 'graph-builder-pool';

export interface PooledGraphBuilderConfig {
  /** Per-client topic bases read as `{base}.{client}` (events.normalized, logs.normalized, alerts.raw). */
  bases: readonly string[];
  /** Shared topics whose records name their client in the key (the agent's raw.prom.alerts, state.prom.targets). */
  shared: readonly string[];
  /** DEFAULT_CLIENT_ID: the client of a shared-topic record that names none. */
  tenancy: TenancyOptions;
  /** How long a client's pipeline outlives its last record, ms (then it ends and its state is released). */
  idleMs: number;
}

/** A client's pipeline ended after `idleMs` without a record of it (everything it wrote is settled); the runner releases what it held. */
export interface PoolClientReleased {
  kind: 'graph-pool/client-released';
  client: string;
}

/** A record the pool could give to no client, dead-lettered to dlq.normalized with the reason (settled once that is acknowledged). */
export interface PoolDeadLettered {
  kind: 'graph-pool/dead-lettered';
  reason: string;
  topic: string;
  partition: number;
  offset: number;
  settles: SourceRecord[];
}

/** A client's effect as the pool passes it on: tagged with the client. */
export type PooledGraphEffect<E> = (E & { client: string }) | PoolDeadLettered | PoolClientReleased;

/**
 * One graph builder process serving every client (WORKER_MODE=pooled): the records of ONE consumer
 * subscribed to all clients' per-client topics (and the shared agent topics) go, in their order, to
 * the client their topic (or, on a shared topic, their key) names; each client gets its own
 * pipeline from `forClient` — the per-client graph builder with its own batches, in-flight bound,
 * template miner and alerts.enriched publisher — the first time a record of it arrives. A record
 * naming no valid client is dead-lettered once with the reason. A client's pipeline ends once
 * `idleMs` passed without a record of it (its last batch written and settled), and the pool says so
 * (`graph-pool/client-released`), so a quiet client holds no memory; its next record starts a new
 * one. Per-partition order holds (a partition's records go to one client's pipeline, in order);
 * settlement is each client pipeline's. Pure: never subscribes; time comes from `scheduler`.
 *
 * @example pooledGraphBuilder(source.records$, { send }, config, (client, records$) => graphBuilder({ records$ }, deps, { client }))
 */
export function pooledGraphBuilder<E>(
  records$: Observable<SourceRecord>,
  deps: { send: (record: OutRecord) => Observable<Delivered> },
  config: PooledGraphBuilderConfig,
  forClient: (client: string, records$: Observable<SourceRecord>) => Observable<E>,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<PooledGraphEffect<E>> {
  const routed$ = records$.pipe(map((rec) => ({ rec, route: routePooledRecord(rec.topic, rec.key, rec.value, config.bases, config.shared, config.tenancy) })));
  return routed$.pipe(
    connect((shared$) =>
      merge(
        shared$.pipe(
          filter((x): x is { rec: SourceRecord; route: Extract<PooledRoute, { ok: false }> } => !x.route.ok),
          mergeMap(({ rec, route }) =>
            deps.send(deadLetter(rec, GRAPH_BUILDER_POOL, route.reason, TOPICS.dlqNormalized.name)).pipe(
              map((): PoolDeadLettered => ({ kind: 'graph-pool/dead-lettered', reason: route.reason, topic: rec.topic, partition: rec.partition, offset: rec.offset, settles: [rec] })),
            ),
          16),
        ),
        shared$.pipe(
          filter((x): x is { rec: SourceRecord; route: Extract<PooledRoute, { ok: true }> } => x.route.ok),
          groupBy((x) => x.route.client, { element: (x) => x.rec, duration: (g$) => g$.pipe(switchMap(() => timer(config.idleMs, scheduler))) }),
          mergeMap((group$) =>
            concat(
              forClient(group$.key, group$).pipe(map((e): PooledGraphEffect<E> => ({ ...e, client: group$.key }))),
              of<PoolClientReleased>({ kind: 'graph-pool/client-released', client: group$.key }),
            ),
          ),
        ),
      ),
    ),
  );
}
