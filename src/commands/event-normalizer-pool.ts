import { runPooledNormalizer } from '../pool/runPooledNormalizer';
import { EVENT_NORMALIZER, pooledEventNormalizer } from '../../pipelines/eventNormalizer/eventNormalizer';

export const description = "pooled event normalizer (WORKER_MODE=pooled, TENANCY=routed): every client's raw.k8s.events.{client} → events.normalized.{client}, one process";

export function main(): Promise<number> {
  return runPooledNormalizer(EVENT_NORMALIZER, (s, sources, deps) => pooledEventNormalizer(sources, deps, s));
}
