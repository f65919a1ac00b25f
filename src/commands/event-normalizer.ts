import { runNormalizer } from '../runner/runNormalizer';
import { EVENT_NORMALIZER, eventNormalizer } from '../../pipelines/eventNormalizer/eventNormalizer';

export const description = 'per-client event normalizer: raw.k8s.events → events.normalized (Avro); env CLIENT_ID';

export function main(): Promise<number> {
  return runNormalizer(EVENT_NORMALIZER, (s, sources, deps) =>
    eventNormalizer(sources, deps, {
      clientId: s.clientId,
      outputTopic: s.outputTopic,
      maxValueBytes: s.maxValueBytes,
      maxMessageChars: s.maxMessageChars,
      progressEveryRecords: s.progressEveryRecords,
      progressIntervalMs: s.progressIntervalMs,
      tenancy: s.tenancy,
    }),
  );
}
