import type { NormalizedEvent, NormalizedLog } from '../avro/normalizedCodec';
import { AlertmanagerAlert } from './alert';
import { categorizeK8sEvent, categorizeLogClass, EventCategory } from './causalRules';
import { STATE_SOURCE_FORMAT } from './objectEvidence';
import { resourceRef, ResourceRef } from './resourceId';
import { clipText } from '../domain/text';

/**
 * One Event node to write. Ids are deterministic (`evt:{event_id}`, `log:{template}:{rid}:{window}`,
 * `alert:{fingerprint}:{startsAt}`), so a replay merges onto the same nodes.
 */
export interface EventRow {
  eid: string;
  /** `state`: derived from an object's status by the topology builder (src/graph/objectEvidence.ts). */
  source: 'k8s' | 'log' | 'alert' | 'state';
  reason: string;
  category: EventCategory;
  severity: string;
  message: string;
  /** First time seen, ms since the epoch (the causal order uses it). */
  ts: number;
  /** Last time seen, ms. */
  last_ts: number;
  /** Occurrences: the Kubernetes event's count, log lines in the window, 1 for an alert. */
  count: number;
  /**
   * Log rows: the distinct ids (`log_id`) of the lines counted, so the stored count adds only lines
   * it has not counted before (a replayed line adds nothing); `count` is their number.
   */
  lids?: string[];
  /** Extra classification: event_type_abstract, the log's error class, the alert status. */
  detail: string | null;
  rid: string | null;
  kind: string | null;
  namespace: string | null;
  name: string | null;
}

function withResource(ref: ResourceRef | null): Pick<EventRow, 'rid' | 'kind' | 'namespace' | 'name'> {
  return ref ? { rid: ref.rid, kind: ref.kind, namespace: ref.namespace, name: ref.name } : { rid: null, kind: null, namespace: null, name: null };
}

function clipMessage(m: string): string {
  return clipText(m, 2000);
}

/**
 * A normalized Kubernetes event → its Event row, about the involved object (or its pod / node).
 * Evidence from object state (`source_format: 'state'`) keeps its own id (`state:{sha}`).
 */
export function eventRowOfNormalized(e: NormalizedEvent): EventRow {
  const state = e.source_format === STATE_SOURCE_FORMAT;
  const ref =
    resourceRef(e.object_kind, e.object_namespace, e.object_name) ??
    (e.pod ? resourceRef('Pod', e.object_namespace, e.pod) : null) ??
    (e.node ? resourceRef('Node', '', e.node) : null);
  return {
    eid: state ? e.event_id : `evt:${e.event_id}`,
    source: state ? 'state' : 'k8s',
    reason: e.reason,
    category: categorizeK8sEvent(e.reason, e.type, e.event_type_abstract, e.message, ref?.kind),
    severity: e.severity,
    message: clipMessage(e.message),
    // A repeated Event is one graph event from its first occurrence: every copy gives the same time,
    // so its causal pairs do not depend on which copy a batch holds (the stored ts is their minimum).
    ts: Math.min(e.first_timestamp ?? e.timestamp, e.timestamp),
    last_ts: e.timestamp,
    count: Math.max(1, e.count),
    detail: e.event_type_abstract || null,
    ...withResource(ref),
  };
}

/** Only classified error logs become events; the rest is counted and skipped. */
export function isClassifiedErrorLog(l: NormalizedLog): boolean {
  return l.error_class !== null && l.error_class !== '';
}

/** The resource a log line is about (its pod, else its node) and the id of the aggregated Event it counts in. */
export function errorLogEvent(l: NormalizedLog, windowMs: number): { ref: ResourceRef | null; eid: string } {
  const ref = (l.pod ? resourceRef('Pod', l.namespace, l.pod) : null) ?? (l.node ? resourceRef('Node', '', l.node) : null);
  const window = Math.floor(l.timestamp / windowMs) * windowMs;
  return { ref, eid: `log:${l.template_id}:${ref?.rid ?? '-'}:${window}` };
}

/**
 * Classified error logs, aggregated: one Event per (template, resource, window) with the count of
 * lines, rather than one node per line. Windows are aligned to multiples of `windowMs`.
 */
export function aggregateErrorLogs(logs: readonly NormalizedLog[], windowMs: number): EventRow[] {
  const rows = new Map<string, EventRow>();
  const lineIds = new Map<string, Set<string>>();
  for (const l of logs) {
    if (!isClassifiedErrorLog(l)) continue;
    const { ref, eid } = errorLogEvent(l, windowMs);
    const seen = rows.get(eid);
    if (seen) {
      // The same line twice in one batch (a replayed copy) counts once.
      const ids = lineIds.get(eid)!;
      if (ids.has(l.log_id)) continue;
      ids.add(l.log_id);
      seen.lids!.push(l.log_id);
      seen.count++;
      seen.ts = Math.min(seen.ts, l.timestamp);
      seen.last_ts = Math.max(seen.last_ts, l.timestamp);
      continue;
    }
    lineIds.set(eid, new Set([l.log_id]));
    rows.set(eid, {
      eid,
      source: 'log',
      reason: l.error_class as string,
      category: categorizeLogClass(l.error_class as string),
      severity: l.level === 'fatal' || l.level === 'critical' ? 'critical' : 'error',
      message: clipMessage(l.template),
      ts: l.timestamp,
      last_ts: l.timestamp,
      count: 1,
      lids: [l.log_id],
      detail: l.template_id,
      ...withResource(ref),
    });
  }
  return [...rows.values()];
}

/**
 * The labels that name an alert's subject (kube-state-metrics / kubernetes-mixin), most specific
 * first. `service` comes last: on most kubernetes-mixin alerts it names the scrape target
 * (`service="kube-state-metrics"`), not the subject; `job` is the scrape job, never a Kubernetes Job.
 */
const ALERT_TARGETS: ReadonlyArray<[label: string, kind: string]> = [
  ['pod', 'Pod'],
  ['persistentvolumeclaim', 'PersistentVolumeClaim'],
  ['job_name', 'Job'],
  ['deployment', 'Deployment'],
  ['statefulset', 'StatefulSet'],
  ['daemonset', 'DaemonSet'],
  ['node', 'Node'],
  ['service', 'Service'],
];

const SEVERITIES = new Set(['info', 'warning', 'error', 'critical']);

/**
 * Whether the alert's `pod` label names the exporter that was scraped rather than the subject. The
 * Prometheus Operator puts the scrape target's `pod`, `container`, `service` and `job` on every
 * series; kube-state-metrics (scraped with honorLabels) overrides them only where its metric has a
 * label of that name. So on a Node, Deployment, Job, ... alert (`kube_node_status_condition`,
 * `kube_deployment_*`, `kube_job_failed`) `pod` is kube-state-metrics' own pod, whose name starts
 * with its Service's (or scrape job's) name: `kube-prometheus-stack-kube-state-metrics-<hash>-<id>`.
 * It is skipped only when another label names a subject (an alert about the exporter stays on it).
 */
export function podIsScrapeTarget(labels: Readonly<Record<string, string>>): boolean {
  const pod = labels.pod;
  if (!pod) return false;
  const own = [labels.service, labels.job].some((x) => !!x && pod.startsWith(`${x}-`));
  return own && ALERT_TARGETS.some(([label]) => label !== 'pod' && label !== 'service' && !!labels[label]);
}

/** An Alertmanager alert → its Event row, about the most specific resource its labels name (not the scraped exporter: {@link podIsScrapeTarget}). */
export function eventRowOfAlert(a: AlertmanagerAlert): EventRow {
  const ns = a.labels.namespace ?? '';
  const skipPod = podIsScrapeTarget(a.labels);
  let ref: ResourceRef | null = null;
  for (const [label, kind] of ALERT_TARGETS) {
    if (label === 'pod' && skipPod) continue;
    if (a.labels[label]) {
      ref = resourceRef(kind, ns, a.labels[label]);
      if (ref) break;
    }
  }
  const startsAt = Date.parse(a.startsAt);
  const endsAt = a.endsAt ? Date.parse(a.endsAt) : NaN;
  const sev = (a.labels.severity ?? '').toLowerCase();
  return {
    eid: `alert:${a.fingerprint}:${startsAt}`,
    source: 'alert',
    reason: a.labels.alertname,
    category: 'alert',
    severity: SEVERITIES.has(sev) ? sev : 'warning',
    message: clipMessage(a.annotations.summary ?? a.annotations.description ?? a.labels.alertname),
    ts: startsAt,
    last_ts: a.status === 'resolved' && Number.isFinite(endsAt) && endsAt > startsAt ? endsAt : startsAt,
    count: 1,
    detail: a.status,
    ...withResource(ref),
  };
}

/** The distinct line ids of two log rows, `a`'s first. */
function unionIds(a: readonly string[], b: readonly string[]): string[] {
  const seen = new Set(a);
  return [...a, ...b.filter((x) => !seen.has(x) && (seen.add(x), true))];
}

/** Rows with the same id within one batch, merged (first/last seen, highest count, or for logs the lines of both counted once). */
export function mergeEventRows(rows: readonly EventRow[]): EventRow[] {
  const byId = new Map<string, EventRow>();
  for (const r of rows) {
    const seen = byId.get(r.eid);
    if (!seen) {
      byId.set(r.eid, { ...r });
      continue;
    }
    const later = r.last_ts >= seen.last_ts ? r : seen;
    const lids = r.source === 'log' && seen.lids && r.lids ? unionIds(seen.lids, r.lids) : undefined;
    byId.set(r.eid, {
      ...later,
      ts: Math.min(seen.ts, r.ts),
      last_ts: Math.max(seen.last_ts, r.last_ts),
      count: lids ? lids.length : r.source === 'log' ? seen.count + r.count : Math.max(seen.count, r.count),
      ...(lids ? { lids } : {}),
    });
  }
  return [...byId.values()];
}
