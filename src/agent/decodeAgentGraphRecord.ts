import type { DecodedRecord, GraphTopics } from '../graph/graphInput';
import { isClassifiedErrorLog } from '../graph/eventRows';
import { KafkaRecord } from '../kafka/record';
import { TemplateMiner } from '../normalize/templateMiner';
import { isSafeId } from '../normalize/stableId';
import { resolveClient, TenancyOptions } from '../tenancy/resolveClient';
import { AgentGraphValue, agentEventValue, agentLogValue, promAlertsPayload, reducedAlert, targetRecord } from './agentGraphRecords';

/** What the graph builder needs to read the agent's records: DEFAULT_CLIENT_ID and its own template miner. */
export interface AgentGraphContext {
  tenancy: TenancyOptions;
  miner: TemplateMiner;
  maxMessageChars?: number;
}

const AVRO_MAGIC = 0;
const OWN_ALERT_KEY = /^[^:]+::alert::/;

/** A record of this client (own prefix) that is in one of the agent's shapes rather than kgroot's own. */
export function isAgentGraphRecord(rec: KafkaRecord, topics: GraphTopics): boolean {
  if (rec.topic === topics.events || rec.topic === topics.logs) return rec.value !== null && rec.value.length > 0 && rec.value[0] !== AVRO_MAGIC;
  if (rec.topic === topics.alerts) return rec.key !== null && !OWN_ALERT_KEY.test(rec.key.toString('utf8'));
  return rec.topic === topics.rawPromAlerts || rec.topic === topics.promTargets;
}

function asDecoded(v: AgentGraphValue, via: boolean): DecodedRecord {
  switch (v.kind) {
    case 'event':
      return { kind: 'input', input: { kind: 'event', value: v.value }, via: 'normalizer' };
    case 'log':
      if (!isClassifiedErrorLog(v.value)) return { kind: 'skip', reason: 'log line without an error class' };
      return { kind: 'input', input: { kind: 'log', value: v.value }, via: 'normalizer' };
    case 'alerts':
      return { kind: 'input', input: { kind: 'alerts', value: v.value }, ...(via ? { via: 'normalizer' as const } : {}) };
    case 'row':
      return { kind: 'input', input: { kind: 'row', value: v.value } };
    default:
      return v;
  }
}

/**
 * One record for `client` in the agent's shapes: the client resolved with resolveClient (records
 * naming none are this client's only when it is DEFAULT_CLIENT_ID; another client's are foreign),
 * JSON on the normalized topics run through the normalizers' pure functions in-process.
 */
export function decodeAgentGraphRecord(rec: KafkaRecord, client: string, topics: GraphTopics, ctx: AgentGraphContext): DecodedRecord {
  const known = [topics.events, topics.logs, topics.alerts, topics.rawPromAlerts, topics.promTargets];
  if (!known.includes(rec.topic)) return { kind: 'reject', reason: `unexpected topic ${rec.topic}` };
  const who = resolveClient(rec.topic, rec.key, null, ctx.tenancy);
  if (!who.ok || who.client !== client) return { kind: 'foreign' };
  const text = rec.value === null ? null : rec.value.toString('utf8');
  let json: unknown = null;
  if (text !== null && text.length > 0) {
    try {
      json = JSON.parse(text);
    } catch (err) {
      return { kind: 'reject', reason: `value is neither Avro nor JSON: ${(err as Error).message}` };
    }
  } else if (rec.topic !== topics.promTargets) return { kind: 'reject', reason: 'empty value' };
  const timestamp = rec.timestamp;
  if (rec.topic === topics.promTargets) return asDecoded(targetRecord(json, who.rest, timestamp), false);
  if (rec.topic === topics.events) {
    // The exporter's key is the bare Event uid: the id when the payload has none.
    const keyId = who.shape === 'unkeyed' && isSafeId(who.rest) ? who.rest : undefined;
    return asDecoded(agentEventValue(json, { keyId, timestamp, maxMessageChars: ctx.maxMessageChars }), true);
  }
  // Vector's key is {id}::{pod_uid}: shared by all lines of a pod, so never a log id.
  if (rec.topic === topics.logs) return asDecoded(agentLogValue(text as string, { timestamp, maxMessageChars: ctx.maxMessageChars, miner: ctx.miner }), true);
  if (rec.topic === topics.alerts) return asDecoded(reducedAlert(json), false);
  return asDecoded(promAlertsPayload(json), false);
}
