import { AlertmanagerAlert, fingerprintOf } from '../../../src/graph/alert';

/** A firing Alertmanager v4 alert with these labels, starting 2024-05-01T10:20:00Z. */
export function alertParsed(labels: Record<string, string>): AlertmanagerAlert {
  return { status: 'firing', labels, annotations: {}, startsAt: '2024-05-01T10:20:00Z', endsAt: '0001-01-01T00:00:00Z', fingerprint: fingerprintOf(labels) };
}
