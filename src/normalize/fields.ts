import { parseRfc3339 } from '../domain/time';

/** Small readers for untyped JSON: they return null instead of throwing on a wrong type. */
export type Json = Record<string, unknown>;

export function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function obj(x: unknown): Json | null {
  return isObject(x) ? x : null;
}

export function str(x: unknown): string | null {
  return typeof x === 'string' && x.length > 0 ? x : null;
}

export function int(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? Math.trunc(x) : null;
}

/**
 * A timestamp in ms since the epoch from an RFC 3339 string ({@link parseRfc3339}: micro- and
 * nanosecond fractions cut to ms; RFC 2822, `"1"` and other forms `Date.parse` would take are not
 * times) or a number (seconds when below 1e11, as Fluent Bit writes them; else ms).
 */
export function timestampMs(x: unknown): number | null {
  if (typeof x === 'number' && Number.isFinite(x) && x > 0) return x < 1e11 ? Math.round(x * 1000) : Math.round(x);
  if (typeof x !== 'string' || x.length === 0) return null;
  return parseRfc3339(x);
}
