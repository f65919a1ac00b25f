import { NormalizedEvent } from '../avro/normalizedCodec';
import { classifyEventType } from './eventTypeAbstract';
import { int, Json, obj, str, timestampMs } from './fields';
import { NormalizeResult, rejected } from './result';
import { stableId } from './stableId';
import { futureProblem } from '../domain/time';
import { clipText } from '../domain/text';

/**
 * Turns one Kubernetes event, in any accepted shape, into a NormalizedEvent (no client id):
 * - `core/v1`: involvedObject, reason, message, type, first/lastTimestamp, eventTime, count, source
 * - `events.k8s.io/v1`: regarding, note, reason, type, eventTime, series, reportingController
 * - `event-exporter`: a core/v1 event wrapped as `{event: ...}` / `{object: ...}` (eventrouter,
 *   watch events) or with involvedObject enriched with labels/annotations (kubernetes-event-exporter)
 * - `minimal`: `{event_id, reason, message}` (optional timestamp, type, count, pod, namespace, node)
 * Anything else is Rejected with a reason. Pure: the same input gives the same output.
 *
 * @example normalizeEvent(JSON.parse(raw), { fallbackTimestamp: record.timestamp })
 */
export interface NormalizeEventOptions {
  /** Used when the event carries no time (the Kafka record timestamp, so replays agree). */
  fallbackTimestamp: number;
  /** Used as the id when the payload has no uid (the id part of the raw key). */
  keyId?: string;
  /** Longest message kept, in characters. */
  maxMessageChars?: number;
}

export const DEFAULT_MAX_MESSAGE_CHARS = 4096;

export type EventSourceFormat = 'core/v1' | 'events.k8s.io/v1' | 'event-exporter' | 'minimal';

interface Extracted {
  format: EventSourceFormat;
  uid: string | null;
  timestamp: number | null;
  /** When the Event was first seen (core/v1 firstTimestamp; events.k8s.io/v1 eventTime), if known. */
  firstTimestamp: number | null;
  reason: string | null;
  message: string;
  type: string | null;
  kind: string | null;
  namespace: string | null;
  name: string | null;
  objectUid: string | null;
  fieldPath: string | null;
  node: string | null;
  count: number;
  reportingComponent: string | null;
}

export function normalizeEvent(raw: unknown, opts: NormalizeEventOptions): NormalizeResult<NormalizedEvent> {
  const root = obj(raw);
  if (!root) return rejected(`unknown event shape: expected a JSON object, got ${Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw}`);
  const x = extract(root);
  if (!x) return rejected(`unknown event shape: none of core/v1 (involvedObject), events.k8s.io/v1 (regarding), an event-exporter envelope ({event}|{object}) or minimal {event_id, reason, message}; keys: ${Object.keys(root).slice(0, 10).join(',')}`);
  if (!x.reason) return rejected(`invalid ${x.format} event: missing reason`);
  const maxChars = opts.maxMessageChars ?? DEFAULT_MAX_MESSAGE_CHARS;
  const message = clipText(x.message, maxChars);
  const timestamp = x.timestamp ?? opts.fallbackTimestamp;
  const late = futureProblem(timestamp, opts.fallbackTimestamp, 'timestamp');
  if (late) return rejected(late);
  const { abstract, severity } = classifyEventType(x.reason, x.message, x.type);
  const isPod = x.kind === 'Pod';
  const value: NormalizedEvent = {
    event_id: stableId(x.uid ?? opts.keyId, [x.format, timestamp, x.reason, x.message, x.kind, x.namespace, x.name, x.count]),
    timestamp,
    reason: x.reason,
    message,
    type: x.type,
    severity,
    event_type_abstract: abstract,
    object_kind: x.kind,
    object_namespace: x.namespace,
    object_name: x.name,
    object_uid: x.objectUid,
    pod: isPod ? x.name : null,
    container: isPod ? containerOf(x.fieldPath) : null,
    node: x.kind === 'Node' ? x.name : x.node,
    count: x.count,
    reporting_component: x.reportingComponent,
    source_format: x.format,
    first_timestamp: x.firstTimestamp !== null && x.firstTimestamp < timestamp ? x.firstTimestamp : null,
  };
  return { ok: true, value };
}

function extract(root: Json): Extracted | null {
  const apiVersion = str(root.apiVersion);
  if (apiVersion?.startsWith('events.k8s.io/') || (obj(root.regarding) && !obj(root.involvedObject))) return fromEventsV1(root);
  const involved = obj(root.involvedObject);
  if (involved) {
    const enriched = involved.labels !== undefined || involved.annotations !== undefined || involved.ownerReferences !== undefined;
    return fromCoreV1(root, involved, enriched ? 'event-exporter' : 'core/v1');
  }
  // Envelopes: eventrouter {verb, event, old_event}, watch events {type, object}.
  for (const inner of [obj(root.event), obj(root.object)]) {
    if (!inner) continue;
    const innerInvolved = obj(inner.involvedObject);
    if (innerInvolved) return fromCoreV1(inner, innerInvolved, 'event-exporter');
    if (obj(inner.regarding)) {
      const e = fromEventsV1(inner);
      return { ...e, format: 'event-exporter' };
    }
  }
  if (root.event_id !== undefined && typeof root.reason === 'string' && typeof root.message === 'string') return fromMinimal(root);
  return null;
}

function fromCoreV1(e: Json, involved: Json, format: EventSourceFormat): Extracted {
  const meta = obj(e.metadata);
  const source = obj(e.source);
  const series = obj(e.series);
  return {
    format,
    uid: str(meta?.uid),
    timestamp:
      timestampMs(e.lastTimestamp) ??
      timestampMs(series?.lastObservedTime) ??
      timestampMs(e.eventTime) ??
      timestampMs(e.firstTimestamp) ??
      timestampMs(meta?.creationTimestamp),
    // A series (new-style core/v1 event) began at eventTime; a deduplicated one at firstTimestamp.
    firstTimestamp: timestampMs(e.firstTimestamp) ?? (series ? timestampMs(e.eventTime) : null),
    reason: str(e.reason),
    message: typeof e.message === 'string' ? e.message : '',
    type: str(e.type),
    kind: str(involved.kind),
    namespace: str(involved.namespace) ?? str(meta?.namespace),
    name: str(involved.name),
    objectUid: str(involved.uid),
    fieldPath: str(involved.fieldPath),
    node: str(source?.host) ?? (str(e.reportingComponent) === 'kubelet' ? str(e.reportingInstance) : null),
    count: int(e.count) ?? int(series?.count) ?? 1,
    reportingComponent: str(source?.component) ?? str(e.reportingComponent),
  };
}

function fromEventsV1(e: Json): Extracted {
  const meta = obj(e.metadata);
  const regarding = obj(e.regarding);
  const series = obj(e.series);
  const deprecatedSource = obj(e.deprecatedSource);
  const controller = str(e.reportingController);
  return {
    format: 'events.k8s.io/v1',
    uid: str(meta?.uid),
    timestamp:
      timestampMs(series?.lastObservedTime) ??
      timestampMs(e.eventTime) ??
      timestampMs(e.deprecatedLastTimestamp) ??
      timestampMs(e.deprecatedFirstTimestamp) ??
      timestampMs(meta?.creationTimestamp),
    // eventTime is when the series was first observed; deprecatedFirstTimestamp its core/v1 copy.
    firstTimestamp: timestampMs(e.eventTime) ?? timestampMs(e.deprecatedFirstTimestamp),
    reason: str(e.reason),
    message: typeof e.note === 'string' ? e.note : '',
    type: str(e.type),
    kind: str(regarding?.kind),
    namespace: str(regarding?.namespace) ?? str(meta?.namespace),
    name: str(regarding?.name),
    objectUid: str(regarding?.uid),
    fieldPath: str(regarding?.fieldPath),
    // The kubelet reports with its node name as reportingInstance.
    node: str(deprecatedSource?.host) ?? (controller === 'kubelet' ? str(e.reportingInstance) : null),
    count: int(series?.count) ?? int(e.deprecatedCount) ?? 1,
    reportingComponent: controller ?? str(deprecatedSource?.component),
  };
}

function fromMinimal(e: Json): Extracted {
  const pod = str(e.pod);
  return {
    format: 'minimal',
    uid: e.event_id === null || e.event_id === undefined ? null : String(e.event_id),
    timestamp: timestampMs(e.timestamp),
    firstTimestamp: timestampMs(e.first_timestamp),
    reason: str(e.reason),
    message: e.message as string,
    type: str(e.type),
    kind: str(e.kind) ?? (pod ? 'Pod' : null),
    namespace: str(e.namespace),
    name: str(e.name) ?? pod,
    objectUid: null,
    fieldPath: str(e.container) ? `spec.containers{${str(e.container)}}` : null,
    node: str(e.node),
    count: int(e.count) ?? 1,
    reportingComponent: str(e.source) ?? str(e.component),
  };
}

/** `spec.containers{api}` → `api` (also initContainers / ephemeralContainers). */
export function containerOf(fieldPath: string | null): string | null {
  if (!fieldPath) return null;
  const m = /Containers\{([^}]+)\}/i.exec(fieldPath);
  return m ? m[1] : null;
}
