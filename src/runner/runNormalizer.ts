import { Observable, tap } from 'rxjs';
import { ensureTopics } from '../kafka/admin';
import { loadKafkaConnection } from '../kafka/kafkaConfig';
import { KafkaSink } from '../kafka/kafkaSink';
import { KafkaSource } from '../kafka/kafkaSource';
import { Delivered, OutRecord, SourceRecord } from '../kafka/record';
import { componentLogger } from '../log/logger';
import { normalizerMetrics } from '../metrics/normalizerMetrics';
import { NormalizerRole, NormalizerSettings, loadNormalizerSettings } from '../normalize/normalizerConfig';
import { runPipeline, sourced } from './runPipeline';
import type { NormalizedBatch } from '../../pipelines/operators/normalizeRecords';
import type { Progress } from '../../pipelines/operators/reportProgress';
import { byKind } from '../../pipelines/operators/ofKind';

/** Builds one normalizer pipeline from its settings, its source batches and the sink. */
export type BuildNormalizer = (
  settings: NormalizerSettings,
  sources: { batches$: Observable<SourceRecord[]> },
  deps: { sendBatch: (out: OutRecord[]) => Observable<Delivered[]> },
) => Observable<NormalizedBatch | Progress<'normalizer'>>;

/**
 * The process around a normalizer (event or log): settings from the environment, topics, the
 * Kafka source and sink, metrics and logs per effect, and the runner (SIGTERM drains and commits).
 */
export async function runNormalizer(role: NormalizerRole, build: BuildNormalizer): Promise<number> {
  const s = loadNormalizerSettings(process.env, role);
  const log = componentLogger(role, s.clientId);
  const metrics = normalizerMetrics(role, s.clientId);
  const connection = loadKafkaConnection(process.env, `${role}-${s.clientId}`);
  await ensureTopics(connection, log);
  const sink = await KafkaSink.connect({ connection, component: role, dedupeDeadLetters: true, extra: { 'queue.buffering.max.kbytes': s.producerQueueKbytes } }, log);
  const source = new KafkaSource(
    {
      connection,
      groupId: s.groupId,
      topics: [s.inputTopic],
      maxInFlight: s.maxInFlight,
      batchSize: s.batchSize,
      prefetchKbytes: s.prefetchKbytes,
      // Small fetches and prefetch keep native memory low; a short backoff keeps a small prefetch fed.
      extra: { 'fetch.max.bytes': s.fetchMaxKbytes * 1024, 'fetch.queue.backoff.ms': s.fetchQueueBackoffMs },
      metrics: { component: role, client: s.clientId },
    },
    log,
  );
  log.info({ group: s.groupId, input: s.inputTopic, output: s.outputTopic, maxValueBytes: s.maxValueBytes }, 'starting');
  const effects$ = build(s, { batches$: source.batches$ }, { sendBatch: (o) => sink.sendBatch$(o) }).pipe(
    tap(
      byKind<NormalizedBatch | Progress<'normalizer'>>({
        'normalizer/progress': (e) => log.info({ ...e.counters, total: e.total, rate: e.ratePerSec, final: e.final }, 'progress'),
        'normalizer/batch': (e) => {
          metrics.record(e);
          for (const d of e.deadLettered) log.warn({ reason: d.reason, partition: d.partition, offset: d.offset }, 'dead-lettered');
        },
      }),
    ),
  );
  return runPipeline(
    sourced(effects$, source, () => sink.close()),
    log,
  );
}
