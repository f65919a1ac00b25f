import { decodeNormalizedEvent, decodeNormalizedLog, NormalizedEvent, NormalizedLog } from '../../src/avro/normalizedCodec';
import { hasPrefix, parseKey, parseNormalizedKey } from '../../src/domain/keys';
import { utf8OrNull } from '../../src/domain/text';
import { AlertmanagerAlert, parseAlert } from '../../src/graph/alert';
import { isClassifiedErrorLog } from '../../src/graph/eventRows';
import { KafkaRecord } from '../../src/kafka/record';

/** What one graph-builder record is, before batching. */
export type GraphInput =
  | { kind: 'event'; value: NormalizedEvent }
  | { kind: 'log'; value: NormalizedLog }
  | { kind: 'alert'; value: AlertmanagerAlert };

export type DecodedRecord =
  | { kind: 'foreign' }
  | { kind: 'input'; input: GraphInput }
  /** Understood and deliberately not written (e.g. a log line that is not a classified error). */
  | { kind: 'skip'; reason: string }
  | { kind: 'reject'; reason: string };

export interface GraphTopics {
  events: string;
  logs: string;
  alerts: string;
}

export { hasPrefix };

/**
 * Classifies one record for client `client` (whose prefix is `prefix` = `client::` as bytes):
 * foreign, a decoded input, a skip, or a rejection with the reason the dead-letter record carries.
 */
export function decodeGraphRecord(rec: KafkaRecord, client: string, prefix: Buffer, topics: GraphTopics): DecodedRecord {
  if (!hasPrefix(rec.key, prefix)) return { kind: 'foreign' };
  if (rec.value === null || rec.value.length === 0) return { kind: 'reject', reason: 'empty value' };
  try {
    if (rec.topic === topics.events || rec.topic === topics.logs) {
      const key = parseNormalizedKey(rec.key);
      if (!key.ok) return { kind: 'reject', reason: key.reason };
      const expected = rec.topic === topics.events ? 'evt' : 'log';
      if (key.client !== client || key.kind !== expected) return { kind: 'reject', reason: `key kind ${key.kind} on topic ${rec.topic} (expected ${expected})` };
      if (expected === 'evt') return { kind: 'input', input: { kind: 'event', value: decodeNormalizedEvent(rec.value) } };
      const log = decodeNormalizedLog(rec.value);
      if (!isClassifiedErrorLog(log)) return { kind: 'skip', reason: 'log line without an error class' };
      return { kind: 'input', input: { kind: 'log', value: log } };
    }
    if (rec.topic === topics.alerts) {
      const key = parseKey(rec.key);
      if (!key.ok) return { kind: 'reject', reason: key.reason };
      if (key.type !== 'alert') return { kind: 'reject', reason: `key type ${key.type} on ${rec.topic} (expected alert)` };
      const text = utf8OrNull(rec.value);
      if (text === null) return { kind: 'reject', reason: 'invalid UTF-8' };
      const parsed = parseAlert(JSON.parse(text), 'alert', rec.timestamp);
      if (!parsed.ok) return { kind: 'reject', reason: parsed.reason };
      return { kind: 'input', input: { kind: 'alert', value: parsed.alert } };
    }
    return { kind: 'reject', reason: `unexpected topic ${rec.topic}` };
  } catch (err) {
    return { kind: 'reject', reason: `undecodable value: ${(err as Error).message}` };
  }
}
