import { validateClientId } from '../../src/domain/clientId';
import { Ackable, KafkaRecord } from '../../src/kafka/record';
import { TOPICS } from '../../src/kafka/topics';
import { kcatRegistration, resolveClient } from '../../src/tenancy/resolveClient';
import { LifecycleInput } from './lifecycleTypes';

/** Largest registry or heartbeat payload accepted; anything bigger is malformed. */
export const MAX_LIFECYCLE_PAYLOAD_BYTES = 64 * 1024;

function keyOf(rec: KafkaRecord): string | null {
  return rec.key === null ? null : rec.key.toString('utf8');
}

function invalid(source: 'registry' | 'heartbeat', rec: Ackable, reason: string, at: number): LifecycleInput {
  return { kind: 'input/invalid', source, key: keyOf(rec), reason, at, ack: rec.ack?.bind(rec), record: rec };
}

/**
 * Validates the key as a client id and the JSON payload's client_id against it. Keys as the
 * kg-rca-agent sends them: `{id}` (registry jobs, heartbeat CronJob), `{id}::{id}` (state-watcher
 * heartbeat), and on the registry `{"client_id"` (its kcat job cut the JSON at the first ":"; the
 * client is recovered from key + ":" + value).
 */
function parsePayload(source: 'registry' | 'heartbeat', rec: Ackable, at: number): { client: string; body: Record<string, unknown> } | LifecycleInput {
  const key = keyOf(rec);
  const value = rec.value as Buffer;
  if (value.length > MAX_LIFECYCLE_PAYLOAD_BYTES) return invalid(source, rec, `payload is ${value.length} bytes, at most ${MAX_LIFECYCLE_PAYLOAD_BYTES} are accepted`, at);
  const who = resolveClient(source === 'registry' ? TOPICS.registry.name : TOPICS.heartbeat.name, key, value, {});
  if (!who.ok) return invalid(source, rec, who.unresolved ? `invalid client id in key ${JSON.stringify(key)}: missing key` : who.reason, at);
  if (who.shape === 'kcat-split') {
    if (source !== 'registry') return invalid(source, rec, `key ${JSON.stringify(key)} (a kcat-split registration) on the heartbeat topic`, at);
    const reg = kcatRegistration(value);
    return reg.ok ? { client: reg.client, body: reg.body } : invalid(source, rec, reg.reason, at);
  }
  if (who.shape === 'prefixed' && !(source === 'heartbeat' && who.rest === who.client)) {
    return invalid(source, rec, `invalid client id in key ${JSON.stringify(key)}: expected {client}${source === 'heartbeat' ? ' or {client}::{client}' : ''}`, at);
  }
  let body: unknown;
  try {
    body = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return invalid(source, rec, `malformed payload: not JSON (${(err as Error).message})`, at);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid(source, rec, 'malformed payload: not a JSON object', at);
  const payloadId = (body as Record<string, unknown>).client_id;
  if (payloadId === undefined) return invalid(source, rec, 'malformed payload: client_id is missing', at);
  if (payloadId !== who.client) {
    return invalid(source, rec, `key ${JSON.stringify(who.client)} differs from the payload's client_id ${JSON.stringify(payloadId)}`, at);
  }
  return { client: who.client, body: body as Record<string, unknown> };
}

/**
 * A cluster.registry record as a lifecycle input. `at` is the server's receive time; `replay`
 * says the record was produced before this control plane started. A null value is a tombstone.
 *
 * @example parseRegistryRecord(rec, Date.now(), false)
 *   // { kind: 'registry/registration', client: 'acme', info: { cluster_name: 'prod' }, token: undefined, ... }
 */
export function parseRegistryRecord(rec: Ackable, at: number, replay: boolean): LifecycleInput {
  const ack = rec.ack?.bind(rec);
  if (rec.value === null) {
    const key = keyOf(rec);
    const id = validateClientId(key ?? undefined);
    if (!id.ok) return invalid('registry', rec, `invalid client id in tombstone key ${JSON.stringify(key)}: ${id.reason}`, at);
    return { kind: 'registry/tombstone', client: id.clientId, replay, at, ack };
  }
  const parsed = parsePayload('registry', rec, at);
  if ('kind' in parsed) return parsed;
  const { token, client_id: _id, ...info } = parsed.body;
  if (token !== undefined && typeof token !== 'string') return invalid('registry', rec, 'malformed payload: token must be a string', at);
  return { kind: 'registry/registration', client: parsed.client, info, token: token as string | undefined, replay, at, ack };
}

/** A cluster.heartbeat record as a lifecycle input; the payload's timestamp (client clock) is ignored. */
export function parseHeartbeatRecord(rec: Ackable, at: number): LifecycleInput {
  if (rec.value === null) return invalid('heartbeat', rec, 'malformed payload: empty heartbeat', at);
  const parsed = parsePayload('heartbeat', rec, at);
  if ('kind' in parsed) return parsed;
  return { kind: 'heartbeat/received', client: parsed.client, at, ack: rec.ack?.bind(rec) };
}
