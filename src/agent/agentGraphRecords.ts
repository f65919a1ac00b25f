import { createHash } from 'node:crypto';
import { NormalizedEvent, NormalizedLog } from '../avro/normalizedCodec';
import { AlertmanagerAlert, parseAlert } from '../graph/alert';
import { EventRow } from '../graph/eventRows';
import { resourceRef, ResourceRef } from '../graph/resourceId';
import { normalizeEvent } from '../normalize/normalizeEvent';
import { normalizeLog } from '../normalize/normalizeLog';
import { TemplateMiner } from '../normalize/templateMiner';

/**
 * What the graph builder makes of the kg-rca-agent's JSON records (chart 2.1.2):
 * - events.normalized with the chart's default route: the event exporter's EnhancedEvent (raw
 *   JSON, not our Avro) → normalized in-process by the event normalizer's pure function;
 *   Vector's normalized Prometheus alert (`etype: "prom.alert"`, `alerts` = ONE Alertmanager alert) → that alert;
 * - logs.normalized: Vector's enriched kubernetes_logs event → normalized in-process by the log normalizer's pure function;
 * - alerts.raw from the Go alert receiver: the reduced `{event_id, event_time, client_id, etype,
 *   severity, reason, message, subject}` → an alert (firing: the receiver drops the status);
 * - raw.prom.alerts: Vector's whole Alertmanager webhook payload → its alerts;
 * - state.prom.targets: a TargetRecord whose health is `down` → a `TargetDown` event about the
 *   scraped Pod (else Service, else Node); `up`, `unknown` and tombstones are skipped.
 */
export type AgentGraphValue =
  | { kind: 'event'; value: NormalizedEvent }
  | { kind: 'log'; value: NormalizedLog }
  | { kind: 'alerts'; value: AlertmanagerAlert[] }
  | { kind: 'row'; value: EventRow }
  | { kind: 'skip'; reason: string }
  | { kind: 'reject'; reason: string };

type Json = Record<string, unknown>;
const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string | null => (typeof x === 'string' && x !== '' ? x : null);

/** The exporter's JSON (or Vector's normalized alert) found on events.normalized. */
export function agentEventValue(json: unknown, ctx: { keyId?: string; timestamp: number; maxMessageChars?: number }): AgentGraphValue {
  if (isObj(json) && json.etype === 'prom.alert' && isObj(json.alerts)) {
    const a = parseAlert(json.alerts, 'alerts');
    return a.ok ? { kind: 'alerts', value: [a.alert] } : { kind: 'reject', reason: `Vector prom.alert on events.normalized: ${a.reason}` };
  }
  const r = normalizeEvent(json, { fallbackTimestamp: ctx.timestamp, keyId: ctx.keyId, maxMessageChars: ctx.maxMessageChars });
  return r.ok ? { kind: 'event', value: r.value } : { kind: 'reject', reason: `not Avro, and as JSON: ${r.reason}` };
}

/** Vector's enriched log found on logs.normalized. */
export function agentLogValue(text: string, ctx: { keyId?: string; timestamp: number; maxMessageChars?: number; miner: TemplateMiner }): AgentGraphValue {
  const r = normalizeLog(text, { fallbackTimestamp: ctx.timestamp, keyId: ctx.keyId, maxMessageChars: ctx.maxMessageChars, miner: ctx.miner });
  return r.ok ? { kind: 'log', value: r.value } : { kind: 'reject', reason: `not Avro, and as JSON: ${r.reason}` };
}

const SUBJECT_LABEL: Record<string, string> = { Pod: 'pod', Service: 'service', Deployment: 'deployment', Node: 'node' };

/** The Go alert receiver's reduced alert, as an Alertmanager alert (status unknown: firing). */
export function reducedAlert(json: unknown): AgentGraphValue {
  if (!isObj(json)) return { kind: 'reject', reason: 'reduced alert must be a JSON object' };
  const id = str(json.event_id);
  const reason = str(json.reason);
  const at = str(json.event_time);
  if (json.etype !== 'prom.alert' || !id || !reason || !at || Number.isNaN(Date.parse(at))) {
    return { kind: 'reject', reason: 'alert is neither one Alertmanager alert (key {client}::alert::{fingerprint}) nor the alert receiver\'s reduced alert {event_id, event_time, etype: "prom.alert", reason, subject}' };
  }
  const subject = isObj(json.subject) ? json.subject : {};
  const labels: Record<string, string> = { alertname: reason };
  if (str(json.severity)) labels.severity = (json.severity as string).toLowerCase();
  if (str(subject.ns)) labels.namespace = subject.ns as string;
  const kindLabel = SUBJECT_LABEL[String(subject.kind)];
  if (kindLabel && str(subject.name)) labels[kindLabel] = subject.name as string;
  const a = parseAlert({ status: 'firing', labels, annotations: str(json.message) ? { description: json.message } : {}, startsAt: at, fingerprint: id.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 128) || undefined });
  return a.ok ? { kind: 'alerts', value: [a.alert] } : { kind: 'reject', reason: a.reason };
}

/** Vector's whole Alertmanager payload on raw.prom.alerts. */
export function promAlertsPayload(json: unknown): AgentGraphValue {
  if (!isObj(json) || !Array.isArray(json.alerts)) return { kind: 'reject', reason: 'raw.prom.alerts value must be an Alertmanager webhook payload with an alerts array' };
  const out: AlertmanagerAlert[] = [];
  for (let i = 0; i < json.alerts.length; i++) {
    const a = parseAlert(json.alerts[i], `alerts[${i}]`);
    if (!a.ok) return { kind: 'reject', reason: a.reason };
    out.push(a.alert);
  }
  return out.length > 0 ? { kind: 'alerts', value: out } : { kind: 'skip', reason: 'payload without alerts' };
}

function targetSubject(labels: Record<string, string>): ResourceRef | null {
  const ns = labels.namespace ?? '';
  return (labels.pod ? resourceRef('Pod', ns, labels.pod) : null) ?? (labels.service ? resourceRef('Service', ns, labels.service) : null) ?? (labels.node ? resourceRef('Node', '', labels.node) : null);
}

/** A state.prom.targets record (`keyRest` = the key after `{client}::`): a target down is evidence. */
export function targetRecord(json: unknown | null, keyRest: string, timestamp: number): AgentGraphValue {
  if (json === null) return { kind: 'skip', reason: 'target tombstone (the target disappeared)' };
  if (!isObj(json) || !isObj(json.labels) || typeof json.health !== 'string') return { kind: 'reject', reason: 'TargetRecord must be {op, at, labels, scrapeUrl, health, lastScrape, lastError?}' };
  if (json.health !== 'down') return { kind: 'skip', reason: `target ${json.health}` };
  const labels = Object.fromEntries(Object.entries(json.labels).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  const ref = targetSubject(labels);
  const scraped = Date.parse(String(json.lastScrape));
  const ts = Number.isFinite(scraped) && scraped > 0 ? scraped : Date.parse(String(json.at)) || timestamp;
  const message = `scrape of ${String(json.scrapeUrl ?? labels.instance ?? '')} failed${str(json.lastError) ? `: ${json.lastError as string}` : ''}`;
  return {
    kind: 'row',
    value: {
      // One event per target: re-sent every 30 s while down, it stays one node (first and last seen).
      eid: `target:${createHash('sha1').update(keyRest).digest('hex').slice(0, 24)}`,
      source: 'k8s',
      reason: 'TargetDown',
      category: 'unhealthy',
      severity: 'warning',
      message: message.length > 2000 ? message.slice(0, 1997) + '...' : message,
      ts,
      last_ts: ts,
      count: 1,
      detail: labels.job ?? null,
      rid: ref?.rid ?? null,
      kind: ref?.kind ?? null,
      namespace: ref?.namespace ?? null,
      name: ref?.name ?? null,
    },
  };
}
