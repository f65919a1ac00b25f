import { parseKey } from '../../src/domain/keys';
import type { NormalizedEvent } from '../../src/avro/normalizedCodec';
import { utf8OrNull } from '../../src/domain/text';
import { checkResourceKey, parsePublishedTopology, PublishedEdge, resourceOfObject, ResourceRow } from '../../src/graph/k8sObject';
import { evidenceOfObject } from '../../src/graph/objectEvidence';
import { KafkaRecord } from '../../src/kafka/record';
import { AgentTopologyChange } from '../../src/agent/agentTopology';
import { decodeAgentTopologyRecord } from '../../src/agent/decodeAgentTopology';

export type TopologyChange =
  /** `evidence`: the events the object's status says happened ({@link evidenceOfObject}). */
  | { kind: 'upsert'; client: string; row: ResourceRow; evidence?: NormalizedEvent[] }
  | { kind: 'delete'; client: string; rid: string }
  /** The client's whole published edge set (empty on a tombstone). */
  | { kind: 'published'; client: string; edges: PublishedEdge[] }
  /** The kg-rca-agent's ResourceRecords and EdgeRecords (src/agent/agentTopology.ts). */
  | AgentTopologyChange;

export type DecodedTopologyRecord = { kind: 'change'; change: TopologyChange } | { kind: 'reject'; reason: string };

export interface TopologyTopics {
  resources: string;
  topology: string;
}

/**
 * One record of state.k8s.resource (`{client}::{kind}::{namespace}/{name}`, a Kubernetes object or
 * a tombstone) or state.k8s.topology (`{client}::topology`, the published edges) as a change in the
 * client's graph; the client comes from the key and is validated.
 */
export function decodeTopologyRecord(rec: KafkaRecord, topics: TopologyTopics): DecodedTopologyRecord {
  const agent = decodeAgentTopologyRecord(rec, topics);
  if (agent) return agent;
  const key = parseKey(rec.key);
  if (!key.ok) return { kind: 'reject', reason: key.reason };
  try {
    if (rec.topic === topics.resources) {
      const checked = checkResourceKey(key.type, key.id);
      if (!checked.ok) return { kind: 'reject', reason: `key does not name a resource ({client}::{kind}::{namespace}/{name}): ${checked.reason}` };
      const ref = checked.value;
      if (rec.value === null || rec.value.length === 0) return { kind: 'change', change: { kind: 'delete', client: key.client, rid: ref.rid } };
      const text = utf8OrNull(rec.value);
      if (text === null) return { kind: 'reject', reason: 'invalid UTF-8' };
      const object: unknown = JSON.parse(text);
      const parsed = resourceOfObject(object, ref);
      if (!parsed.ok) return { kind: 'reject', reason: parsed.reason };
      const evidence = evidenceOfObject(object, rec.timestamp);
      return { kind: 'change', change: { kind: 'upsert', client: key.client, row: parsed.value, ...(evidence.length > 0 ? { evidence } : {}) } };
    }
    if (rec.topic === topics.topology) {
      if (key.type !== 'topology') return { kind: 'reject', reason: `key type ${key.type} on ${rec.topic} (expected {client}::topology)` };
      if (rec.value === null || rec.value.length === 0) return { kind: 'change', change: { kind: 'published', client: key.client, edges: [] } };
      const text = utf8OrNull(rec.value);
      if (text === null) return { kind: 'reject', reason: 'invalid UTF-8' };
      const parsed = parsePublishedTopology(JSON.parse(text));
      if (!parsed.ok) return { kind: 'reject', reason: parsed.reason };
      return { kind: 'change', change: { kind: 'published', client: key.client, edges: parsed.value } };
    }
    return { kind: 'reject', reason: `unexpected topic ${rec.topic}` };
  } catch (err) {
    return { kind: 'reject', reason: `invalid JSON: ${(err as Error).message}` };
  }
}
