import { subjectCodec, SubjectCodec } from './schemaRegistry';

/**
 * Avro values of events.normalized and logs.normalized (schemas/normalized-*.avsc), in the
 * Confluent wire format: 0x00 + 4-byte schema id + Avro body. Writers use the latest version;
 * the decoders read every earlier version into the latest shape. No client id in any value.
 *
 * @example
 *   const buf = encodeNormalizedEvent(e); decodeNormalizedEvent(buf) // deep-equals e
 */
export type Severity = 'info' | 'warning' | 'error' | 'critical';

export interface NormalizedEvent {
  event_id: string;
  /** ms since the epoch */
  timestamp: number;
  reason: string;
  message: string;
  /** Normal | Warning */
  type: string | null;
  severity: Severity;
  event_type_abstract: string;
  object_kind: string | null;
  object_namespace: string | null;
  object_name: string | null;
  object_uid: string | null;
  pod: string | null;
  container: string | null;
  node: string | null;
  count: number;
  reporting_component: string | null;
  source_format: string;
  /**
   * v3: when the Event was first seen (ms), if before `timestamp` (its latest occurrence): a repeated
   * Event keeps its uid, so every occurrence names the same graph event and its first time. Null for
   * records of v1/v2 (the default) and for events seen once. Optional here so a writer may omit it.
   */
  first_timestamp?: number | null;
}

export interface NormalizedLog {
  log_id: string;
  timestamp: number;
  level: string;
  message: string;
  pod: string | null;
  namespace: string | null;
  container: string | null;
  node: string | null;
  stream: string | null;
  template_id: string;
  template: string;
  error_class: string | null;
  /**
   * v3: the peers (`host:port` or `host`, src/domain/peers.ts) a connection or DNS error names;
   * [] for other lines and for records of v1/v2 (the default). Optional here so a writer may omit it.
   */
  peers?: string[];
}

export const EVENT_SUBJECT = 'events.normalized-value';
export const LOG_SUBJECT = 'logs.normalized-value';

let eventCodec: SubjectCodec<NormalizedEvent> | undefined;
let logCodec: SubjectCodec<NormalizedLog> | undefined;

export function normalizedEventCodec(): SubjectCodec<NormalizedEvent> {
  return (eventCodec ??= subjectCodec<NormalizedEvent>(EVENT_SUBJECT));
}

export function normalizedLogCodec(): SubjectCodec<NormalizedLog> {
  return (logCodec ??= subjectCodec<NormalizedLog>(LOG_SUBJECT));
}

export function encodeNormalizedEvent(e: NormalizedEvent): Buffer {
  return normalizedEventCodec().encode(e);
}

export function decodeNormalizedEvent(b: Buffer): NormalizedEvent {
  return normalizedEventCodec().decode(b);
}

export function encodeNormalizedLog(l: NormalizedLog): Buffer {
  return normalizedLogCodec().encode(l);
}

export function decodeNormalizedLog(b: Buffer): NormalizedLog {
  return normalizedLogCodec().decode(b);
}
