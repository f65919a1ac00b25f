import { batchSize, recordsTotal } from './metrics';

/** Counters of one normalizer, bound once: records out, foreign and dead-lettered, and pulled batch sizes. */
export function normalizerMetrics(component: string, client: string) {
  const out = recordsTotal.labels(component, client, 'out');
  const foreign = recordsTotal.labels(component, client, 'foreign');
  const dead = recordsTotal.labels(component, client, 'dead_lettered');
  const batch = batchSize.labels(component, 'kafka');
  return {
    record(e: { records: number; normalized: number; foreign: number; deadLettered: readonly unknown[] }): void {
      out.inc(e.normalized);
      foreign.inc(e.foreign);
      dead.inc(e.deadLettered.length);
      batch.observe(e.records);
    },
  };
}
