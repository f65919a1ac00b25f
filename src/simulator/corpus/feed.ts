import { formatKey } from '../../domain/keys';
import { alertRecordsOfWebhook } from '../../http/alertmanagerPayload';
import { OutRecord } from '../../kafka/record';
import { TOPICS } from '../../kafka/topics';
import { CorpusRecord } from './world';

/** Where each kind of corpus record goes (DESIGN.md's topics unless a test or benchmark names its own). */
export interface FeedTopics {
  events: string;
  logs: string;
  resources: string;
  alerts: string;
}

export const DEFAULT_FEED_TOPICS: FeedTopics = { events: TOPICS.rawEvents.name, logs: TOPICS.rawLogs.name, resources: TOPICS.resources.name, alerts: TOPICS.alertsRaw.name };

/**
 * The Kafka records a client sends for one corpus record, keyed as the README's topic table says:
 * raw events `{C}::event::{uid}`, raw logs `{C}::log::{uid}`, objects `{C}::{Kind}::{ns}/{name}`
 * (null value = tombstone), alerts as the webhook receiver writes them (one per alert,
 * `{C}::alert::{fingerprint}`). The client id is only in the key.
 */
export function feedRecords(client: string, r: CorpusRecord, topics: FeedTopics = DEFAULT_FEED_TOPICS): OutRecord[] {
  switch (r.topic) {
    case 'event':
      return [{ topic: topics.events, key: formatKey(client, 'event', r.id), value: Buffer.from(r.value!) }];
    case 'log':
      return [{ topic: topics.logs, key: formatKey(client, 'log', r.id), value: Buffer.from(r.value!) }];
    case 'resource':
      return [{ topic: topics.resources, key: formatKey(client, r.kind!, r.id), value: r.value === null ? null : Buffer.from(r.value) }];
    case 'alert': {
      const out = alertRecordsOfWebhook(Buffer.from(r.value!), client);
      if (!out.ok) throw new Error(`corpus alert rejected by the webhook receiver: ${out.error}`);
      return out.records.map((x) => ({ ...x, topic: topics.alerts }));
    }
  }
}
