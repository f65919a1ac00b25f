import { ConfigError, Env, readOptional } from '../config/env';
import { CLIENT_ID_RULE, validateClientId } from '../domain/clientId';
import { TenancyOptions } from './resolveClient';

/**
 * DEFAULT_CLIENT_ID (optional): the client of records that name none — the kg-rca-agent's
 * event-exporter events (key = bare Event uid) and Vector raw logs (null key). Set it only when
 * this deployment serves one cluster; unset, such records are dead-lettered once (by the
 * topology builder process, see pipelines/tenancy/unresolvedRecords.ts).
 */
export function loadTenancyOptions(env: Env): TenancyOptions {
  const v = readOptional(env, 'DEFAULT_CLIENT_ID');
  if (v === undefined) return {};
  const check = validateClientId(v);
  if (!check.ok) throw new ConfigError('DEFAULT_CLIENT_ID', `${check.reason}, got ${JSON.stringify(v)}`, `Set DEFAULT_CLIENT_ID to a client id (${CLIENT_ID_RULE}) or unset it`);
  return { defaultClient: check.clientId };
}
