import { formatKey } from '../domain/keys';
import { utf8OrNull } from '../domain/text';
import { parseAlert } from '../graph/alert';
import { OutRecord } from '../kafka/record';
import { TOPICS } from '../kafka/topics';

/**
 * An Alertmanager webhook body (payload version 4) → one alerts.raw record per alert, keyed
 * `{client}::alert::{fingerprint}`, the value the alert itself (fingerprint filled in when absent).
 * Any problem rejects the whole body, naming the field.
 */
export function alertRecordsOfWebhook(body: Buffer, client: string, nowMs = Date.now()): { ok: true; records: OutRecord[] } | { ok: false; error: string } {
  const text = utf8OrNull(body);
  if (text === null) return { ok: false, error: 'body is not valid UTF-8' };
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `body is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { ok: false, error: 'body must be a JSON object (Alertmanager webhook payload)' };
  const p = payload as Record<string, unknown>;
  if (p.version !== '4') return { ok: false, error: `version must be "4" (Alertmanager webhook payload version), got ${JSON.stringify(p.version)}` };
  if (!Array.isArray(p.alerts)) return { ok: false, error: 'alerts must be an array' };
  if (p.alerts.length === 0) return { ok: false, error: 'alerts is empty' };
  const records: OutRecord[] = [];
  for (let i = 0; i < p.alerts.length; i++) {
    const parsed = parseAlert(p.alerts[i], `alerts[${i}]`, nowMs);
    if (!parsed.ok) return { ok: false, error: parsed.reason };
    records.push({
      topic: TOPICS.alertsRaw.name,
      key: formatKey(client, 'alert', parsed.alert.fingerprint),
      value: Buffer.from(JSON.stringify(parsed.alert)),
      headers: { 'content-type': 'application/json', 'kg.source': 'alertmanager', ...(typeof p.receiver === 'string' ? { 'kg.receiver': p.receiver } : {}) },
    });
  }
  return { ok: true, records };
}
