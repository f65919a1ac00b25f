import { validateClientId } from '../domain/clientId';
import type { SourceRecord } from '../kafka/record';
import { resolveClient, TenancyOptions } from './resolveClient';

/**
 * The per-client topics a pooled worker reads, `{base}.{client}` (src/tenancy/tenantTopics.ts), as
 * one librdkafka regex subscription: a topic created later (a client that registers while the pool
 * runs) is picked up at the next metadata refresh without a restart. Anything after the base up to
 * the end without a dot matches, so a topic naming an invalid client is read and dead-lettered with
 * the reason rather than ignored.
 *
 * @example poolSubscription('raw.k8s.events') // '^raw\\.k8s\\.events\\.[^.]+$'
 */
export function poolSubscription(base: string): string {
  return `^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[^.]+$`;
}

export type TopicClient = { ok: true; client: string } | { ok: false; reason: string };

/**
 * The client a per-client topic names (`{base}.{client}`), checked with the one client-id rule.
 *
 * @example
 *   clientOfTopic('raw.k8s.events.acme', 'raw.k8s.events') // { ok: true, client: 'acme' }
 *   clientOfTopic('raw.k8s.events.A', 'raw.k8s.events')    // { ok: false, reason: 'topic raw.k8s.events.A does not name a valid client: …' }
 */
export function clientOfTopic(topic: string, base: string): TopicClient {
  const prefix = `${base}.`;
  if (!topic.startsWith(prefix) || topic.length === prefix.length) return { ok: false, reason: `topic ${topic} is not a per-client topic of ${base} ({base}.{client})` };
  const check = validateClientId(topic.slice(prefix.length));
  if (!check.ok) return { ok: false, reason: `topic ${topic} does not name a valid client: ${check.reason}` };
  return { ok: true, client: check.clientId };
}

/** The records of one source batch that came from one topic, with the client that topic names (or why none). */
export interface TopicPart {
  topic: string;
  client: TopicClient;
  records: SourceRecord[];
}

/**
 * Splits a source batch by topic, keeping the records' order within each topic (so within each
 * partition); parts come in the order their topic first appears in the batch.
 */
export function splitByTopic(batch: readonly SourceRecord[], base: string): TopicPart[] {
  const parts = new Map<string, TopicPart>();
  for (const rec of batch) {
    let part = parts.get(rec.topic);
    if (!part) {
      part = { topic: rec.topic, client: clientOfTopic(rec.topic, base), records: [] };
      parts.set(rec.topic, part);
    }
    part.records.push(rec);
  }
  return [...parts.values()];
}

/** Where a pooled worker sends a record: the client it is for, or why it has none (dead-lettered with that reason). */
export type PooledRoute = { ok: true; client: string } | { ok: false; reason: string };

/**
 * The client of a record read by a pooled worker: on a per-client topic (`{base}.{client}`, one of
 * `bases`) the client the topic names; on a `shared` topic (the kg-rca-agent's raw.prom.alerts and
 * state.prom.targets, which the router does not route) the client its key names, or
 * DEFAULT_CLIENT_ID for a record naming none ({@link resolveClient}). Anything else has no client.
 *
 * @example
 *   routePooledRecord('events.normalized.acme', null, null, ['events.normalized'], [], {}) // { ok: true, client: 'acme' }
 *   routePooledRecord('raw.prom.alerts', 'acme::alert::fp', null, [], ['raw.prom.alerts'], {}) // { ok: true, client: 'acme' }
 */
export function routePooledRecord(topic: string, key: Buffer | string | null, value: Buffer | null, bases: readonly string[], shared: readonly string[], tenancy: TenancyOptions): PooledRoute {
  if (shared.includes(topic)) {
    const r = resolveClient(topic, key, value, tenancy);
    return r.ok ? { ok: true, client: r.client } : { ok: false, reason: r.reason };
  }
  for (const base of bases) {
    if (topic.startsWith(`${base}.`)) {
      const c = clientOfTopic(topic, base);
      return c.ok ? c : { ok: false, reason: c.reason };
    }
  }
  return { ok: false, reason: `topic ${topic} is neither a per-client topic of ${bases.join(', ')} nor one of ${shared.join(', ') || '(no shared topics)'}` };
}
