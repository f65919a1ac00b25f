/**
 * The 13 topics of DESIGN.md, defined once. `ensureTopics` (kafka/admin.ts) creates them
 * idempotently at start-up; partitions can be raised with TOPIC_PARTITIONS.
 */
export interface TopicSpec {
  name: string;
  /** Key format, for documentation and the README. */
  key: string;
  /** Compacted topics keep the latest value per key (registry, resources, topology). */
  compacted: boolean;
  /** Retention for non-compacted topics, in milliseconds (-1 = forever). */
  retentionMs: number;
  /** Partitions; per-client ordering holds because the key decides the partition. */
  partitions: number;
}

const DAY = 24 * 60 * 60 * 1000;

export const TOPICS = {
  registry: { name: 'cluster.registry', key: '{client}', compacted: true, retentionMs: -1, partitions: 1 },
  heartbeat: { name: 'cluster.heartbeat', key: '{client}', compacted: false, retentionMs: 1 * DAY, partitions: 1 },
  rawEvents: { name: 'raw.k8s.events', key: '{client}::event::{uid}', compacted: false, retentionMs: 7 * DAY, partitions: 6 },
  rawLogs: { name: 'raw.k8s.logs', key: '{client}::log::{uid}', compacted: false, retentionMs: 3 * DAY, partitions: 6 },
  eventsNormalized: { name: 'events.normalized', key: '{client}::evt-{id}', compacted: false, retentionMs: 7 * DAY, partitions: 6 },
  logsNormalized: { name: 'logs.normalized', key: '{client}::log-{id}', compacted: false, retentionMs: 3 * DAY, partitions: 6 },
  alertsRaw: { name: 'alerts.raw', key: '{client}::alert::{fingerprint}', compacted: false, retentionMs: 7 * DAY, partitions: 3 },
  alertsEnriched: { name: 'alerts.enriched', key: '{client}::alert::{fingerprint}', compacted: false, retentionMs: 7 * DAY, partitions: 3 },
  resources: { name: 'state.k8s.resource', key: '{client}::{kind}::{namespace}/{name}', compacted: true, retentionMs: -1, partitions: 6 },
  topology: { name: 'state.k8s.topology', key: '{client}::topology', compacted: true, retentionMs: -1, partitions: 3 },
  promTargets: { name: 'state.prom.targets', key: '{client}::target::{id}', compacted: true, retentionMs: -1, partitions: 3 },
  dlqRaw: { name: 'dlq.raw', key: 'original key', compacted: false, retentionMs: 14 * DAY, partitions: 3 },
  dlqNormalized: { name: 'dlq.normalized', key: 'original key', compacted: false, retentionMs: 14 * DAY, partitions: 3 },
} as const satisfies Record<string, TopicSpec>;

export const ALL_TOPICS: readonly TopicSpec[] = Object.values(TOPICS);

/** Topic-level configs handed to CreateTopics. */
export function topicConfig(spec: TopicSpec): Record<string, string> {
  return spec.compacted
    ? { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' }
    : { 'cleanup.policy': 'delete', 'retention.ms': String(spec.retentionMs) };
}
