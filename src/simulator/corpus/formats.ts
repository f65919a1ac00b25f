import { alertFingerprint } from './rng';

/**
 * The wire formats a client cluster really sends (../shared/K8S-SIGNALS.md, KG-RCA-AGENT.md): core/v1
 * and events.k8s.io/v1 Events, event-exporter envelopes, Vector `kubernetes_logs`, Fluent Bit and
 * plain CRI lines, Alertmanager v4 webhook bodies. Pure builders over plain values.
 */
export type Obj = Record<string, unknown>;

/** RFC 3339 in whole seconds, as core/v1 Event times and most status times are. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** RFC 3339 with microseconds (metav1.MicroTime: events.k8s.io/v1 eventTime, series.lastObservedTime). */
export function micro(ms: number, jitterMicros = 0): string {
  const base = new Date(ms).toISOString().slice(0, 19);
  const us = (Math.floor(ms % 1000) * 1000 + jitterMicros) % 1_000_000;
  return `${base}.${String(us).padStart(6, '0')}Z`;
}

/** RFC 3339 with nanoseconds (CRI log lines, Vector's timestamp of a kubernetes_logs event). */
export function nano(ms: number, jitterNanos = 0): string {
  const base = new Date(ms).toISOString().slice(0, 19);
  const ns = (Math.floor(ms % 1000) * 1_000_000 + jitterNanos) % 1_000_000_000;
  return `${base}.${String(ns).padStart(9, '0')}Z`;
}

/** An Event's name: `<object>.<hex unix nanos>`. */
export function eventName(objectName: string, ms: number, jitter: number): string {
  return `${objectName}.${(BigInt(Math.floor(ms)) * 1_000_000n + BigInt(jitter)).toString(16)}`;
}

export interface Involved {
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
  apiVersion: string;
  resourceVersion?: string;
  fieldPath?: string;
  labels?: Record<string, string>;
}

/** One Kubernetes Event as the API holds it, independent of the wire format. */
export interface K8sEvent {
  uid: string;
  name: string;
  /** The Event's own namespace (`default` for Node events). */
  namespace: string;
  involved: Involved;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  component: string;
  host?: string;
  /** Reporting instance of an events.k8s.io/v1 reporter (the scheduler's, the kubelet's node). */
  instance?: string;
  action?: string;
  first: number;
  last: number;
  count: number;
  resourceVersion: number;
}

/** core/v1 (kubelet, controllers, node-problem-detector): involvedObject, source, first/lastTimestamp, count. */
export function coreV1(e: K8sEvent): Obj {
  const { labels: _labels, ...involved } = e.involved;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: e.name, namespace: e.namespace, uid: e.uid, resourceVersion: String(e.resourceVersion), creationTimestamp: rfc3339(e.first) },
    involvedObject: involved,
    reason: e.reason,
    message: e.message,
    source: e.host ? { component: e.component, host: e.host } : { component: e.component },
    firstTimestamp: rfc3339(e.first),
    lastTimestamp: rfc3339(e.last),
    count: e.count,
    type: e.type,
    eventTime: null,
    reportingComponent: e.component,
    reportingInstance: e.host ?? '',
  };
}

/** events.k8s.io/v1 (the scheduler): regarding, note, reportingController, eventTime MicroTime, series on repeats. */
export function eventsV1(e: K8sEvent, jitter: number): Obj {
  const { labels: _labels, ...regarding } = e.involved;
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: e.name, namespace: e.namespace, uid: e.uid, resourceVersion: String(e.resourceVersion), creationTimestamp: rfc3339(e.first) },
    eventTime: micro(e.first, jitter),
    ...(e.count > 1 ? { series: { count: e.count, lastObservedTime: micro(e.last, jitter) } } : {}),
    reportingController: e.component,
    reportingInstance: e.instance ?? e.component,
    action: e.action ?? 'Scheduling',
    reason: e.reason,
    regarding,
    note: e.message,
    type: e.type,
  };
}

/**
 * kubernetes-event-exporter (opsgenie): the core/v1 Event inline, involvedObject enriched with the live
 * object's labels (and annotations when there are any).
 */
export function exporterEvent(e: K8sEvent): Obj {
  const v = coreV1(e);
  return { ...v, involvedObject: { ...(v.involvedObject as Obj), ...(e.involved.labels ? { labels: e.involved.labels } : {}) } };
}

/** eventrouter's envelope: `{verb, event}` (and `old_event` on updates). */
export function eventrouterEnvelope(e: K8sEvent, previous: K8sEvent | null): Obj {
  return previous ? { verb: 'UPDATED', event: coreV1(e), old_event: coreV1(previous) } : { verb: 'ADDED', event: coreV1(e) };
}

/** Where a container's log line comes from. */
export interface LogSource {
  pod: string;
  namespace: string;
  podUid: string;
  container: string;
  node: string;
  podIp: string;
  image: string;
  containerId: string;
  labels: Record<string, string>;
  owner: string;
  restart: number;
}

/** Vector 0.34 `kubernetes_logs` event, keys sorted as Vector writes them. */
export function vectorLog(s: LogSource, message: string, ms: number, stream: 'stdout' | 'stderr', jitter: number): Obj {
  return {
    file: `/var/log/pods/${s.namespace}_${s.pod}_${s.podUid}/${s.container}/${s.restart}.log`,
    kubernetes: {
      container_id: s.containerId,
      container_image: s.image,
      container_name: s.container,
      namespace_labels: { 'kubernetes.io/metadata.name': s.namespace },
      node_labels: { 'kubernetes.io/hostname': s.node, 'kubernetes.io/os': 'linux' },
      pod_ip: s.podIp,
      pod_ips: [s.podIp],
      pod_labels: s.labels,
      pod_name: s.pod,
      pod_namespace: s.namespace,
      pod_node_name: s.node,
      pod_owner: s.owner,
      pod_uid: s.podUid,
    },
    message,
    source_type: 'kubernetes_logs',
    stream,
    timestamp: nano(ms, jitter),
  };
}

/** Fluent Bit with the cri parser and the kubernetes filter. */
export function fluentBitLog(s: LogSource, message: string, ms: number, stream: 'stdout' | 'stderr', jitter: number): Obj {
  return {
    time: nano(ms, jitter),
    stream,
    logtag: 'F',
    log: message,
    kubernetes: {
      pod_name: s.pod,
      namespace_name: s.namespace,
      pod_id: s.podUid,
      labels: s.labels,
      host: s.node,
      container_name: s.container,
      docker_id: s.containerId.replace(/^containerd:\/\//, ''),
      container_image: s.image,
    },
  };
}

/** A bare CRI line (`<time> <stream> F <text>`), as a forwarder without Kubernetes metadata ships it. */
export function criLine(message: string, ms: number, stream: 'stdout' | 'stderr', jitter: number): string {
  return `${nano(ms, jitter)} ${stream} F ${message}`;
}

export interface AlertSpec {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  /** Set once resolved. */
  endsAt?: number;
  generatorExpr: string;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** One alert of a webhook body, with its Alertmanager fingerprint. */
export function alertOf(a: AlertSpec): Obj {
  const resolved = a.endsAt !== undefined;
  // Alertmanager marshals label and annotation maps with Go's encoding/json: keys sorted.
  const sorted = (m: Record<string, string>) => Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]]));
  return {
    status: resolved ? 'resolved' : 'firing',
    labels: sorted(a.labels),
    annotations: sorted(a.annotations),
    startsAt: micro(a.startsAt).replace(/(\.\d{3})\d{3}Z$/, '$1Z'),
    endsAt: resolved ? micro(a.endsAt!).replace(/(\.\d{3})\d{3}Z$/, '$1Z') : ZERO_TIME,
    generatorURL: `http://kube-prometheus-stack-prometheus.monitoring:9090/graph?g0.expr=${encodeURIComponent(a.generatorExpr)}&g0.tab=1`,
    fingerprint: alertFingerprint(a.labels),
  };
}

/** An Alertmanager webhook body (payload version 4) for one group, grouped by namespace. */
export function webhookBody(alerts: AlertSpec[], receiver = 'kgroot'): Obj {
  const list = alerts.map(alertOf);
  const common = (key: 'labels' | 'annotations') => {
    const maps = alerts.map((a) => a[key]);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(maps[0] ?? {})) if (maps.every((m) => m[k] === v)) out[k] = v;
    return out;
  };
  const ns = alerts[0]?.labels.namespace;
  const groupLabels = ns !== undefined ? { namespace: ns } : {};
  return {
    receiver,
    status: list.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts: list,
    groupLabels,
    commonLabels: common('labels'),
    commonAnnotations: common('annotations'),
    externalURL: 'http://kube-prometheus-stack-alertmanager.monitoring:9093',
    version: '4',
    groupKey: `{}:{${Object.entries(groupLabels).map(([k, v]) => `${k}="${v}"`).join(',')}}`,
    truncatedAlerts: 0,
  };
}
