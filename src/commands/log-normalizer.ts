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
  const connection = loadKafkaConnection(process.env, `${LOG_NORMALIZER}-${s.clientId}`);
  await ensureTopics(connection, log);
  const sink = await KafkaSink.connect({ connection }, log);
  const source = new KafkaSource({ connection, groupId: s.groupId, topics: [s.inputTopic], maxInFlight: s.maxInFlight }, log);
  log.info({ group: s.groupId, input: s.inputTopic, output: s.outputTopic, maxValueBytes: s.maxValueBytes }, 'starting');
  const effects$ = logNormalizer(
    { raw$: source.records$ },
    { send: (o) => sink.send$(o) },
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
      else if (e.kind === 'dead-lettered') log.warn({ reason: e.reason, partition: e.partition, offset: e.offset }, 'dead-lettered');
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
