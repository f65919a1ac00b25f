import { normalizerMetrics } from '../metrics/normalizerMetrics';
import { tap } from 'rxjs';
import { ensureTopics } from '../kafka/admin';
import { loadKafkaConnection } from '../kafka/kafkaConfig';
import { KafkaSink } from '../kafka/kafkaSink';
import { KafkaSource } from '../kafka/kafkaSource';
import { componentLogger } from '../log/logger';
import { loadNormalizerSettings } from '../normalize/normalizerConfig';
import { runPipeline } from '../runner/runPipeline';
import { LOG_NORMALIZER, logNormalizer } from '../../pipelines/logNormalizer/logNormalizer';

export const description = 'per-client log normalizer: raw.k8s.logs → logs.normalized (Avro); env CLIENT_ID';

export async function main(): Promise<number> {
  const s = loadNormalizerSettings(process.env, LOG_NORMALIZER);
  const log = componentLogger(LOG_NORMALIZER, s.clientId);
  const metrics = normalizerMetrics('log-normalizer', s.clientId);
  const connection = loadKafkaConnection(process.env, `${LOG_NORMALIZER}-${s.clientId}`);
  await ensureTopics(connection, log);
  const sink = await KafkaSink.connect({ connection, component: LOG_NORMALIZER, extra: { 'queue.buffering.max.kbytes': s.producerQueueKbytes } }, log);
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
      metrics: { component: LOG_NORMALIZER, client: s.clientId },
    },
    log,
  );
  log.info({ group: s.groupId, input: s.inputTopic, output: s.outputTopic, maxValueBytes: s.maxValueBytes }, 'starting');
  const effects$ = logNormalizer(
    { batches$: source.batches$ },
    { sendBatch: (o) => sink.sendBatch$(o) },
    {
      clientId: s.clientId,
      outputTopic: s.outputTopic,
      maxValueBytes: s.maxValueBytes,
      maxMessageChars: s.maxMessageChars,
      progressEveryRecords: s.progressEveryRecords,
      progressIntervalMs: s.progressIntervalMs,
      templateMaxClusters: s.templateMaxClusters,
    },
  ).pipe(
    tap((e) => {
      if (e.kind === 'progress') log.info({ ...e.counters, total: e.total, rate: e.ratePerSec, final: e.final }, 'progress');
      else {
        metrics.record(e);
        for (const d of e.deadLettered) log.warn({ reason: d.reason, partition: d.partition, offset: d.offset }, 'dead-lettered');
      }
    }),
  );
  return runPipeline(
    {
      effects$,
      stopIntake: () => source.stop(),
      close: async () => {
        await sink.close();
        await source.closed;
      },
    },
    log,
  );
}
