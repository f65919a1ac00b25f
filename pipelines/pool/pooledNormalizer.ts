import { asyncScheduler, concatMap, from, groupBy, map, mergeMap, Observable, of, retry, SchedulerLike, timer } from 'rxjs';
import { backoffMs } from '../../src/domain/backoff';
import { deadLetter } from '../../src/kafka/deadLetter';
import { SourceRecord } from '../../src/kafka/record';
import { TOPICS } from '../../src/kafka/topics';
import { splitByTopic, TopicPart } from '../../src/tenancy/poolTopics';
import { tenantTopic } from '../../src/tenancy/tenantTopics';
import { mergeMapWide } from '../operators/mergeMapWide';
import {
  countNormalizerEffect,
  NormalizedBatch,
  NormalizerDeps,
  NORMALIZER_COUNTERS,
  normalizeRecords,
  RecordNormalizerConfig,
  Transform,
} from '../operators/normalizeRecords';
import { Progress, reportProgress } from '../operators/reportProgress';

/**
 * One normalizer serving every client (WORKER_MODE=pooled): the batches of ONE consumer subscribed
 * to all clients' per-client input topics (`{inputBase}.{client}`) are split by topic; the client
 * of each part is the one its topic names (checked with the client-id rule), and each client's parts
 * go through their own {@link normalizeRecords} (own transform state, e.g. a log template miner;
 * own output topic `{outputBase}.{client}`) — the same domain functions as a per-client worker.
 * A record on a client's topic whose key names another client is dead-lettered with the reason (not
 * skipped: nobody else reads that topic); a record without a client in its key is the topic's
 * client's. A topic naming an invalid client, or a client without an output topic (not registered:
 * the control plane creates a client's topics when it registers), has its records dead-lettered
 * once with the reason. Per-partition order holds (a partition is one topic, so one client; parts are
 * handed on in batch order); every record is settled once its output or DLQ record is acknowledged.
 * Pure: never subscribes; time comes from `scheduler`.
 *
 * @example pooledNormalizer(source.batches$, { sendBatch, served: (c) => directory.ready$(c, ['events.normalized']) }, config, () => eventTransform(4096))
 */
export interface PooledNormalizerConfig extends Pick<RecordNormalizerConfig, 'component' | 'keyTypes' | 'outputKind' | 'maxValueBytes' | 'concurrency' | 'sendRetries' | 'retryBaseMs'> {
  /** The base of the input topics: `raw.k8s.events` reads `raw.k8s.events.{client}`. */
  inputBase: string;
  /** The base of the output topics: `events.normalized` writes `events.normalized.{client}`. */
  outputBase: string;
  progressEveryRecords: number;
  progressIntervalMs: number;
}

/** A pooled normalizer's settings apart from its kind (component, key types, output kind). */
export type PooledSettings = Omit<PooledNormalizerConfig, 'component' | 'keyTypes' | 'outputKind'>;

export interface PooledNormalizerDeps extends NormalizerDeps {
  /** Whether the client is served: true when its output topic exists (it registered). Cold; may be asynchronous. */
  served: (client: string) => Observable<boolean>;
}

/** A pooled batch effect: a per-client batch effect with the client it was for (null: records of a topic naming no registered client). */
export type PooledBatch = NormalizedBatch & { client: string | null };

/** A part of a batch as routed: a served client's records, or records to dead-letter with one reason. */
type Routed = { client: string; records: SourceRecord[] } | { client: null; reason: string; records: SourceRecord[] };

export function pooledNormalizer(
  batches$: Observable<SourceRecord[]>,
  deps: PooledNormalizerDeps,
  config: PooledNormalizerConfig,
  makeTransform: (client: string) => Transform,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<PooledBatch | Progress<'normalizer'>> {
  const { sendRetries = 8, retryBaseMs = 100 } = config;
  const route = (part: TopicPart): Observable<Routed> => {
    const c = part.client;
    if (!c.ok) return of({ client: null, reason: c.reason, records: part.records });
    return deps.served(c.client).pipe(
      map((ok): Routed =>
        ok
          ? { client: c.client, records: part.records }
          : { client: null, reason: `topic ${part.topic} names client "${c.client}", which has no ${tenantTopic(config.outputBase, c.client)} topic: not registered (the control plane creates a client's topics when it registers)`, records: part.records },
      ),
    );
  };
  const forClient = (client: string, parts$: Observable<Routed>): Observable<PooledBatch> =>
    normalizeRecords(
      parts$.pipe(map((p) => p.records)),
      deps,
      {
        clientId: client,
        component: config.component,
        keyTypes: config.keyTypes,
        outputKind: config.outputKind,
        outputTopic: tenantTopic(config.outputBase, client),
        maxValueBytes: config.maxValueBytes,
        concurrency: config.concurrency,
        sendRetries,
        retryBaseMs,
        // The topic names the client: a record whose key names none is the topic's client's.
        tenancy: { defaultClient: client },
        foreign: 'dead-lettered',
      },
      makeTransform(client),
      scheduler,
    ).pipe(map((e) => ({ ...e, client })));
  const backoff = { initialMs: retryBaseMs, maxMs: 5000 };
  const unserved = (parts$: Observable<Routed>): Observable<PooledBatch> =>
    parts$.pipe(
      mergeMapWide((p) => {
        const reason = p.client === null ? p.reason : '';
        const effect: PooledBatch = {
          kind: 'normalizer/batch',
          client: null,
          records: p.records.length,
          normalized: 0,
          foreign: 0,
          deadLettered: p.records.map((r) => ({ cause: 'key' as const, reason, partition: r.partition, offset: r.offset })),
          settles: p.records,
        };
        return deps.sendBatch(p.records.map((r) => deadLetter(r, config.component, reason, TOPICS.dlqRaw.name))).pipe(
          retry({ count: sendRetries, delay: (_err, n) => timer(backoffMs(n, backoff), scheduler) }),
          map(() => effect),
        );
      }, config.concurrency ?? 64),
    );
  return batches$.pipe(
    // In batch order, so the records of a partition reach their client's pipeline in order.
    concatMap((batch) => from(splitByTopic(batch, config.inputBase)).pipe(concatMap(route))),
    groupBy((p) => p.client ?? ''),
    mergeMap((group$) => (group$.key === '' ? unserved(group$) : forClient(group$.key, group$))),
    reportProgress<PooledBatch, 'normalizer'>(countNormalizerEffect, { source: 'normalizer', everyRecords: config.progressEveryRecords, everyMs: config.progressIntervalMs }, NORMALIZER_COUNTERS, scheduler),
  );
}
