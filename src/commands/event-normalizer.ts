import { runNormalizer } from '../runner/runNormalizer';
import { EVENT_NORMALIZER, eventNormalizer } from '../../pipelines/eventNormalizer/eventNormalizer';

export const description = 'per-client event normalizer: raw.k8s.events → events.normalized (Avro); env CLIENT_ID';

export function main(): Promise<number> {
  return runNormalizer(EVENT_NORMALIZER, (s, sources, deps) => eventNormalizer(sources, deps, s));
}
