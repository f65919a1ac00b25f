import { validateClientId } from './clientId';
import { clipText } from './text';

/**
 * Kafka key formats of DESIGN.md. The client id lives only in the key, before the first "::".
 *
 * @example
 *   parseKey('acme::event::9f2c')  // { ok: true, client: 'acme', type: 'event', id: '9f2c' }
 *   formatNormalizedKey('acme', 'evt', 'abc') // 'acme::evt-abc'
 */
export const KEY_SEPARATOR = '::';

export interface ParsedKey {
  ok: true;
  client: string;
  /** "event", "log", "alert", "target", "topology"; for state.k8s.resource the Kubernetes kind. */
  type: string;
  /** Everything after the second "::" ("" for `{client}::topology`). */
  id: string;
}
export interface BadKey {
  ok: false;
  reason: string;
}

/** Aliases accepted on input, mapped to the canonical type. */
const TYPE_ALIASES: Record<string, string> = { 'k8s-event': 'event' };

export function keyToString(key: Buffer | string | null | undefined): string | null {
  if (key === null || key === undefined) return null;
  return typeof key === 'string' ? key : key.toString('utf8');
}

/** The client prefix of any key, validated; `null` key or an invalid prefix is a reason. */
export function clientOfKey(key: string | null): { ok: true; client: string } | BadKey {
  if (key === null || key.length === 0) return { ok: false, reason: 'missing key' };
  const sep = key.indexOf(KEY_SEPARATOR);
  const prefix = sep < 0 ? key : key.slice(0, sep);
  const check = validateClientId(prefix);
  if (!check.ok) return { ok: false, reason: `invalid client id in key: ${check.reason}` };
  return { ok: true, client: check.clientId };
}

/** Parses `{client}::{type}::{id}` (and `{client}::topology`). The type is lower-cased only via aliases. */
export function parseKey(key: Buffer | string | null | undefined): ParsedKey | BadKey {
  const text = keyToString(key);
  if (text === null || text.length === 0) return { ok: false, reason: 'missing key' };
  const first = text.indexOf(KEY_SEPARATOR);
  if (first < 0) return { ok: false, reason: `malformed key ${JSON.stringify(clip(text))}: no "::" separator` };
  const who = clientOfKey(text);
  if (!who.ok) return who;
  const rest = text.slice(first + KEY_SEPARATOR.length);
  const second = rest.indexOf(KEY_SEPARATOR);
  const rawType = second < 0 ? rest : rest.slice(0, second);
  const id = second < 0 ? '' : rest.slice(second + KEY_SEPARATOR.length);
  if (rawType.length === 0) return { ok: false, reason: `malformed key ${JSON.stringify(clip(text))}: empty type` };
  const type = TYPE_ALIASES[rawType] ?? rawType;
  if (second < 0 && type !== 'topology') {
    return { ok: false, reason: `malformed key ${JSON.stringify(clip(text))}: expected {client}::{type}::{id}` };
  }
  if (second >= 0 && id.length === 0) return { ok: false, reason: `malformed key ${JSON.stringify(clip(text))}: empty id` };
  return { ok: true, client: who.client, type, id };
}

/** `{client}::{type}::{id}` for raw topics. */
export function formatKey(client: string, type: string, id: string): string {
  return `${client}${KEY_SEPARATOR}${type}${KEY_SEPARATOR}${id}`;
}

export type NormalizedKind = 'evt' | 'log';

/** `{client}::evt-{id}` / `{client}::log-{id}` for events.normalized and logs.normalized. */
export function formatNormalizedKey(client: string, kind: NormalizedKind, id: string): string {
  return `${client}${KEY_SEPARATOR}${kind}-${id}`;
}

export function parseNormalizedKey(
  key: Buffer | string | null | undefined,
): { ok: true; client: string; kind: NormalizedKind; id: string } | BadKey {
  const text = keyToString(key);
  if (text === null || text.length === 0) return { ok: false, reason: 'missing key' };
  const who = clientOfKey(text);
  if (!who.ok) return who;
  const rest = text.slice(who.client.length + KEY_SEPARATOR.length);
  const m = /^(evt|log)-(.+)$/.exec(rest);
  if (!m || text.indexOf(KEY_SEPARATOR) !== who.client.length) {
    return { ok: false, reason: `malformed normalized key ${JSON.stringify(clip(text))}: expected {client}::evt-{id} or {client}::log-{id}` };
  }
  return { ok: true, client: who.client, kind: m[1] as NormalizedKind, id: m[2] };
}

/** The prefix a worker for `client` accepts; anything else is foreign. */
export function clientPrefix(client: string): string {
  return client + KEY_SEPARATOR;
}

function clip(s: string): string {
  return clipText(s, 80);
}

/** True when the key starts with `prefix` (`{client}::` as bytes) and has more after it; compares bytes, so foreign records cost no decoding. */
export function hasPrefix(key: Buffer | null, prefix: Buffer): boolean {
  return key !== null && key.length > prefix.length && key.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}
