import { runNormalizer } from '../runner/runNormalizer';
import { LOG_NORMALIZER, logNormalizer } from '../../pipelines/logNormalizer/logNormalizer';

export const description = 'per-client log normalizer: raw.k8s.logs → logs.normalized (Avro); env CLIENT_ID';

export function main(): Promise<number> {
  return runNormalizer(LOG_NORMALIZER, (s, sources, deps) => logNormalizer(sources, deps, s));
}
