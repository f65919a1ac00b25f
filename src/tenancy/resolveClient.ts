import { validateClientId } from '../domain/clientId';
import { KEY_SEPARATOR } from '../domain/keys';

/**
 * Which client a record belongs to, from its topic, key and (only for the kg-rca-agent's broken
 * kcat registration) value. One pure function, so the shared-topic workers of today and the
 * tenancy router of issue 16 (per-client topics) decide the same way.
 *
 * Key shapes (see ../../README.md "Using the kg-rca-agent chart"):
 * - `prefixed`: `{client}::{rest}` — kgroot's own keys and most of the agent's
 *   (`{id}::pod:{uid}`, `{id}::edge:…`, `{id}::{id}`, `{id}::{pod_uid}`, `{id}::{uuid}`, `{id}::{groupKey}`);
 * - `bare-client`: the whole key is the client id — only on cluster.registry and cluster.heartbeat;
 * - `kcat-split`: key `{"client_id"` — the agent's register job piped its JSON through
 *   `kcat -K:`, which cut it at the first `:`; the client is recovered from `key + ":" + value`;
 * - `unkeyed`: a null key (Vector raw logs) or a key naming no client (the event exporter's bare
 *   Event uid) — the record belongs to `defaultClient` (DEFAULT_CLIENT_ID), or to nobody.
 *
 * @example
 *   resolveClient('state.k8s.resource', 'acme::pod:1dfa', null, {})  // { ok: true, client: 'acme', shape: 'prefixed', rest: 'pod:1dfa' }
 *   resolveClient('raw.k8s.logs', null, buf, {})                    // { ok: false, unresolved: true, reason: 'no client: …' }
 *   resolveClient('raw.k8s.logs', null, buf, { defaultClient: 'acme' }) // { ok: true, client: 'acme', shape: 'unkeyed', rest: '' }
 */
export type KeyShape = 'prefixed' | 'bare-client' | 'kcat-split' | 'unkeyed';

export type Resolution =
  | { ok: true; client: string; shape: KeyShape; /** The key after `{client}::` (prefixed), the whole key (unkeyed), else "". */ rest: string }
  /** `unresolved`: the record names no client and there is no default (not malformed: dead-lettered once, by one component). */
  | { ok: false; unresolved: boolean; reason: string };

export interface TenancyOptions {
  /** DEFAULT_CLIENT_ID: the client of records that name none (a deployment serving one cluster). */
  defaultClient?: string;
}

/** Topics whose keys are the bare client id. */
export const BARE_CLIENT_TOPICS: ReadonlySet<string> = new Set(['cluster.registry', 'cluster.heartbeat']);

/** The literal key kcat 1.7.1 (`-K:`) leaves of the agent's registration JSON. */
export const KCAT_SPLIT_KEY = '{"client_id"';

function clip(s: string): string {
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}

/** `key + ":" + value` of a kcat-split registration, parsed: the client, or why not. */
export function kcatRegistration(value: Buffer | null): { ok: true; client: string; body: Record<string, unknown> } | { ok: false; reason: string } {
  if (value === null || value.length === 0) return { ok: false, reason: 'kcat-split registration (key {"client_id") without a value: the rest of the JSON is missing' };
  let body: unknown;
  try {
    body = JSON.parse(`${KCAT_SPLIT_KEY}:${value.toString('utf8')}`);
  } catch (err) {
    return { ok: false, reason: `kcat-split registration (key {"client_id", the JSON cut at its first ":" by kcat -K:): key + ":" + value is not JSON (${(err as Error).message})` };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, reason: 'kcat-split registration: key + ":" + value is not a JSON object' };
  const id = validateClientId((body as Record<string, unknown>).client_id);
  if (!id.ok) return { ok: false, reason: `kcat-split registration: invalid client_id: ${id.reason}` };
  return { ok: true, client: id.clientId, body: body as Record<string, unknown> };
}

export function resolveClient(topic: string, key: Buffer | string | null, value: Buffer | null, opts: TenancyOptions): Resolution {
  const text = key === null ? null : typeof key === 'string' ? key : key.toString('utf8');
  const unkeyed = (why: string): Resolution =>
    opts.defaultClient
      ? { ok: true, client: opts.defaultClient, shape: 'unkeyed', rest: text ?? '' }
      : { ok: false, unresolved: true, reason: `no client: ${why}, and DEFAULT_CLIENT_ID is unset (set it when this deployment serves one cluster)` };
  if (text === null || text.length === 0) return unkeyed(`the record on ${topic} has no key`);
  if (text === KCAT_SPLIT_KEY) {
    const reg = kcatRegistration(value);
    return reg.ok ? { ok: true, client: reg.client, shape: 'kcat-split', rest: '' } : { ok: false, unresolved: false, reason: reg.reason };
  }
  const sep = text.indexOf(KEY_SEPARATOR);
  if (sep >= 0) {
    const id = validateClientId(text.slice(0, sep));
    if (!id.ok) return { ok: false, unresolved: false, reason: `invalid client id in key ${JSON.stringify(clip(text))}: ${id.reason}` };
    return { ok: true, client: id.clientId, shape: 'prefixed', rest: text.slice(sep + KEY_SEPARATOR.length) };
  }
  if (BARE_CLIENT_TOPICS.has(topic)) {
    const id = validateClientId(text);
    if (!id.ok) return { ok: false, unresolved: false, reason: `invalid client id in key ${JSON.stringify(clip(text))}: ${id.reason}` };
    return { ok: true, client: id.clientId, shape: 'bare-client', rest: '' };
  }
  return unkeyed(`the key ${JSON.stringify(clip(text))} on ${topic} names no client (no "{client}::" prefix; e.g. the event exporter's bare Event uid)`);
}
