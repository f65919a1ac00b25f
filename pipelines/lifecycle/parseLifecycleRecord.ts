import { validateClientId } from '../../src/domain/clientId';
import { Ackable, KafkaRecord } from '../../src/kafka/record';
import { LifecycleInput } from './lifecycleTypes';

/** Largest registry or heartbeat payload accepted; anything bigger is malformed. */
export const MAX_LIFECYCLE_PAYLOAD_BYTES = 64 * 1024;

function keyOf(rec: KafkaRecord): string | null {
  return rec.key === null ? null : rec.key.toString('utf8');
}

function invalid(source: 'registry' | 'heartbeat', rec: Ackable, reason: string, at: number): LifecycleInput {
  return { kind: 'input/invalid', source, key: keyOf(rec), reason, at, ack: rec.ack?.bind(rec), record: rec };
}

/** Validates the key as a client id and the JSON payload's client_id against it. */
function parsePayload(source: 'registry' | 'heartbeat', rec: Ackable, at: number): { client: string; body: Record<string, unknown> } | LifecycleInput {
  const key = keyOf(rec);
  const id = validateClientId(key ?? undefined);
  if (!id.ok) return invalid(source, rec, `invalid client id in key ${JSON.stringify(key)}: ${id.reason}`, at);
  const value = rec.value as Buffer;
  if (value.length > MAX_LIFECYCLE_PAYLOAD_BYTES) return invalid(source, rec, `payload is ${value.length} bytes, at most ${MAX_LIFECYCLE_PAYLOAD_BYTES} are accepted`, at);
  let body: unknown;
  try {
    body = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return invalid(source, rec, `malformed payload: not JSON (${(err as Error).message})`, at);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid(source, rec, 'malformed payload: not a JSON object', at);
  const payloadId = (body as Record<string, unknown>).client_id;
  if (payloadId === undefined) return invalid(source, rec, 'malformed payload: client_id is missing', at);
  if (payloadId !== id.clientId) {
    return invalid(source, rec, `key ${JSON.stringify(id.clientId)} differs from the payload's client_id ${JSON.stringify(payloadId)}`, at);
  }
  return { client: id.clientId, body: body as Record<string, unknown> };
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
