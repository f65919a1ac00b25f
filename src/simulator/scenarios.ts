import { K8sObject, alert, app, changed, containerStatus, coreEvent, eventsV1Event, node, pvc, setReady, vectorLog } from './k8sShapes';

/**
 * Fault scenarios for the client simulator. Each builds a small cluster (resources) and a
 * timeline of raw records around one injected fault — what Kubernetes, the applications and
 * Prometheus really emit (../shared/K8S-SIGNALS.md): object snapshots on state.k8s.resource (an OOM
 * kill exists only as the container's `lastState.terminated`), Events with the real reasons, types,
 * reporters and API versions (repeats keep their uid and raise the count), container log lines, and
 * the kubernetes-mixin alert `for: 15m` after the first symptom. Times are offsets from the
 * scenario start; the simulator replays them on a faster clock. Each names its ground-truth root cause.
 */
export interface RootCause {
  reason: string;
  kind: string;
  namespace: string | null;
  name: string;
  /** Where the root cause shows: an Event's reason, an object's status (container state, condition), or the pod's error logs. */
  evidence: 'event' | 'state' | 'log';
}

export type TimelineItem =
  | { atMs: number; type: 'event'; uid: string; value: Record<string, unknown> }
  | { atMs: number; type: 'log'; uid: string; value: Record<string, unknown> }
  | { atMs: number; type: 'resource'; object: K8sObject; value: K8sObject | null }
  | { atMs: number; type: 'alert'; fingerprint: string; value: Record<string, unknown> };

export interface BuiltScenario {
  name: string;
  description: string;
  resources: K8sObject[];
  timeline: TimelineItem[];
  rootCause: RootCause;
  /** The effects a correct graph links to the root cause (reasons, in order of appearance). */
  expectedEffects: string[];
}

interface Cluster {
  nodes: K8sObject[];
  shop: ReturnType<typeof app>;
  api: ReturnType<typeof app>;
}

function cluster(): Cluster {
  const nodes = ['node-a', 'node-b'].map(node);
  return {
    nodes,
    shop: app({ namespace: 'shop', app: 'checkout', replicas: 2, nodes: ['node-a', 'node-b'], image: 'registry.local/checkout:1.4.2' }),
    api: app({ namespace: 'shop', app: 'catalog', replicas: 2, nodes: ['node-b', 'node-a'], image: 'registry.local/catalog:2.0.1' }),
  };
}

function resourcesOf(c: Cluster, extra: K8sObject[] = []): K8sObject[] {
  const a = (x: ReturnType<typeof app>) => [x.deployment, x.replicaSet, ...x.pods, x.service];
  return [...c.nodes, ...a(c.shop), ...a(c.api), ...extra];
}

const S = 1000;
const MIN = 60 * S;
/** kubernetes-mixin rules fire after `for: 15m`; Prometheus evaluates every 30 s. */
const FOR_15M = 15 * MIN + 30 * S;
const KSM = {
  container: 'kube-state-metrics',
  endpoint: 'http',
  instance: '10.244.2.9:8080',
  job: 'kube-state-metrics',
  prometheus: 'monitoring/kube-prometheus-stack-prometheus',
  service: 'kube-prometheus-stack-kube-state-metrics',
  severity: 'warning',
};
const KSM_POD = 'kube-prometheus-stack-kube-state-metrics-6f664bc8c4-5lwq6';

interface EventHandle {
  obj: K8sObject;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  extra: { node?: string; component?: string; container?: boolean };
  firstMs: number;
  count: number;
  name: string;
  uid: string;
}

/** A builder of timeline items with deterministic uids. */
class Timeline {
  readonly items: TimelineItem[] = [];
  private seq = 0;
  constructor(private readonly start: number) {}
  private at(ms: number): Date {
    return new Date(this.start + ms);
  }
  date(ms: number): Date {
    return this.at(ms);
  }
  event(atMs: number, obj: K8sObject, reason: string, message: string, type: 'Normal' | 'Warning', extra: { node?: string; component?: string; container?: boolean } = {}): EventHandle {
    const v = coreEvent(obj, reason, message, type, this.at(atMs), this.seq++, extra);
    const m = v.metadata as { uid: string; name: string };
    this.items.push({ atMs, type: 'event', uid: m.uid, value: v });
    return { obj, reason, message, type, extra, firstMs: atMs, count: 1, name: m.name, uid: m.uid };
  }
  /** The same Event seen again: same name and uid, count + 1, lastTimestamp moved. */
  again(h: EventHandle, atMs: number): void {
    h.count++;
    const v = coreEvent(h.obj, h.reason, h.message, h.type, this.at(atMs), 0, { ...h.extra, count: h.count, first: this.at(h.firstMs), name: h.name });
    (v.metadata as { uid: string }).uid = h.uid;
    this.items.push({ atMs, type: 'event', uid: h.uid, value: v });
  }
  /** An events.k8s.io/v1 Event from the scheduler. */
  scheduler(atMs: number, pod: K8sObject, reason: string, note: string, type: 'Normal' | 'Warning'): void {
    const v = eventsV1Event(pod, reason, note, type, this.at(atMs), this.seq++);
    this.items.push({ atMs, type: 'event', uid: (v.metadata as { uid: string }).uid, value: v });
  }
  log(atMs: number, pod: K8sObject, message: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    this.items.push({ atMs, type: 'log', uid: `${pod.metadata.uid}-${this.seq++}`, value: vectorLog(pod, message, this.at(atMs), stream) });
  }
  /** A snapshot of an object on state.k8s.resource (null: deleted). */
  snapshot(atMs: number, obj: K8sObject, value: K8sObject | null = obj): void {
    this.items.push({ atMs, type: 'resource', object: obj, value });
  }
  alert(atMs: number, labels: Record<string, string>, annotations: Record<string, string>): void {
    const v = alert(labels, annotations, this.at(atMs));
    this.items.push({ atMs, type: 'alert', fingerprint: v.fingerprint as string, value: v });
  }
  time(ms: number): string {
    return this.at(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}

function podNode(pod: K8sObject): string {
  return (pod.spec as { nodeName: string }).nodeName;
}

/**
 * A container that keeps exiting from `fromMs` on: terminated (reason, exit code), then waiting in
 * CrashLoopBackOff with the kubelet's back-off (10 s doubling to 5 min), restartCount up, one BackOff
 * Event whose count rises. `lastLines` are the container's last log lines before each exit.
 */
function crashLoop(t: Timeline, pod: K8sObject, fromMs: number, untilMs: number, reason: string, exitCode: number, runMs: number, lastLines: string[] = []): K8sObject {
  let current = pod;
  let crashAt = fromMs;
  let startedAt = t.time(fromMs - runMs);
  let backoff: EventHandle | null = null;
  for (let k = 1; crashAt < untilMs; k++) {
    lastLines.forEach((l, i) => t.log(crashAt - (lastLines.length - i) * 5, current, l, 'stderr'));
    const terminated = { exitCode, reason, startedAt, finishedAt: t.time(crashAt), containerID: containerStatus(current).containerID };
    current = changed(current, (p) => {
      Object.assign(containerStatus(p), { state: { terminated }, ready: false, started: false });
      setReady(p, false, t.date(crashAt));
    });
    t.snapshot(crashAt, current);
    const delay = Math.min(10 * 2 ** (k - 1), 300);
    const name = current.metadata.name;
    current = changed(current, (p) => {
      Object.assign(containerStatus(p), { lastState: { terminated }, state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${delay >= 60 ? `${Math.floor(delay / 60)}m${delay % 60}s` : `${delay}s`} restarting failed container=${containerStatus(p).name} pod=${name}_${p.metadata.namespace}(${p.metadata.uid})` } } });
    });
    t.snapshot(crashAt + S, current);
    const msg = `Back-off restarting failed container ${containerStatus(current).name} in pod ${name}_${current.metadata.namespace}(${current.metadata.uid})`;
    if (backoff) t.again(backoff, crashAt + S);
    else backoff = t.event(crashAt + S, current, 'BackOff', msg, 'Warning', { node: podNode(pod) });
    const restartAt = crashAt + S + delay * S;
    if (restartAt >= untilMs) break;
    current = changed(current, (p) => {
      const cs = containerStatus(p);
      Object.assign(cs, { state: { running: { startedAt: t.time(restartAt) } }, restartCount: cs.restartCount + 1, started: true });
    });
    t.snapshot(restartAt, current);
    startedAt = t.time(restartAt);
    crashAt = restartAt + runMs;
  }
  return current;
}

function crashLoopingAlert(t: Timeline, atMs: number, pod: K8sObject): void {
  const c = containerStatus(pod).name;
  t.alert(
    atMs,
    { alertname: 'KubePodCrashLooping', ...KSM, container: c, namespace: pod.metadata.namespace!, pod: pod.metadata.name, reason: 'CrashLoopBackOff', uid: pod.metadata.uid },
    { description: `Pod ${pod.metadata.namespace}/${pod.metadata.name} (${c}) is in waiting state (reason: "CrashLoopBackOff").`, runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping', summary: 'Pod is crash looping.' },
  );
}

function podNotReadyAlert(t: Timeline, atMs: number, pod: K8sObject): void {
  t.alert(
    atMs,
    { alertname: 'KubePodNotReady', namespace: pod.metadata.namespace!, pod: pod.metadata.name, prometheus: KSM.prometheus, severity: 'warning' },
    { description: `Pod ${pod.metadata.namespace}/${pod.metadata.name} has been in a non-ready state for longer than 15 minutes.`, runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodnotready', summary: 'Pod has been in a non-ready state for more than 15 minutes.' },
  );
}

type Builder = (start: number) => BuiltScenario;

const scenarios: Record<string, { description: string; build: Builder }> = {
  'oom-kill': {
    description: 'checkout exceeds its memory limit: the container is OOMKilled (exit 137, only in its status: Kubernetes emits no OOMKilled event), crash loops with BackOff events, KubePodCrashLooping fires 15 minutes later',
    build: (start) => {
      const c = cluster();
      const pod = c.shop.pods[0];
      const t = new Timeline(start);
      t.log(1_000, pod, 'level=warn msg="heap usage at 91% of limit"');
      const end = 2_000 + FOR_15M + 2 * MIN;
      crashLoop(t, pod, 2_000, end, 'OOMKilled', 137, 45 * S);
      crashLoopingAlert(t, 2_000 + S + FOR_15M, pod);
      return {
        name: 'oom-kill', description: scenarios['oom-kill'].description, resources: resourcesOf(c), timeline: t.items,
        rootCause: { reason: 'OOMKilled', kind: 'Pod', namespace: 'shop', name: pod.metadata.name, evidence: 'state' },
        expectedEffects: ['BackOff', 'KubePodCrashLooping'],
      };
    },
  },
  'crash-loop-bad-config': {
    description: 'a configuration placeholder catalog needs is missing: it prints why and exits 1 at every start (the cause is only in its last log lines), crash loops, KubePodCrashLooping fires',
    build: (start) => {
      const c = cluster();
      const pod = c.api.pods[1];
      const t = new Timeline(start);
      const lines = [
        "2026-11-21 12:00:01.204  WARN 1 --- [           main] ConfigServletWebServerApplicationContext : Exception encountered during context initialization - cancelling refresh attempt: org.springframework.beans.factory.BeanCreationException: Error creating bean with name 'catalogProperties': Could not resolve placeholder 'CATALOG_DB_URL' in value \"${CATALOG_DB_URL}\"",
        'APPLICATION FAILED TO START',
        "Could not resolve placeholder 'CATALOG_DB_URL' in value \"${CATALOG_DB_URL}\"",
      ];
      const end = 1_000 + FOR_15M + 2 * MIN;
      crashLoop(t, pod, 1_000, end, 'Error', 1, 3 * S, lines);
      crashLoopingAlert(t, 1_000 + S + FOR_15M, pod);
      return {
        name: 'crash-loop-bad-config', description: scenarios['crash-loop-bad-config'].description, resources: resourcesOf(c), timeline: t.items,
        rootCause: { reason: 'error-log', kind: 'Pod', namespace: 'shop', name: pod.metadata.name, evidence: 'log' },
        expectedEffects: ['BackOff', 'KubePodCrashLooping'],
      };
    },
  },
  'image-pull': {
    description: 'checkout references a tag that does not exist: Failed (pull error), Failed ErrImagePull, BackOff (Normal) pulling and ImagePullBackOff, KubePodNotReady fires',
    build: (start) => {
      const c = cluster();
      const image = 'registry.local/checkout:1.5.0';
      const pod = changed(c.shop.pods[1], (p) => {
        ((p.spec as { containers: Array<{ image: string }> }).containers)[0].image = image;
        (p.status as Record<string, unknown>).phase = 'Pending';
        Object.assign(containerStatus(p), { state: { waiting: { reason: 'ContainerCreating' } }, ready: false, started: false, image, imageID: '' });
        setReady(p, false, new Date(start));
      });
      const t = new Timeline(start);
      const node = podNode(pod);
      t.snapshot(500, pod);
      const pulling = t.event(1_000, pod, 'Pulling', `Pulling image "${image}"`, 'Normal', { node });
      const failed = t.event(2_000, pod, 'Failed', `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`, 'Warning', { node });
      const errPull = t.event(2_010, pod, 'Failed', 'Error: ErrImagePull', 'Warning', { node });
      t.snapshot(2_020, changed(pod, (p) => Object.assign(containerStatus(p), { state: { waiting: { reason: 'ErrImagePull', message: `failed to pull and unpack image "${image}"` } } })));
      const backoff = t.event(12_000, pod, 'BackOff', `Back-off pulling image "${image}"`, 'Normal', { node });
      const pullBackOff = t.event(12_010, pod, 'Failed', 'Error: ImagePullBackOff', 'Warning', { node });
      t.snapshot(12_020, changed(pod, (p) => Object.assign(containerStatus(p), { state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } } })));
      for (let at = 12_000 + 20 * S, d = 20; at < FOR_15M + 2 * MIN; d = Math.min(d * 2, 300), at += d * S) {
        t.again(pulling, at - 3 * S);
        t.again(failed, at - 2 * S);
        t.again(errPull, at - 2 * S + 10);
        t.again(backoff, at);
        t.again(pullBackOff, at + 10);
      }
      podNotReadyAlert(t, 500 + FOR_15M, pod);
      return {
        name: 'image-pull', description: scenarios['image-pull'].description, resources: resourcesOf(c), timeline: t.items,
        rootCause: { reason: 'Failed', kind: 'Pod', namespace: 'shop', name: pod.metadata.name, evidence: 'event' },
        expectedEffects: ['BackOff', 'KubePodNotReady'],
      };
    },
  },
  'node-failure': {
    description: 'node-a stops reporting: its conditions turn Unknown (NodeNotReady, Normal, from the node controller), its pods are marked NotReady and after 300 s deleted by the taint manager; a replacement cannot be scheduled; KubeNodeNotReady fires',
    build: (start) => {
      const c = cluster();
      const n = c.nodes[0];
      const t = new Timeline(start);
      const lost = changed(n, (x) => {
        for (const cond of (x.status as { conditions: Array<Record<string, unknown>> }).conditions) Object.assign(cond, { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: t.time(1_000) });
        (x.spec as Record<string, unknown>).taints = [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: t.time(1_000) }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: t.time(6_000) }];
      });
      t.snapshot(1_000, lost);
      t.event(1_000, lost, 'NodeNotReady', 'Node node-a status is now: NodeNotReady', 'Normal', { component: 'node-controller' });
      const onA = [...c.shop.pods, ...c.api.pods].filter((p) => podNode(p) === 'node-a');
      onA.forEach((p, i) => {
        t.event(1_500 + i * 100, p, 'NodeNotReady', 'Node is not ready', 'Warning', { component: 'node-controller', container: false });
        t.snapshot(1_500 + i * 100, changed(p, (x) => setReady(x, false, new Date(start + 1_500))));
        t.event(306_000 + i * 200, p, 'TaintManagerEviction', `Marking for deletion Pod ${p.metadata.namespace}/${p.metadata.name}`, 'Normal', { component: 'taint-eviction-controller', container: false });
        t.snapshot(336_000 + i * 200, p, null);
      });
      // checkout's replacement: the only other node is full.
      const replacement = changed(c.shop.pods[0], (p) => {
        p.metadata.name = `${c.shop.replicaSet.metadata.name}-r9x7k`;
        p.metadata.uid = `${p.metadata.uid.slice(0, -5)}r9x7k`;
        delete (p.spec as Record<string, unknown>).nodeName;
        p.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: t.time(307_000), reason: 'Unschedulable', message: '0/2 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.' }] };
      });
      t.snapshot(307_000, replacement);
      t.scheduler(307_500, replacement, 'FailedScheduling', '0/2 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.', 'Warning');
      t.alert(1_000 + FOR_15M, { alertname: 'KubeNodeNotReady', ...KSM, condition: 'Ready', namespace: 'monitoring', node: 'node-a', pod: KSM_POD, status: 'true' }, { description: 'node-a has been unready for more than 15 minutes.', runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubenodenotready', summary: 'Node is not ready.' });
      return {
        name: 'node-failure', description: scenarios['node-failure'].description, resources: resourcesOf(c), timeline: t.items,
        rootCause: { reason: 'NodeNotReady', kind: 'Node', namespace: null, name: 'node-a', evidence: 'event' },
        expectedEffects: ['TaintManagerEviction', 'FailedScheduling', 'KubeNodeNotReady'],
      };
    },
  },
  'readiness-probe': {
    description: 'catalog answers 503 on /ready while its database times out: readiness fails (Unhealthy, Ready=False), the Deployment has a replica unavailable, KubeDeploymentReplicasMismatch fires',
    build: (start) => {
      const c = cluster();
      const pod = c.api.pods[0];
      const t = new Timeline(start);
      t.log(1_000, pod, '2026-11-21 12:00:01.000 ERROR 1 --- [nio-8080-exec-3] com.zaxxer.hikari.pool.HikariPool : HikariPool-1 - Connection is not available, request timed out after 5000ms.', 'stderr');
      const unhealthy = t.event(3_000, pod, 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', 'Warning', { node: podNode(pod) });
      t.snapshot(23_000, changed(pod, (p) => {
        containerStatus(p).ready = false;
        setReady(p, false, new Date(start + 23_000));
      }));
      t.snapshot(24_000, changed(c.api.deployment, (d) => {
        d.status = { replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1, unavailableReplicas: 1, observedGeneration: 1 };
      }));
      for (let at = 13_000; at < FOR_15M + 2 * MIN; at += 10_000) if ((at / 10_000) % 3 !== 0) t.again(unhealthy, at);
      t.alert(24_000 + FOR_15M, { alertname: 'KubeDeploymentReplicasMismatch', ...KSM, deployment: 'catalog', namespace: 'shop', pod: KSM_POD }, { description: 'Deployment shop/catalog has not matched the expected number of replicas for longer than 15 minutes.', runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubedeploymentreplicasmismatch', summary: 'Deployment has not matched the expected number of replicas.' });
      return {
        name: 'readiness-probe', description: scenarios['readiness-probe'].description, resources: resourcesOf(c), timeline: t.items,
        rootCause: { reason: 'Unhealthy', kind: 'Pod', namespace: 'shop', name: pod.metadata.name, evidence: 'event' },
        expectedEffects: ['KubeDeploymentReplicasMismatch'],
      };
    },
  },
  'pvc-pending': {
    description: 'checkout scales up; the new replica\'s claim names a StorageClass that does not exist: the claim stays Pending (ProvisioningFailed), the pod cannot be scheduled (FailedScheduling, events.k8s.io/v1), KubePodNotReady fires',
    build: (start) => {
      const c = cluster();
      const claim = pvc('shop', 'checkout-data');
      const t = new Timeline(start);
      const pod = changed(c.shop.pods[0], (p) => {
        p.metadata.name = `${c.shop.replicaSet.metadata.name}-p3q8v`;
        p.metadata.uid = `${p.metadata.uid.slice(0, -5)}p3q8v`;
        delete (p.spec as Record<string, unknown>).nodeName;
        (p.spec as Record<string, unknown>).volumes = [{ name: 'data', persistentVolumeClaim: { claimName: 'checkout-data' } }];
        p.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: t.time(1_500), reason: 'Unschedulable', message: '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.' }] };
      });
      const prov = t.event(1_000, claim, 'ProvisioningFailed', 'storageclass.storage.k8s.io "fast-ssd" not found', 'Warning', { component: 'persistentvolume-controller' });
      t.snapshot(1_500, pod);
      t.scheduler(1_600, pod, 'FailedScheduling', '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.', 'Warning');
      for (let at = 16_000, d = 15; at < FOR_15M + 2 * MIN; d = Math.min(d * 2, 300), at += d * S) t.again(prov, at);
      podNotReadyAlert(t, 1_500 + FOR_15M, pod);
      return {
        name: 'pvc-pending', description: scenarios['pvc-pending'].description, resources: resourcesOf(c, [claim]), timeline: t.items,
        rootCause: { reason: 'ProvisioningFailed', kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'checkout-data', evidence: 'event' },
        expectedEffects: ['FailedScheduling', 'KubePodNotReady'],
      };
    },
  },
};

export const SCENARIO_NAMES = Object.keys(scenarios);

export function buildScenario(name: string, start: number): BuiltScenario {
  const s = scenarios[name];
  if (!s) throw new Error(`unknown scenario ${JSON.stringify(name)}; one of: ${SCENARIO_NAMES.join(', ')}`);
  const built = s.build(start);
  built.timeline.sort((a, b) => a.atMs - b.atMs);
  return built;
}

const NOISE_LINES = [
  'GET /health 200 1ms',
  'level=info msg="request served" path=/api/items status=200 duration=12ms',
  '{"level":"info","msg":"cache refreshed","entries":1532}',
  'INFO  worker heartbeat ok',
  'level=debug msg="connection pool stats" idle=8 active=2',
];

/** Background noise: normal events and info logs about the healthy pods, `n`-th item deterministic. */
export function noiseItem(resources: K8sObject[], n: number, at: number): TimelineItem {
  const pods = resources.filter((r) => r.kind === 'Pod');
  const pod = pods[n % pods.length];
  if (n % 5 === 0) {
    const image = ((pod.spec as { containers: Array<{ image: string }> }).containers)[0].image;
    const reasons: Array<[string, string]> = [['Pulled', `Container image "${image}" already present on machine`], ['Created', `Created container ${pod.metadata.labels?.app ?? 'app'}`], ['Started', `Started container ${pod.metadata.labels?.app ?? 'app'}`]];
    if ((n / 5) % 4 === 3) {
      const v = eventsV1Event(pod, 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${podNode(pod)}`, 'Normal', new Date(at), n, { action: 'Binding' });
      return { atMs: 0, type: 'event', uid: (v.metadata as { uid: string }).uid, value: v };
    }
    const [reason, message] = reasons[(n / 5) % reasons.length | 0];
    const v = coreEvent(pod, reason, message, 'Normal', new Date(at), n, { node: podNode(pod) });
    return { atMs: 0, type: 'event', uid: (v.metadata as { uid: string }).uid, value: v };
  }
  return { atMs: 0, type: 'log', uid: `noise-${pod.metadata.uid}-${at}-${n}`, value: vectorLog(pod, NOISE_LINES[n % NOISE_LINES.length], new Date(at)) };
}
