import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus metric of kgroot, defined once. Adapters record most of them (records in and
 * acknowledged, produced per topic, consumer lag), so pipelines stay free of metric calls; the
 * pipelines add what only they know (foreign, dead-lettered, batch sizes, Neo4j write time).
 */
export const registry = new Registry();
// The event-loop-lag monitor samples every eventLoopMonitoringPrecision ms: prom-client's 10 ms
// woke every idle worker 100 times a second (0.7 % of a core each, measured); once a second is
// plenty to see a blocked loop.
collectDefaultMetrics({ register: registry, prefix: 'kgroot_process_', eventLoopMonitoringPrecision: 1000 });

export const recordsTotal = new Counter({
  name: 'kgroot_records_total',
  help: 'Records per component and outcome: in (consumed), acked, out (produced), foreign, dead_lettered, error',
  labelNames: ['component', 'client', 'outcome'] as const,
  registers: [registry],
});

export const producedTotal = new Counter({
  name: 'kgroot_produced_total',
  help: 'Records acknowledged by the broker, per topic',
  labelNames: ['component', 'topic'] as const,
  registers: [registry],
});

export const batchSize = new Histogram({
  name: 'kgroot_batch_size',
  help: 'Records per batch written (Neo4j) or pulled (Kafka)',
  labelNames: ['component', 'stage'] as const,
  buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
  registers: [registry],
});

export const neo4jWriteSeconds = new Histogram({
  name: 'kgroot_neo4j_write_seconds',
  help: 'Time to commit one batch transaction in Neo4j',
  labelNames: ['component'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const inFlight = new Gauge({
  name: 'kgroot_in_flight_records',
  help: 'Records handed to the pipeline and not yet acknowledged',
  labelNames: ['component', 'group'] as const,
  registers: [registry],
});

export const consumeFailuresTotal = new Counter({
  name: 'kgroot_consume_failures_total',
  help: 'consume() calls that failed (a batch librdkafka cannot decode, e.g. a compression codec it lacks, or broker trouble), by consumer group and librdkafka error code',
  labelNames: ['group', 'code'] as const,
  registers: [registry],
});

export const clientsByState = new Gauge({
  name: 'kgroot_clients',
  help: 'Clients known to the control plane, by state',
  labelNames: ['state'] as const,
  registers: [registry],
});

export const spawnsTotal = new Counter({
  name: 'kgroot_spawns_total',
  help: 'Workers spawned, removed or failed, by role and result',
  labelNames: ['role', 'action', 'result'] as const,
  registers: [registry],
});
