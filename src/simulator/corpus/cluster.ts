import { Obj } from './formats';
import {
  AppSpec, configMapObject, cronJobObject, deploymentObject, ingressObject, nodeObject, PodHandle, podObject, pvcObject, replicaSetObject, secretObject, serviceObject, workloadObject,
} from './objects';
import { Rng } from './rng';
import { NodeInfo, NOISE, World } from './world';

/**
 * One cluster of 9 nodes (2 tainted system nodes, 7 general; 7 ship logs with Vector, 2 with Fluent Bit)
 * running ~25 workloads in 8 namespaces: Deployments behind Services (some calling others, in the
 * same and in other namespaces), StatefulSets with PVCs, a DaemonSet, CronJobs, ConfigMaps, Secrets
 * and Ingresses. The objects are published at `start` (the agent's initial list).
 */
export interface Workload {
  app: AppSpec;
  uid: string;
  obj: Obj;
  /** Deployments: the current ReplicaSet. */
  rs?: { name: string; uid: string; hash: string; revision: number; obj: Obj };
  pods: PodHandle[];
  service?: { obj: Obj; clusterIP: string };
}

export interface Cluster {
  world: World;
  nodes: NodeInfo[];
  nodeObjects: Map<string, Obj>;
  workloads: Map<string, Workload>;
  cronJobs: Map<string, Obj>;
  configMaps: Map<string, Obj>;
  secrets: Map<string, Obj>;
  pvcs: Map<string, Obj>;
  ksmPod: string;
  ipSeq: { n: number };
}

const c = (name: string, image: string, port: number, extra: Partial<AppSpec['container']> = {}): AppSpec['container'] => ({ name, image, port, memoryLimit: '512Mi', cpuRequest: '250m', probes: true, ...extra });

/** The workloads of the cluster. `calls` name `namespace/app`. */
export const CATALOG: AppSpec[] = [
  { namespace: 'kube-system', name: 'coredns', kind: 'Deployment', replicas: 2, container: c('coredns', '602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.11.3-eksbuild.1', 53, { memoryLimit: '170Mi', cpuRequest: '100m' }), lang: 'go', calls: [], servicePort: 53, system: true },
  { namespace: 'kube-system', name: 'calico-node', kind: 'DaemonSet', replicas: 9, container: c('calico-node', 'docker.io/calico/node:v3.28.2', 9099, { probes: false }), lang: 'go', calls: [], servicePort: 0, system: true },
  { namespace: 'kube-system', name: 'metrics-server', kind: 'Deployment', replicas: 1, container: c('metrics-server', 'registry.k8s.io/metrics-server/metrics-server:v0.7.2', 10250), lang: 'go', calls: [], servicePort: 443, system: true },
  { namespace: 'monitoring', name: 'kube-prometheus-stack-kube-state-metrics', kind: 'Deployment', replicas: 1, container: c('kube-state-metrics', 'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0', 8080), lang: 'go', calls: [], servicePort: 8080, system: true },
  { namespace: 'monitoring', name: 'grafana', kind: 'Deployment', replicas: 1, container: c('grafana', 'docker.io/grafana/grafana:11.2.0', 3000), lang: 'go', calls: [], servicePort: 80, system: true },
  { namespace: 'ingress-nginx', name: 'ingress-nginx-controller', kind: 'Deployment', replicas: 2, container: c('controller', 'registry.k8s.io/ingress-nginx/controller:v1.11.2', 80), lang: 'nginx', calls: ['web/frontend', 'web/admin'], servicePort: 80 },
  { namespace: 'web', name: 'frontend', kind: 'Deployment', replicas: 3, container: c('frontend', 'registry.example.com/web/frontend:4.12.0', 3000, { envFrom: ['frontend-config'] }), lang: 'node', calls: ['shop/checkout', 'shop/catalog', 'shop/cart', 'payments/payments'], servicePort: 80 },
  { namespace: 'web', name: 'admin', kind: 'Deployment', replicas: 1, container: c('admin', 'registry.example.com/web/admin:2.3.1', 8000, { secretEnv: [{ env: 'DJANGO_SECRET_KEY', secret: 'admin-secrets', key: 'django-secret-key' }] }), lang: 'python', calls: ['shop/orders'], servicePort: 80 },
  { namespace: 'shop', name: 'checkout', kind: 'Deployment', replicas: 3, container: c('checkout', 'registry.example.com/shop/checkout:1.8.3', 8080, { envFrom: ['checkout-config'], secretEnv: [{ env: 'DB_PASSWORD', secret: 'checkout-db', key: 'password' }] }), lang: 'go', calls: ['payments/payments', 'shop/postgres', 'shop/cart'], servicePort: 8080 },
  { namespace: 'shop', name: 'cart', kind: 'Deployment', replicas: 2, container: c('cart', 'registry.example.com/shop/cart:3.1.0', 8080, { envFrom: ['cart-config'] }), lang: 'go', calls: ['shop/redis'], servicePort: 8080 },
  { namespace: 'shop', name: 'catalog', kind: 'Deployment', replicas: 3, container: c('catalog', 'registry.example.com/shop/catalog:2.4.1', 8080, { memoryLimit: '1Gi', configMapVolume: 'catalog-config' }), lang: 'java', calls: ['shop/postgres', 'data/search'], servicePort: 8080 },
  { namespace: 'shop', name: 'orders', kind: 'Deployment', replicas: 2, container: c('orders', 'registry.example.com/shop/orders:5.0.2', 8080, { secretEnv: [{ env: 'DATABASE_URL', secret: 'orders-db', key: 'url' }] }), lang: 'go', calls: ['shop/postgres', 'payments/payments'], servicePort: 8080 },
  { namespace: 'shop', name: 'notifications', kind: 'Deployment', replicas: 2, container: c('notifications', 'registry.example.com/shop/notifications:1.2.7', 3000, { envFrom: ['notifications-config'] }), lang: 'node', calls: ['shop/orders'], servicePort: 3000 },
  { namespace: 'shop', name: 'recommendations', kind: 'Deployment', replicas: 2, container: c('recommendations', 'registry.example.com/shop/recommendations:0.9.4', 8000, { memoryLimit: '768Mi', configMapVolume: 'recommendations-model' }), lang: 'python', calls: ['shop/catalog', 'shop/redis'], servicePort: 8000 },
  { namespace: 'shop', name: 'postgres', kind: 'StatefulSet', replicas: 1, container: c('postgres', 'docker.io/library/postgres:16.4', 5432, { memoryLimit: '2Gi', cpuRequest: '500m', claim: 'data-postgres-0', probes: false }), lang: 'go', calls: [], servicePort: 5432 },
  { namespace: 'shop', name: 'redis', kind: 'StatefulSet', replicas: 1, container: c('redis', 'docker.io/library/redis:7.2.5', 6379, { claim: 'data-redis-0', probes: false }), lang: 'go', calls: [], servicePort: 6379, headless: true },
  { namespace: 'payments', name: 'payments', kind: 'Deployment', replicas: 1, container: c('payments', 'registry.example.com/payments/payments:7.3.0', 8080, { envFrom: ['payments-config'], secretEnv: [{ env: 'PSP_API_KEY', secret: 'payments-psp', key: 'api-key' }] }), lang: 'java', calls: ['payments/payments-db', 'payments/fraud-check'], servicePort: 8080 },
  { namespace: 'payments', name: 'fraud-check', kind: 'Deployment', replicas: 1, container: c('fraud-check', 'registry.example.com/payments/fraud-check:1.4.0', 8000), lang: 'python', calls: ['payments/payments-db'], servicePort: 8000 },
  { namespace: 'payments', name: 'payments-db', kind: 'StatefulSet', replicas: 1, container: c('postgres', 'docker.io/library/postgres:16.4', 5432, { memoryLimit: '2Gi', cpuRequest: '500m', claim: 'data-payments-db-0', probes: false }), lang: 'go', calls: [], servicePort: 5432, headless: true },
  { namespace: 'data', name: 'search', kind: 'Deployment', replicas: 2, container: c('search', 'registry.example.com/data/search:8.15.1', 9200, { memoryLimit: '2Gi', cpuRequest: '1' }), lang: 'java', calls: [], servicePort: 9200 },
  { namespace: 'data', name: 'etl-worker', kind: 'Deployment', replicas: 2, container: c('etl-worker', 'registry.example.com/data/etl-worker:3.3.0', 8000, { envFrom: ['etl-config'] }), lang: 'python', calls: ['shop/postgres', 'data/search'], servicePort: 0 },
  { namespace: 'data', name: 'reports', kind: 'Deployment', replicas: 1, container: c('reports', 'registry.example.com/data/reports:1.0.9', 8000, { claim: 'reports-cache' }), lang: 'python', calls: ['shop/postgres'], servicePort: 8000 },
  { namespace: 'batch', name: 'legacy-reporter', kind: 'Deployment', replicas: 1, container: c('legacy-reporter', 'registry.example.com/batch/legacy-reporter:0.3.1', 8080, { probes: false }), lang: 'java', calls: ['shop/postgres'], servicePort: 0 },
];

export function appKey(a: AppSpec): string {
  return `${a.namespace}/${a.name}`;
}

/** A pod-template-hash-like suffix: 8-10 characters of the name alphabet. */
export function templateHash(rng: Rng): string {
  return rng.suffix(rng.int(9, 10));
}

export function newPodIp(cl: Cluster, node: NodeInfo): string {
  cl.ipSeq.n++;
  return `10.244.${node.index}.${(cl.ipSeq.n % 250) + 2}`;
}

export function nodeOf(cl: Cluster, name: string): NodeInfo {
  const n = cl.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

/** Picks a node for a new pod of `app` (general nodes unless the app tolerates the system taint). */
export function scheduleNode(cl: Cluster, app: AppSpec, avoid: string[] = []): NodeInfo {
  const ok = cl.nodes.filter((n) => (app.system || !n.system) && !avoid.includes(n.name));
  return cl.world.rng.pick(ok.length ? ok : cl.nodes);
}

/** A new pod of a workload (Deployment: of its current or of a given ReplicaSet). */
export function newPod(cl: Cluster, w: Workload, at: number, opts: { node?: NodeInfo; index?: number; rs?: { name: string; uid: string; hash: string }; image?: string } = {}): PodHandle {
  const rng = cl.world.rng;
  const app = w.app;
  const node = opts.node ?? (app.kind === 'DaemonSet' ? cl.nodes[opts.index ?? 0] : scheduleNode(cl, app));
  let name: string;
  let labels: Record<string, string>;
  let owner: { kind: string; name: string; uid: string };
  if (app.kind === 'Deployment') {
    const rs = opts.rs ?? w.rs!;
    name = `${rs.name}-${rng.suffix(5)}`;
    labels = { app: app.name, 'pod-template-hash': rs.hash };
    owner = { kind: 'ReplicaSet', name: rs.name, uid: rs.uid };
  } else if (app.kind === 'StatefulSet') {
    name = `${app.name}-${opts.index ?? 0}`;
    labels = { app: app.name, 'apps.kubernetes.io/pod-index': String(opts.index ?? 0), 'statefulset.kubernetes.io/pod-name': name, 'controller-revision-hash': `${app.name}-${rng.suffix(10)}` };
    owner = { kind: 'StatefulSet', name: app.name, uid: w.uid };
  } else {
    name = `${app.name}-${rng.suffix(5)}`;
    labels = { app: app.name, 'controller-revision-hash': rng.suffix(10), 'pod-template-generation': '3' };
    owner = { kind: 'DaemonSet', name: app.name, uid: w.uid };
  }
  const pod = podObject(app, name, rng.uid(), labels, owner, node, newPodIp(cl, node), at, rng, opts.image);
  if (app.kind === 'StatefulSet' && app.container.claim) {
    const vols = (pod.obj.spec as Obj).volumes as Obj[];
    vols.unshift({ name: 'data', persistentVolumeClaim: { claimName: `data-${name}` } });
  }
  return pod;
}

export function buildCluster(rng: Rng, start: number): Cluster {
  const world = new World(rng);
  const nodes: NodeInfo[] = Array.from({ length: 9 }, (_, i) => ({
    name: `ip-10-0-${10 + i * 16}-${40 + i * 7}.eu-west-1.compute.internal`,
    index: i,
    ip: `10.0.${10 + i * 16}.${40 + i * 7}`,
    shipper: i >= 7 ? 'fluent-bit' : 'vector',
    system: i < 2,
  }));
  world.nodes.push(...nodes);
  const cl: Cluster = { world, nodes, nodeObjects: new Map(), workloads: new Map(), cronJobs: new Map(), configMaps: new Map(), secrets: new Map(), pvcs: new Map(), ksmPod: '', ipSeq: { n: 0 } };
  for (const n of nodes) cl.nodeObjects.set(n.name, world.put(start, nodeObject(n, start, rng.uid()), NOISE));
  let svcN = 0;
  for (const app of CATALOG) {
    const uid = rng.uid();
    const w: Workload = { app, uid, obj: {}, pods: [] };
    if (app.kind === 'Deployment') {
      const hash = templateHash(rng);
      const revision = rng.int(2, 14);
      const rsName = `${app.name}-${hash}`;
      w.obj = deploymentObject(app, uid, revision, start, rsName);
      const rsUid = rng.uid();
      w.rs = { name: rsName, uid: rsUid, hash, revision, obj: replicaSetObject(app, rsName, rsUid, hash, revision, app.replicas, { name: app.name, uid }, start - rng.int(2, 20) * 86_400_000) };
    } else {
      w.obj = workloadObject(app, uid, start);
    }
    world.put(start, w.obj, NOISE);
    if (w.rs) world.put(start, w.rs.obj, NOISE);
    for (let i = 0; i < app.replicas; i++) {
      const p = newPod(cl, w, start - rng.int(1, 72) * 3_600_000, { index: i, node: app.kind === 'DaemonSet' ? nodes[i] : undefined });
      w.pods.push(p);
      world.put(start, p.obj, NOISE);
    }
    if (app.servicePort > 0) {
      svcN++;
      const ip = `10.100.${(svcN * 37) % 250}.${(svcN * 91) % 250 + 2}`;
      w.service = { obj: serviceObject(app, rng.uid(), ip, start), clusterIP: ip };
      world.put(start, w.service.obj, NOISE);
    }
    for (const cm of [...(app.container.envFrom ?? []), ...(app.container.configMapVolume ? [app.container.configMapVolume] : [])]) {
      const o = configMapObject(app.namespace, cm, rng.uid(), { LOG_LEVEL: 'info', HTTP_PORT: String(app.container.port), UPSTREAM_TIMEOUT: '5s' }, start - 10 * 86_400_000);
      cl.configMaps.set(`${app.namespace}/${cm}`, o);
      world.put(start, o, NOISE);
    }
    for (const s of app.container.secretEnv ?? []) {
      const o = secretObject(app.namespace, s.secret, rng.uid(), [s.key], start - 20 * 86_400_000);
      cl.secrets.set(`${app.namespace}/${s.secret}`, o);
      world.put(start, o, NOISE);
    }
    if (app.container.claim) {
      const o = pvcObject(app.namespace, app.container.claim, rng.uid(), 'gp3', start - 30 * 86_400_000, true, app.kind === 'StatefulSet' ? { app: app.name } : undefined);
      cl.pvcs.set(`${app.namespace}/${app.container.claim}`, o);
      world.put(start, o, NOISE);
    }
    cl.workloads.set(appKey(app), w);
  }
  cl.ksmPod = (cl.workloads.get('monitoring/kube-prometheus-stack-kube-state-metrics')!.pods[0].obj.metadata as { name: string }).name;
  world.put(start, ingressObject('web', 'frontend', rng.uid(), 'shop.example.com', 'frontend', 80, start - 50 * 86_400_000), NOISE);
  world.put(start, ingressObject('web', 'admin', rng.uid(), 'admin.example.com', 'admin', 80, start - 50 * 86_400_000), NOISE);
  for (const [name, schedule] of [['db-backup', '*/30 * * * *'], ['nightly-report', '0 */2 * * *']] as const) {
    const o = cronJobObject('batch', name, rng.uid(), schedule, `registry.example.com/batch/${name}:1.1.0`, start);
    cl.cronJobs.set(name, o);
    world.put(start, o, NOISE);
  }
  return cl;
}
