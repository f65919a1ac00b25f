import { createHash } from 'node:crypto';

/**
 * Stable ids for normalized records: the source's uid when it is safe to put in a Kafka key,
 * else a content hash, so a replay of the same input yields the same id (and the same key).
 *
 * @example stableId('5d8c0c4e-...', ['BackOff', 'pod/api']) // '5d8c0c4e-...'
 *          stableId(null, ['BackOff', 'pod/api'])           // 'h-3f7a...' (32 hex digits)
 */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function isSafeId(id: unknown): id is string {
  return typeof id === 'string' && SAFE_ID.test(id) && !id.includes('::');
}

/** 128 bits of SHA-1 over the parts, separated by a byte that never occurs in text. */
export function contentHash(parts: ReadonlyArray<string | number | null | undefined>): string {
  const h = createHash('sha1');
  for (const p of parts) h.update(p === null || p === undefined ? '\u0000' : String(p)).update('\u0001');
  return 'h-' + h.digest('hex').slice(0, 32);
}

export function stableId(uid: unknown, parts: ReadonlyArray<string | number | null | undefined>): string {
  return isSafeId(uid) ? uid : contentHash(parts);
}
