import { connect, filter, map, merge, mergeMap, Observable } from 'rxjs';
import { deadLetter } from '../../src/kafka/deadLetter';
import { Delivered, OutRecord, SourceRecord } from '../../src/kafka/record';
import { TOPICS } from '../../src/kafka/topics';
import { resolveClient, TenancyOptions } from '../../src/tenancy/resolveClient';

export const UNRESOLVED_RECORDS = 'unresolved-records';

/**
 * The topics every per-client worker reads and where a record may name no client: the raw
 * topics, the normalized ones (the agent's default routes write its exporter's bare-uid events
 * there) and the alert and target topics. The workers count such records as foreign; this one
 * pipeline, in the single topology-builder process, dead-letters each of them once.
 */
export const WORKER_TOPICS: readonly string[] = [
  TOPICS.rawEvents.name, TOPICS.rawLogs.name, TOPICS.eventsNormalized.name, TOPICS.logsNormalized.name,
  TOPICS.alertsRaw.name, TOPICS.rawPromAlerts.name, TOPICS.promTargets.name,
];

/** `settles` are the records the runner now acknowledges (pipelines/operators/settlement.ts). */
export type UnresolvedEffect =
  | { kind: 'unresolved/dead-lettered'; reason: string; topic: string; partition: number; offset: number; settles: SourceRecord[] }
  /** A record of a client (its worker handles it): settled at once, nothing logged. */
  | { kind: 'unresolved/resolved'; settles: SourceRecord[] };

/**
 * Records that resolve to no client (null key or a key naming none, without DEFAULT_CLIENT_ID;
 * an invalid client id in the key) → dlq.raw with the reason, settled once the copy is delivered;
 * every other record is settled at once (`unresolved/resolved`). Pure: never subscribes.
 *
 * @example unresolvedRecords({ records$: source.records$ }, { send: (o) => sink.send$(o) }, { defaultClient: 'solo' })
 */
export function unresolvedRecords(
  sources: { records$: Observable<SourceRecord> },
  deps: { send: (record: OutRecord) => Observable<Delivered> },
  tenancy: TenancyOptions,
  concurrency = 16,
): Observable<UnresolvedEffect> {
  return sources.records$.pipe(
    map((rec) => ({ rec, who: resolveClient(rec.topic, rec.key, null, tenancy) })),
    // Resolved records are settled on a path of their own, not through mergeMap: thousands of inner
    // Observables completing synchronously behind a full concurrency window recurse until the stack overflows.
    connect((shared$) =>
      merge(
        shared$.pipe(
          filter(({ who }) => who.ok),
          map(({ rec }): UnresolvedEffect => ({ kind: 'unresolved/resolved', settles: [rec] })),
        ),
        shared$.pipe(
          mergeMap(({ rec, who }) => (who.ok ? [] : [{ rec, reason: who.reason }])),
          mergeMap(({ rec, reason }): Observable<UnresolvedEffect> => {
            return deps.send(deadLetter(rec, UNRESOLVED_RECORDS, reason, TOPICS.dlqRaw.name)).pipe(
              map((): UnresolvedEffect => ({ kind: 'unresolved/dead-lettered', reason, topic: rec.topic, partition: rec.partition, offset: rec.offset, settles: [rec] })),
            );
          }, concurrency),
        ),
      ),
    ),
  );
}
