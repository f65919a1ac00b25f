/**
 * Timestamps from outside, read strictly. Kubernetes, Alertmanager, Vector and the agent write
 * RFC 3339 (`2024-06-10T12:00:00Z`, `…12:00:00.123456789+02:00`); `Date.parse` also takes
 * RFC 2822 (`Mon, 10 Jun 2024 12:00:00 GMT`), bare numbers (`"1"` → 2001) and more, so a careless
 * or hostile sender could place an event anywhere in time. A time more than {@link MAX_FUTURE_MS}
 * after the record's own time (its Kafka timestamp, or the server clock at the webhook) is
 * rejected with the reason: a year-9999 alert would otherwise stay the client's latest for good.
 */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Ms since the epoch of an RFC 3339 time (fractions beyond ms cut), or null for anything else. */
export function parseRfc3339(s: string): number | null {
  const m = RFC3339.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac = '', zone] = m;
  if (+mo < 1 || +mo > 12 || +d < 1 || +d > 31 || +h > 23 || +mi > 59 || +sec > 60) return null;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}${frac.slice(0, 4)}${zone.toUpperCase()}`);
  return Number.isFinite(ms) ? ms : null;
}

/** Why `ms` is not a time to store, next to `referenceMs` (the record's time), or null when it is fine. */
export function futureProblem(ms: number, referenceMs: number, what: string): string | null {
  if (ms - referenceMs > MAX_FUTURE_MS) return `${what} ${new Date(ms).toISOString()} is more than a day after the record's time ${new Date(referenceMs).toISOString()}`;
  return null;
}
