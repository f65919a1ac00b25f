import { createHash } from 'node:crypto';
import { alertFingerprint } from './corpus/rng';

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
    metadata: { name, uid: uid('node', name), labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
    spec: {},
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: T0, lastTransitionTime: T0 },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', lastHeartbeatTime: T0, lastTransitionTime: T0 },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', lastHeartbeatTime: T0, lastTransitionTime: T0 },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: T0, lastTransitionTime: T0 },
      ],
    },
  };
}

/** When the scenario clusters' objects were created. */
const T0 = '2026-11-01T00:00:00Z';

/** A copy of `o` with `f` applied (objects in a timeline are snapshots). */
export function changed<T extends K8sObject>(o: T, f: (x: T) => void): T {
  const c = structuredClone(o);
  f(c);
  return c;
}

type ContainerStatus = Record<string, unknown> & { name: string; restartCount: number };

export function containerStatus(pod: K8sObject): ContainerStatus {
  return ((pod.status as { containerStatuses: ContainerStatus[] }).containerStatuses)[0];
}

/** The pod's Ready and ContainersReady conditions. */
export function setReady(pod: K8sObject, ready: boolean, at: Date): void {
  const c = containerStatus(pod).name;
  for (const cond of (pod.status as { conditions: Array<Record<string, unknown>> }).conditions) {
    if (cond.type !== 'Ready' && cond.type !== 'ContainersReady') continue;
    if (cond.status !== (ready ? 'True' : 'False')) cond.lastTransitionTime = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
    cond.status = ready ? 'True' : 'False';
    if (ready) {
      delete cond.reason;
      delete cond.message;
    } else {
      cond.reason = 'ContainersNotReady';
      cond.message = `containers with unready status: [${c}]`;
    }
  }
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
      spec: { nodeName: s.nodes[i % s.nodes.length], containers: [{ name: s.app, image: s.image, resources: { limits: { memory: '256Mi' } } }] },
      status: {
        phase: 'Running',
        conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: T0 })),
        podIP: `10.244.${i + 1}.${10 + i}`,
        startTime: T0,
        containerStatuses: [
          { name: s.app, ready: true, started: true, restartCount: 0, image: s.image, imageID: `${s.image.split(':')[0]}@sha256:${uid('image', s.image).replace(/-/g, '')}`, containerID: `containerd://${uid('ctr', name).replace(/-/g, '')}`, state: { running: { startedAt: T0 } }, lastState: {} },
        ],
      },
    };
  });
  const service: K8sObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.app, namespace: s.namespace, uid: uid('svc', s.namespace, s.app), labels },
    spec: { type: 'ClusterIP', clusterIP: `10.96.${s.app.length}.${s.replicas + 10}`, clusterIPs: [`10.96.${s.app.length}.${s.replicas + 10}`], selector: labels, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] },
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

/** An events.k8s.io/v1 Event (what the scheduler emits): regarding, note, reportingController, eventTime. */
export function eventsV1Event(obj: K8sObject, reason: string, note: string, type: 'Normal' | 'Warning', at: Date, seq: number, extra: { controller?: string; action?: string } = {}): Record<string, unknown> {
  const name = `${obj.metadata.name}.${(at.getTime() * 1000 + seq).toString(16)}`;
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name, namespace: obj.metadata.namespace ?? 'default', uid: uid('event', name, reason), creationTimestamp: at.toISOString().replace(/\.\d{3}Z$/, 'Z') },
    eventTime: at.toISOString().replace('Z', '000Z'),
    reportingController: extra.controller ?? 'default-scheduler',
    reportingInstance: `${extra.controller ?? 'default-scheduler'}-control-plane`,
    action: extra.action ?? 'Scheduling',
    reason,
    regarding: { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid, apiVersion: 'v1' },
    note,
    type,
  };
}

/** A core/v1 Event about `obj`. */
export function coreEvent(obj: K8sObject, reason: string, message: string, type: 'Normal' | 'Warning', at: Date, seq: number, extra: { node?: string; component?: string; count?: number; first?: Date; name?: string; container?: boolean } = {}): Record<string, unknown> {
  const ts = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const name = extra.name ?? `${obj.metadata.name}.${(at.getTime() * 1000 + seq).toString(16)}`;
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
      ...(obj.kind === 'Pod' && extra.container !== false ? { fieldPath: `spec.containers{${(obj.metadata as { labels?: Record<string, string> }).labels?.app ?? 'app'}}` } : {}),
    },
    reason,
    message,
    type,
    count: extra.count ?? 1,
    firstTimestamp: extra.first ? extra.first.toISOString().replace(/\.\d{3}Z$/, 'Z') : ts,
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

/** One Alertmanager alert (as in a version 4 webhook payload's `alerts[]`), with Alertmanager's fingerprint. */
export function alert(labels: Record<string, string>, annotations: Record<string, string>, startsAt: Date): Record<string, unknown> {
  return {
    status: 'firing',
    labels,
    annotations,
    startsAt: startsAt.toISOString(),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: `http://prometheus-k8s.monitoring.svc:9090/graph?g0.expr=${encodeURIComponent(labels.alertname)}&g0.tab=1`,
    fingerprint: alertFingerprint(labels),
  };
}
