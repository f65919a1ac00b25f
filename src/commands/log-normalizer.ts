import { runNormalizer } from '../runner/runNormalizer';
import { LOG_NORMALIZER, logNormalizer } from '../../pipelines/logNormalizer/logNormalizer';

export const description = 'per-client log normalizer: raw.k8s.logs → logs.normalized (Avro); env CLIENT_ID';

export function main(): Promise<number> {
  return runNormalizer(LOG_NORMALIZER, (s, sources, deps) =>
    logNormalizer(sources, deps, {
      clientId: s.clientId,
      outputTopic: s.outputTopic,
      maxValueBytes: s.maxValueBytes,
      maxMessageChars: s.maxMessageChars,
      progressEveryRecords: s.progressEveryRecords,
      progressIntervalMs: s.progressIntervalMs,
      tenancy: s.tenancy,
      templateMaxClusters: s.templateMaxClusters,
    }),
  );
}
