import { runPooledNormalizer } from '../pool/runPooledNormalizer';
import { LOG_NORMALIZER, pooledLogNormalizer } from '../../pipelines/logNormalizer/logNormalizer';

export const description = "pooled log normalizer (WORKER_MODE=pooled, TENANCY=routed): every client's raw.k8s.logs.{client} → logs.normalized.{client}, one process (a template miner per client)";

export function main(): Promise<number> {
  return runPooledNormalizer(LOG_NORMALIZER, (s, sources, deps) => pooledLogNormalizer(sources, deps, s));
}
