import { defer, Observable, of, tap } from 'rxjs';
import { ensureTopics } from '../kafka/admin';
import { loadKafkaConnection } from '../kafka/kafkaConfig';
import { KafkaSink } from '../kafka/kafkaSink';
import { KafkaSource } from '../kafka/kafkaSource';
import { componentLogger, Logger } from '../log/logger';
import type { SourceRecord } from '../kafka/record';
import { normalizerMetrics } from '../metrics/normalizerMetrics';
import { loadPooledNormalizerSettings, NormalizerRole, PooledNormalizerSettings } from '../normalize/normalizerConfig';
import { runPipeline, sourced } from '../runner/runPipeline';
import { TopicDirectory } from '../tenancy/topicDirectory';
import { poolSubscription } from '../tenancy/poolTopics';
import type { Progress } from '../../pipelines/operators/reportProgress';
import { byKind } from '../../pipelines/operators/ofKind';
import type { PooledBatch, PooledNormalizerDeps } from '../../pipelines/pool/pooledNormalizer';

/** How long "this client has no output topic" is believed before the broker is asked again, ms. */
const NOT_SERVED_TTL_MS = 5000;

/**
 * A client is served while its output topic exists (the control plane creates a client's topics
 * when it registers; TENANT_TOPICS_ON_REMOVE=delete drops them at deregistration). Known topics are
 * answered from memory; an unknown client costs one metadata read, and a negative answer is kept
 * for {@link NOT_SERVED_TTL_MS} so a topic naming no registered client does not slow the pool.
 */
export function servedClients(directory: Pick<TopicDirectory, 'ready$'>, outputBase: string, now: () => number = Date.now): (client: string) => Observable<boolean> {
  const notServedUntil = new Map<string, number>();
  return (client) =>
    defer(() => {
      const until = notServedUntil.get(client);
      if (until !== undefined && until > now()) return of(false);
      return directory.ready$(client, [outputBase]).pipe(
        tap((ok) => {
          if (ok) notServedUntil.delete(client);
          else notServedUntil.set(client, now() + NOT_SERVED_TTL_MS);
        }),
      );
    });
}

/**
 * The process around a pooled normalizer (WORKER_MODE=pooled, TENANCY=routed): one consumer
 * subscribed by regex to every `{POOL_INPUT_BASE}.{client}` topic (new clients' topics are picked
 * up every POOL_TOPIC_REFRESH_MS), one producer, the topic directory that says which clients are
 * registered, metrics and logs per client, and the runner (SIGTERM drains and commits).
 */
export type BuildPooledNormalizer = (
  settings: PooledNormalizerSettings,
  sources: { batches$: Observable<SourceRecord[]> },
  deps: PooledNormalizerDeps,
) => Observable<PooledBatch | Progress<'normalizer'>>;

export async function runPooledNormalizer(role: NormalizerRole, build: BuildPooledNormalizer): Promise<number> {
  const s = loadPooledNormalizerSettings(process.env, role);
  const component = `${role}-pool`;
  const log = componentLogger(component);
  const connection = loadKafkaConnection(process.env, component);
  await ensureTopics(connection, log);
  const sink = await KafkaSink.connect({ connection, component, dedupeDeadLetters: true, extra: { 'queue.buffering.max.kbytes': s.producerQueueKbytes } }, log);
  const directory = await TopicDirectory.connect(connection, log);
  const subscription = poolSubscription(s.inputBase);
  const source = new KafkaSource(
    {
      connection,
      groupId: s.groupId,
      topics: [subscription],
      maxInFlight: s.maxInFlight,
      batchSize: s.batchSize,
      prefetchKbytes: s.prefetchKbytes,
      extra: { 'fetch.max.bytes': s.fetchMaxKbytes * 1024, 'fetch.queue.backoff.ms': s.fetchQueueBackoffMs, 'topic.metadata.refresh.interval.ms': s.topicRefreshMs, 'fetch.wait.max.ms': s.fetchWaitMs },
      metrics: { component },
    },
    log,
  );
  log.info({ group: s.groupId, subscription, output: `${s.outputBase}.{client}`, topicRefreshMs: s.topicRefreshMs, fetchWaitMs: s.fetchWaitMs }, 'starting');
  // Per client, bound once: its metrics and its logger (the first batch of a client is logged).
  const perClient = new Map<string, { metrics: ReturnType<typeof normalizerMetrics>; log: Logger }>();
  const of$ = (client: string | null) => {
    let c = perClient.get(client ?? '');
    if (!c) {
      c = { metrics: normalizerMetrics(role, client ?? ''), log: componentLogger(role, client ?? undefined) };
      perClient.set(client ?? '', c);
      if (client !== null) c.log.info({ input: `${s.inputBase}.${client}`, output: `${s.outputBase}.${client}` }, 'serving client (its first batch)');
    }
    return c;
  };
  const effects$ = build(s, { batches$: source.batches$ }, { sendBatch: (o) => sink.sendBatch$(o), served: servedClients(directory, s.outputBase) }).pipe(
    tap(
      byKind<PooledBatch | Progress<'normalizer'>>({
        'normalizer/progress': (e) => log.info({ ...e.counters, total: e.total, rate: e.ratePerSec, final: e.final }, 'progress'),
        'normalizer/batch': (e) => {
          const c = of$(e.client);
          c.metrics.record(e);
          for (const d of e.deadLettered) c.log.warn({ reason: d.reason, partition: d.partition, offset: d.offset }, 'dead-lettered');
        },
      }),
    ),
  );
  return runPipeline(
    sourced(effects$, source, () => sink.close(), () => directory.close()),
    log,
  );
}
