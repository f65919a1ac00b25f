import { TOPICS, TopicSpec } from '../kafka/topics';
import type { TenancySettings } from './tenancyConfig';

/**
 * Per-client topics of the routed mode: `{topic}.{client}`. Client ids are validated at the edge
 * (`[a-z0-9-]`), so the name is a legal topic name and cannot collide with another client's
 * (a client id never contains a dot).
 *
 * @example tenantTopic(TOPICS.rawEvents.name, 'acme') // 'raw.k8s.events.acme'
 */
export function tenantTopic(base: string, client: string): string {
  return `${base}.${client}`;
}

/**
 * The shared topics the router reads, each routed to its client's copy: the raw topics, alerts,
 * and the normalized ones, where the kg-rca-agent's default routes write its exporter's and
 * Vector's JSON (in routed mode kgroot's own normalizers write only the per-client copies).
 */
export const ROUTED_TOPICS = [TOPICS.rawEvents, TOPICS.rawLogs, TOPICS.alertsRaw, TOPICS.eventsNormalized, TOPICS.logsNormalized] as const;

/** Every per-client topic: the routed inputs, which include the normalizers' outputs the client's graph builder reads. */
export const TENANT_TOPIC_BASES = ROUTED_TOPICS;

/** The specs of one client's topics, created by the control plane when the client registers. */
export function tenantTopicSpecs(client: string, s: Pick<TenancySettings, 'partitions' | 'retentionHours'>): TopicSpec[] {
  return TENANT_TOPIC_BASES.map((t) => ({
    name: tenantTopic(t.name, client),
    key: t.key,
    compacted: false,
    retentionMs: s.retentionHours * 3_600_000,
    partitions: s.partitions,
  }));
}

/** The topics a worker reads and writes, in either mode. */
export function workerTopics(client: string, mode: TenancySettings['mode']) {
  const name = (base: string) => (mode === 'routed' ? tenantTopic(base, client) : base);
  return {
    rawEvents: name(TOPICS.rawEvents.name),
    rawLogs: name(TOPICS.rawLogs.name),
    alertsRaw: name(TOPICS.alertsRaw.name),
    eventsNormalized: name(TOPICS.eventsNormalized.name),
    logsNormalized: name(TOPICS.logsNormalized.name),
  };
}
