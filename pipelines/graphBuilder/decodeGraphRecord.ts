import { decodeNormalizedEvent, decodeNormalizedLog } from '../../src/avro/normalizedCodec';
import { hasPrefix, parseKey, parseNormalizedKey } from '../../src/domain/keys';
import { utf8OrNull } from '../../src/domain/text';
import { parseAlert } from '../../src/graph/alert';
import { isClassifiedErrorLog } from '../../src/graph/eventRows';
import { KafkaRecord } from '../../src/kafka/record';
import { decodeAgentGraphRecord, AgentGraphContext, isAgentGraphRecord } from '../../src/agent/decodeAgentGraphRecord';

export type { DecodedRecord, GraphInput, GraphTopics } from '../../src/graph/graphInput';
import type { DecodedRecord, GraphInput, GraphTopics } from '../../src/graph/graphInput';

export { hasPrefix };

/**
 * Classifies one record for client `client` (whose prefix is `prefix` = `client::` as bytes):
 * foreign, a decoded input, a skip, or a rejection with the reason the dead-letter record carries.
 */
export function decodeGraphRecord(rec: KafkaRecord, client: string, prefix: Buffer, topics: GraphTopics, agent?: AgentGraphContext): DecodedRecord {
  if (!hasPrefix(rec.key, prefix)) {
    // Another client's prefixed key is foreign at the cost of a byte compare; only keys naming no
    // client (or exactly `{client}::`) are looked at further, for the agent's shapes.
    const maybeOurs = agent && (rec.key === null || rec.key.length <= prefix.length || rec.key.indexOf('::') < 0);
    return maybeOurs ? decodeAgentGraphRecord(rec, client, topics, agent) : { kind: 'foreign' };
  }
  if (agent && isAgentGraphRecord(rec, topics)) return decodeAgentGraphRecord(rec, client, topics, agent);
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
