import { createHash } from 'node:crypto';

/**
 * Builders for the real shapes a client cluster publishes: Kubernetes objects (state.k8s.resource),
 * core/v1 Events (raw.k8s.events), Vector `kubernetes_logs` records (raw.k8s.logs) and
 * Alertmanager alerts (alerts.raw). Pure; ids are derived from the inputs so a run is repeatable.
 */
export type K8sObject = Record<string, unknown> & {
  kind: string;
  metadata: { name: string; namespace?: string; uid: string; labels?: Record<string, string>; ownerReferences?: unknown[] };
};

export function uid(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('|')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function node(name: string): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: uid('node', name), labels: { 'kubernetes.io/hostname': name } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

export interface AppShape {
  namespace: string;
  app: string;
  replicas: number;
  nodes: string[];
  image: string;
}

/** Deployment → ReplicaSet → Pods (spread over nodes) behind a Service, with ownerReferences and labels. */
export function app(s: AppShape): { deployment: K8sObject; replicaSet: K8sObject; pods: K8sObject[]; service: K8sObject } {
  const labels = { app: s.app };
  const depUid = uid('deploy', s.namespace, s.app);
  const rsName = `${s.app}-7d9f8c6b5`;
  const rsUid = uid('rs', s.namespace, rsName);
  const deployment: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: s.app, namespace: s.namespace, uid: depUid, labels },
    spec: { replicas: s.replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: s.app, image: s.image }] } } },
  };
  const replicaSet: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: rsName, namespace: s.namespace, uid: rsUid, labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: s.app, uid: depUid, controller: true }] },
    spec: { replicas: s.replicas, selector: { matchLabels: labels } },
  };
  const pods = Array.from({ length: s.replicas }, (_, i): K8sObject => {
    const name = `${rsName}-${String.fromCharCode(97 + i)}${i}x${i}q`;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: s.namespace, uid: uid('pod', s.namespace, name), labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rsUid, controller: true }] },
      spec: { nodeName: s.nodes[i % s.nodes.length], containers: [{ name: s.app, image: s.image }] },
      status: { phase: 'Running' },
    };
  });
  const service: K8sObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.app, namespace: s.namespace, uid: uid('svc', s.namespace, s.app), labels },
    spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
  };
  return { deployment, replicaSet, pods, service };
}

export function pvc(namespace: string, name: string): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace, uid: uid('pvc', namespace, name) },
    spec: { storageClassName: 'fast-ssd', resources: { requests: { storage: '10Gi' } } },
    status: { phase: 'Pending' },
  };
}

/** A core/v1 Event about `obj`. */
export function coreEvent(obj: K8sObject, reason: string, message: string, type: 'Normal' | 'Warning', at: Date, seq: number, extra: { node?: string; component?: string; count?: number } = {}): Record<string, unknown> {
  const ts = at.toISOString();
  const name = `${obj.metadata.name}.${(at.getTime() * 1000 + seq).toString(16)}`;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: obj.metadata.namespace ?? 'default', uid: uid('event', name, reason), creationTimestamp: ts },
    involvedObject: {
      kind: obj.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
      apiVersion: obj.kind === 'Pod' || obj.kind === 'Node' ? 'v1' : 'apps/v1',
      ...(obj.kind === 'Pod' ? { fieldPath: `spec.containers{${(obj.metadata as { labels?: Record<string, string> }).labels?.app ?? 'app'}}` } : {}),
    },
    reason,
    message,
    type,
    count: extra.count ?? 1,
    firstTimestamp: ts,
    lastTimestamp: ts,
    source: { component: extra.component ?? 'kubelet', host: extra.node },
    reportingComponent: extra.component ?? 'kubelet',
  };
}

/** A Vector `kubernetes_logs` record for a container line of `pod`. */
export function vectorLog(pod: K8sObject, message: string, at: Date, stream: 'stdout' | 'stderr' = 'stdout'): Record<string, unknown> {
  const spec = pod.spec as { nodeName?: string; containers?: Array<{ name: string }> };
  return {
    message,
    timestamp: at.toISOString(),
    stream,
    source_type: 'kubernetes_logs',
    kubernetes: {
      pod_name: pod.metadata.name,
      pod_namespace: pod.metadata.namespace,
      pod_uid: pod.metadata.uid,
      container_name: spec.containers?.[0]?.name ?? 'app',
      pod_node_name: spec.nodeName,
      pod_labels: (pod.metadata as { labels?: Record<string, string> }).labels,
    },
  };
}

/** One Alertmanager alert (as in a version 4 webhook payload's `alerts[]`). */
export function alert(name: string, labels: Record<string, string>, summary: string, at: Date): Record<string, unknown> {
  const all = { alertname: name, severity: 'critical', ...labels };
  const fingerprint = createHash('sha256').update(JSON.stringify(Object.entries(all).sort())).digest('hex').slice(0, 16);
  return {
    status: 'firing',
    labels: all,
    annotations: { summary },
    startsAt: at.toISOString(),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: `http://prometheus/graph?g0.expr=${encodeURIComponent(name)}`,
    fingerprint,
  };
}
