import { filter, map, mergeMap, Observable } from 'rxjs';
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

export type UnresolvedEffect = { kind: 'dead-lettered'; reason: string; topic: string; partition: number; offset: number };

/**
 * Records that resolve to no client (null key or a key naming none, without DEFAULT_CLIENT_ID;
 * an invalid client id in the key) → dlq.raw with the reason, acked once the copy is delivered;
 * every other record is acked at once and emits nothing. Pure: never subscribes.
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
    // Resolved records are acked here, not through mergeMap: thousands of inner Observables completing
    // synchronously behind a full concurrency window recurse until the stack overflows.
    filter(({ rec, who }) => {
      if (who.ok) rec.ack();
      return !who.ok;
    }),
    mergeMap(({ rec, who }): Observable<UnresolvedEffect> => {
      const reason = who.ok ? '' : who.reason;
      return deps.send(deadLetter(rec, UNRESOLVED_RECORDS, reason, TOPICS.dlqRaw.name)).pipe(
        map(() => {
          rec.ack();
          return { kind: 'dead-lettered' as const, reason, topic: rec.topic, partition: rec.partition, offset: rec.offset };
        }),
      );
    }, concurrency),
  );
}
