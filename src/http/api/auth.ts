import { timingSafeEqual } from 'node:crypto';
import { ApiConfig, isLoopbackAddress } from './apiConfig';

/** Who is asking: the admin token, one client's read token, or (no token configured) a loopback caller. */
export type Principal = { kind: 'admin' } | { kind: 'client'; client: string } | { kind: 'loopback' };

export type AuthResult = { ok: true; principal: Principal } | { ok: false; status: 401 | 403; error: string };

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The bearer token of a request: `Authorization: Bearer …`, or `access_token` in the query where a browser cannot send headers (server-sent events). */
export function tokenOf(authorization: string | undefined, queryToken: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m ? m[1] : queryToken;
}

/**
 * Authenticates one request. With no token configured, only loopback callers are served (the
 * server then refuses a non-loopback bind at start, see loadApiConfig).
 */
export function authenticate(config: Pick<ApiConfig, 'adminToken' | 'clientTokens'>, token: string | undefined, remoteAddress: string | undefined): AuthResult {
  const configured = config.adminToken !== undefined || config.clientTokens.size > 0;
  if (!configured) {
    return isLoopbackAddress(remoteAddress) ? { ok: true, principal: { kind: 'loopback' } } : { ok: false, status: 403, error: 'no API token is configured: only loopback callers are served' };
  }
  if (token === undefined) return { ok: false, status: 401, error: 'missing bearer token (Authorization: Bearer <token>)' };
  if (config.adminToken !== undefined && same(token, config.adminToken)) return { ok: true, principal: { kind: 'admin' } };
  for (const [client, t] of config.clientTokens) if (same(token, t)) return { ok: true, principal: { kind: 'client', client } };
  return { ok: false, status: 401, error: 'unknown token' };
}

/** Whether `p` may read `client`'s data. */
export function mayRead(p: Principal, client: string): boolean {
  return p.kind !== 'client' || p.client === client;
}

/** Whether `p` may write feedback (confirm / reject causes): the admin, or a loopback caller when no token is configured. */
export function mayWrite(p: Principal): boolean {
  return p.kind !== 'client';
}

export function principalName(p: Principal): string {
  return p.kind === 'client' ? `client:${p.client}` : p.kind;
}
