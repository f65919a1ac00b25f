import { K8sObject, alert, app, coreEvent, node, pvc, vectorLog } from './k8sShapes';

/**
 * Fault scenarios for the client simulator. Each builds a small cluster (resources) and a
 * timeline of raw records around one injected fault, and names the ground-truth root cause:
 * the event a correct RCA must rank first. Times are offsets from the scenario start.
 */
export interface RootCause {
  reason: string;
  kind: string;
  namespace: string | null;
  name: string;
}

export type TimelineItem =
  | { atMs: number; type: 'event'; uid: string; value: Record<string, unknown> }
  | { atMs: number; type: 'log'; uid: string; value: Record<string, unknown> }
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

/** A builder of timeline items with deterministic uids. */
class Timeline {
  readonly items: TimelineItem[] = [];
  private seq = 0;
  constructor(private readonly start: number) {}
  event(atMs: number, obj: K8sObject, reason: string, message: string, type: 'Normal' | 'Warning', extra: { node?: string; component?: string; count?: number } = {}): void {
    const v = coreEvent(obj, reason, message, type, new Date(this.start + atMs), this.seq++, extra);
    this.items.push({ atMs, type: 'event', uid: (v.metadata as { uid: string }).uid, value: v });
  }
  log(atMs: number, pod: K8sObject, message: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    this.items.push({ atMs, type: 'log', uid: `${pod.metadata.uid}-${this.seq++}`, value: vectorLog(pod, message, new Date(this.start + atMs), stream) });
  }
  alert(atMs: number, name: string, labels: Record<string, string>, summary: string): void {
    const v = alert(name, labels, summary, new Date(this.start + atMs));
    this.items.push({ atMs, type: 'alert', fingerprint: v.fingerprint as string, value: v });
  }
}

function podNode(pod: K8sObject): string {
  return (pod.spec as { nodeName: string }).nodeName;
}

type Builder = (start: number) => BuiltScenario;

const scenarios: Record<string, { description: string; build: Builder }> = {
  'oom-kill': {
    description: 'checkout exceeds its memory limit: OOMKilled, then CrashLoopBackOff, failing readiness and an alert on the service',
    build: (start) => {
      const c = cluster();
      const pod = c.shop.pods[0];
      const t = new Timeline(start);
      t.log(1_000, pod, 'level=warn msg="heap usage at 91% of limit"');
      t.event(2_000, pod, 'OOMKilled', 'Container checkout was OOMKilled (memory limit 256Mi exceeded)', 'Warning', { node: podNode(pod) });
      t.event(5_000, pod, 'BackOff', 'Back-off restarting failed container checkout in pod ' + pod.metadata.name, 'Warning', { node: podNode(pod), count: 3 });
      t.event(8_000, pod, 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', 'Warning', { node: podNode(pod) });
      t.alert(12_000, 'KubeDeploymentReplicasMismatch', { namespace: 'shop', service: 'checkout', deployment: 'checkout' }, 'checkout has 1/2 ready replicas');
      return {
        name: 'oom-kill', description: scenarios['oom-kill'].description, resources: resourcesOf(c), timeline: t.items,
        rootCause: { reason: 'OOMKilled', kind: 'Pod', namespace: 'shop', name: pod.metadata.name },
        expectedEffects: ['BackOff', 'Unhealthy', 'KubeDeploymentReplicasMismatch'],
      };
    },
  },
  'crash-loop-bad-config': {
    description: 'a bad ConfigMap value makes catalog exit at start: error logs, then CrashLoopBackOff and an alert',
    build: (start) => {
      const c = cluster();
      const pod = c.api.pods[1];
      const t = new Timeline(start);
      t.log(1_000, pod, 'FATAL config: invalid value "tru" for CATALOG_CACHE_ENABLED: expected true or false', 'stderr');
      t.log(1_050, pod, 'panic: invalid configuration', 'stderr');
      t.event(3_000, pod, 'BackOff', 'Back-off restarting failed container catalog in pod ' + pod.metadata.name, 'Warning', { node: podNode(pod), count: 5 });
      t.alert(9_000, 'KubePodCrashLooping', { namespace: 'shop', pod: pod.metadata.name, service: 'catalog' }, 'catalog is crash looping');
      return {
        name: 'crash-loop-bad-config', description: scenarios['crash-loop-bad-config'].description, resources: resourcesOf(c), timeline: t.items,
        rootCause: { reason: 'error-log', kind: 'Pod', namespace: 'shop', name: pod.metadata.name },
        expectedEffects: ['BackOff', 'KubePodCrashLooping'],
      };
    },
  },
  'image-pull': {
    description: 'a rollout references a tag that does not exist: ErrImagePull, then ImagePullBackOff and an alert',
    build: (start) => {
      const c = cluster();
      const pod = c.shop.pods[1];
      const t = new Timeline(start);
      t.event(1_000, pod, 'Pulling', 'Pulling image "registry.local/checkout:1.5.0"', 'Normal', { node: podNode(pod) });
      t.event(2_000, pod, 'Failed', 'Failed to pull image "registry.local/checkout:1.5.0": manifest unknown; Error: ErrImagePull', 'Warning', { node: podNode(pod) });
      t.event(4_000, pod, 'BackOff', 'Back-off pulling image "registry.local/checkout:1.5.0"', 'Warning', { node: podNode(pod), count: 4 });
      t.alert(10_000, 'KubePodNotReady', { namespace: 'shop', pod: pod.metadata.name, service: 'checkout' }, 'checkout pod not ready for 5 minutes');
      return {
        name: 'image-pull', description: scenarios['image-pull'].description, resources: resourcesOf(c), timeline: t.items,
        rootCause: { reason: 'Failed', kind: 'Pod', namespace: 'shop', name: pod.metadata.name },
        expectedEffects: ['BackOff', 'KubePodNotReady'],
      };
    },
  },
  'node-failure': {
    description: 'node-a stops reporting: NodeNotReady, pods evicted, rescheduling fails for lack of capacity',
    build: (start) => {
      const c = cluster();
      const n = c.nodes[0];
      const t = new Timeline(start);
      t.event(1_000, n, 'NodeNotReady', 'Node node-a status is now: NodeNotReady', 'Warning', { component: 'node-controller' });
      const onA = [...c.shop.pods, ...c.api.pods].filter((p) => podNode(p) === 'node-a');
      onA.forEach((p, i) => t.event(3_000 + i * 200, p, 'Evicted', 'Marking for deletion Pod ' + p.metadata.name + ' because node-a is NotReady', 'Warning', { node: 'node-a', component: 'taint-controller' }));
      t.event(6_000, c.shop.pods[0], 'FailedScheduling', '0/2 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 1 Insufficient memory.', 'Warning', { component: 'default-scheduler' });
      t.alert(11_000, 'KubeNodeNotReady', { node: 'node-a' }, 'node-a has been unready for more than 15 minutes');
      return {
        name: 'node-failure', description: scenarios['node-failure'].description, resources: resourcesOf(c), timeline: t.items,
        rootCause: { reason: 'NodeNotReady', kind: 'Node', namespace: null, name: 'node-a' },
        expectedEffects: ['Evicted', 'FailedScheduling', 'KubeNodeNotReady'],
      };
    },
  },
  'readiness-probe': {
    description: 'catalog answers 503 on /ready after a dependency times out: readiness fails behind the service, alert fires',
    build: (start) => {
      const c = cluster();
      const pod = c.api.pods[0];
      const t = new Timeline(start);
      t.log(1_000, pod, 'ERROR upstream postgres:5432 connection timed out after 5000ms', 'stderr');
      t.event(3_000, pod, 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', 'Warning', { node: podNode(pod), count: 6 });
      t.alert(9_000, 'ServiceEndpointsDown', { namespace: 'shop', service: 'catalog' }, 'catalog has fewer ready endpoints than desired');
      return {
        name: 'readiness-probe', description: scenarios['readiness-probe'].description, resources: resourcesOf(c), timeline: t.items,
        rootCause: { reason: 'Unhealthy', kind: 'Pod', namespace: 'shop', name: pod.metadata.name },
        expectedEffects: ['ServiceEndpointsDown'],
      };
    },
  },
  'pvc-pending': {
    description: 'a claim on a storage class with no provisioner stays Pending: the pod cannot mount it and never gets ready',
    build: (start) => {
      const c = cluster();
      const claim = pvc('shop', 'checkout-data');
      const pod = c.shop.pods[0];
      const t = new Timeline(start);
      t.event(1_000, claim, 'ProvisioningFailed', 'storageclass.storage.k8s.io "fast-ssd" not found', 'Warning', { component: 'persistentvolume-controller' });
      t.event(3_000, pod, 'FailedMount', 'Unable to attach or mount volumes: unmounted volumes=[data]: timed out waiting for the condition', 'Warning', { node: podNode(pod) });
      t.alert(9_000, 'KubePodNotReady', { namespace: 'shop', pod: pod.metadata.name, service: 'checkout' }, 'checkout pod not ready for 5 minutes');
      return {
        name: 'pvc-pending', description: scenarios['pvc-pending'].description, resources: resourcesOf(c, [claim]), timeline: t.items,
        rootCause: { reason: 'FailedMount', kind: 'Pod', namespace: 'shop', name: pod.metadata.name },
        expectedEffects: ['KubePodNotReady'],
      };
    },
  },
};

export const SCENARIO_NAMES = Object.keys(scenarios);

export function buildScenario(name: string, start: number): BuiltScenario {
  const s = scenarios[name];
  if (!s) throw new Error(`unknown scenario ${JSON.stringify(name)}; one of: ${SCENARIO_NAMES.join(', ')}`);
  return s.build(start);
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
    const reasons: Array<[string, string]> = [['Pulled', 'Container image already present on machine'], ['Created', 'Created container'], ['Started', 'Started container'], ['Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${podNode(pod)}`]];
    const [reason, message] = reasons[(n / 5) % reasons.length | 0];
    const v = coreEvent(pod, reason, message, 'Normal', new Date(at), n, { node: podNode(pod) });
    return { atMs: 0, type: 'event', uid: (v.metadata as { uid: string }).uid, value: v };
  }
  return { atMs: 0, type: 'log', uid: `noise-${pod.metadata.uid}-${at}-${n}`, value: vectorLog(pod, NOISE_LINES[n % NOISE_LINES.length], new Date(at)) };
}
