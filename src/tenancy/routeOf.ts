import { keyToString, KEY_SEPARATOR } from '../domain/keys';
import { validateClientId } from '../domain/clientId';

/** Where one record goes: its client, or why no client can be named. */
export type Route = { ok: true; client: string; via: 'key' | 'default' } | { ok: false; reason: string };

/** A Kubernetes uid (8-4-4-4-12 hex): a bare object key, never a client id, even where it would pass the id rule. */
const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The client of a record on a shared raw topic, from its key alone (the value is never parsed
 * here): the prefix of `{client}::…` (DESIGN.md's contract; what follows is checked by the worker,
 * which is the only reader of the client's topic, so a bad rest is dead-lettered once there); a key
 * that names no client (null, empty, a bare uid) belongs to `defaultClient` when one is
 * configured. A key equal to a client id with nothing after it is malformed, not foreign.
 *
 * @example routeOf('acme::event::9f2c', null)        // { ok: true, client: 'acme', via: 'key' }
 *          routeOf(null, 'solo')                     // { ok: true, client: 'solo', via: 'default' }
 *          routeOf('acme', null)                     // { ok: false, reason: 'malformed key "acme": …' }
 */
export function routeOf(key: Buffer | string | null | undefined, defaultClient: string | null): Route {
  const text = keyToString(key);
  const sep = text === null ? -1 : text.indexOf(KEY_SEPARATOR);
  if (text !== null && sep >= 0) {
    const check = validateClientId(text.slice(0, sep));
    if (!check.ok) return { ok: false, reason: `invalid client id in key ${clip(text)}: ${check.reason}` };
    if (text.length === sep + KEY_SEPARATOR.length) return { ok: false, reason: `malformed key ${clip(text)}: nothing after "${KEY_SEPARATOR}"` };
    return { ok: true, client: check.clientId, via: 'key' };
  }
  if (text !== null && text.length > 0 && !UID.test(text) && validateClientId(text).ok) {
    return { ok: false, reason: `malformed key ${clip(text)}: a client id needs "::{type}::{id}" after it` };
  }
  if (defaultClient !== null) return { ok: true, client: defaultClient, via: 'default' };
  const what = text === null || text.length === 0 ? 'the key is empty' : `the key ${clip(text)} names no client`;
  return { ok: false, reason: `${what} and DEFAULT_CLIENT_ID is not set: no client to route it to` };
}

function clip(s: string): string {
  return JSON.stringify(s.length > 80 ? s.slice(0, 77) + '...' : s);
}
