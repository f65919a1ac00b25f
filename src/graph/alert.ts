import { createHash } from 'node:crypto';
import { futureProblem, parseRfc3339 } from '../domain/time';

/** One alert of an Alertmanager webhook (payload version 4), as carried on alerts.raw. */
export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
  fingerprint: string;
}

/**
 * Alertmanager's fingerprints are 16 hex digits over the label set; when a sender leaves it out
 * we derive one the same way in spirit: a hash of the sorted labels, so resends map to one key.
 */
export function fingerprintOf(labels: Record<string, string>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

function isStringMap(x: unknown): x is Record<string, string> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Object.values(x).every((v) => typeof v === 'string');
}

/** Longest alert label name and value accepted (a 200 KB `pod` label stalled the graph writes once). */
export const ALERT_LABEL_NAME_MAX = 128;
export const ALERT_LABEL_VALUE_MAX = 1024;
/** Alertmanager's "not set" for endsAt (Go's zero time). */
const ZERO_TIME = /^0001-01-01T00:00:00(\.0+)?Z$/;

function labelsProblem(labels: Record<string, string>, where: string): string | null {
  for (const [k, v] of Object.entries(labels)) {
    if (k.length === 0 || k.length > ALERT_LABEL_NAME_MAX) return `${where}.labels has a name of ${k.length} characters (1 to ${ALERT_LABEL_NAME_MAX})`;
    if (v.length > ALERT_LABEL_VALUE_MAX) return `${where}.labels.${k} is ${v.length} characters (at most ${ALERT_LABEL_VALUE_MAX})`;
  }
  return null;
}

/**
 * Validates one alert object; `where` prefixes the reason (e.g. "alerts[2]"). A missing
 * fingerprint is computed from the labels. Times must be RFC 3339, and startsAt at most a day
 * after `nowMs` (the server clock at the webhook, the record's Kafka time in the graph builder);
 * labels are bounded ({@link ALERT_LABEL_VALUE_MAX}). `nowMs` undefined skips the future check.
 */
export function parseAlert(x: unknown, where = 'alert', nowMs?: number): { ok: true; alert: AlertmanagerAlert } | { ok: false; reason: string } {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return { ok: false, reason: `${where} must be an object` };
  const o = x as Record<string, unknown>;
  if (o.status !== 'firing' && o.status !== 'resolved') return { ok: false, reason: `${where}.status must be "firing" or "resolved", got ${JSON.stringify(o.status)}` };
  if (!isStringMap(o.labels)) return { ok: false, reason: `${where}.labels must be an object of strings` };
  if (typeof o.labels.alertname !== 'string' || o.labels.alertname === '') return { ok: false, reason: `${where}.labels.alertname is required` };
  const bounds = labelsProblem(o.labels, where);
  if (bounds) return { ok: false, reason: bounds };
  if (o.annotations !== undefined && !isStringMap(o.annotations)) return { ok: false, reason: `${where}.annotations must be an object of strings` };
  const startsAt = typeof o.startsAt === 'string' ? parseRfc3339(o.startsAt) : null;
  if (startsAt === null) return { ok: false, reason: `${where}.startsAt must be an RFC 3339 time, got ${JSON.stringify(o.startsAt)}` };
  const late = nowMs === undefined ? null : futureProblem(startsAt, nowMs, `${where}.startsAt`);
  if (late) return { ok: false, reason: late };
  if (o.endsAt !== undefined && (typeof o.endsAt !== 'string' || (parseRfc3339(o.endsAt) === null && !ZERO_TIME.test(o.endsAt)))) return { ok: false, reason: `${where}.endsAt must be an RFC 3339 time` };
  if (o.fingerprint !== undefined && (typeof o.fingerprint !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(o.fingerprint))) {
    return { ok: false, reason: `${where}.fingerprint must be 1-128 characters of [A-Za-z0-9_-]` };
  }
  const labels = o.labels;
  return {
    ok: true,
    alert: {
      status: o.status,
      labels,
      annotations: (o.annotations as Record<string, string> | undefined) ?? {},
      startsAt: o.startsAt as string,
      ...(typeof o.endsAt === 'string' ? { endsAt: o.endsAt } : {}),
      ...(typeof o.generatorURL === 'string' ? { generatorURL: o.generatorURL } : {}),
      fingerprint: typeof o.fingerprint === 'string' && o.fingerprint !== '' ? o.fingerprint : fingerprintOf(labels),
    },
  };
}
