import { KafkaRecord } from '../kafka/record';
import { resolveClient } from '../tenancy/resolveClient';
import { AgentDecoded, agentEdgeChange, agentResourceChange, isAgentEdgeKey, isAgentResourceKey } from './agentTopology';

/**
 * A state.k8s.resource / state.k8s.topology record in the kg-rca-agent's shape (`{id}::{kind}:{uid}`,
 * `{id}::edge:{from}->{to}`) as a change, or null when the record is in kgroot's own shape
 * (`{client}::{kind}::{ns}/{name}`, `{client}::topology`) or has no usable client prefix (the
 * caller's own decoding then rejects it).
 */
export function decodeAgentTopologyRecord(rec: KafkaRecord, topics: { resources: string; topology: string }): AgentDecoded | null {
  const who = resolveClient(rec.topic, rec.key, null, {});
  if (!who.ok || who.shape !== 'prefixed') return null;
  const isResource = rec.topic === topics.resources && isAgentResourceKey(who.rest);
  const isEdge = rec.topic === topics.topology && isAgentEdgeKey(who.rest);
  if (!isResource && !isEdge) return null;
  let value: unknown = null;
  if (rec.value !== null && rec.value.length > 0) {
    try {
      value = JSON.parse(rec.value.toString('utf8'));
    } catch (err) {
      return { kind: 'reject', reason: `invalid JSON: ${(err as Error).message}` };
    }
  }
  return isResource ? agentResourceChange(who.client, who.rest, value) : agentEdgeChange(who.client, who.rest, value);
}
