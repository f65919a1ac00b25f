/**
 * Kubernetes spawner benchmark on a real kube-apiserver + kube-controller-manager 1.20.2 (no
 * kubelet): 20 clients register at once through Kafka → the control plane (SPAWNER=kubernetes, as
 * the chart's ServiceAccount) creates 60 worker Deployments; per Deployment, the time from sending
 * the registrations until it is created (seen on a watch) and until the controller manager has
 * observed it (status.replicas = 1: its ReplicaSet and Pod exist), and until GET /clients shows all
 * 60. Baseline in the same run: the API server's own latency for 60 bare Deployments created at
 * once with the same client library, and the controller manager's observation of them.
 *
 *   npm run build && node dist/perf/kubernetes.js
 * Writes perf/out/kubernetes.json and prints a markdown section.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, V1Deployment, Watch } from '@kubernetes/client-node';
import { ensureTopics } from '../src/kafka/admin';
import { loadKafkaConnection } from '../src/kafka/kafkaConfig';
import { KafkaSink } from '../src/kafka/kafkaSink';
import { componentLogger } from '../src/log/logger';
import { ControlPlaneProcess, HeartbeatingClients, until } from '../test/support/controlPlaneProcess';
import { k8sBinary, KubeApiServer } from '../test/support/kubeApiServer';
import { percentile, Row, writeResult } from './perfResult';

const CLIENTS = 20;
const WORKERS = CLIENTS * 3;
const CHART = join(__dirname, '..', '..', 'charts', 'kgroot');
const log = componentLogger('perf-kubernetes');

interface Seen {
  created: Map<string, number>;
  observed: Map<string, number>;
}

/** Watches Deployments matching a selector; notes when each was first seen and first had status.replicas ≥ 1. */
async function watchDeployments(kc: KubeConfig, ns: string, labelSelector: string, t0: () => number): Promise<{ seen: Seen; stop: () => void }> {
  const seen: Seen = { created: new Map(), observed: new Map() };
  const ctl = await new Watch(kc).watch(
    `/apis/apps/v1/namespaces/${ns}/deployments`,
    { labelSelector },
    (phase: string, d: V1Deployment) => {
      const name = d.metadata?.name ?? '';
      const at = Date.now() - t0();
      if ((phase === 'ADDED' || phase === 'MODIFIED') && !seen.created.has(name)) seen.created.set(name, at);
      if ((d.status?.replicas ?? 0) >= 1 && !seen.observed.has(name)) seen.observed.set(name, at);
    },
    (err: unknown) => {
      if (err) log.warn({ err: String(err) }, 'benchmark watch ended');
    },
  );
  return { seen, stop: () => ctl.abort() };
}

function stats(ms: number[]): { p50: number; p95: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), max: s[s.length - 1] ?? NaN };
}

async function main(): Promise<void> {
  const run = `kb${Date.now().toString(36)}`;
  const ns = `kgw-${run}`;
  const kube = await KubeApiServer.start();
  const connection = loadKafkaConnection(process.env, 'perf-kubernetes');
  let sink: KafkaSink | undefined;
  let clients: HeartbeatingClients | undefined;
  let cp: ControlPlaneProcess | undefined;
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(kube.adminKubeconfig);
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    await kube.createNamespace(ns);
    const rbac = execFileSync(k8sBinary('helm'), ['template', 'kg', CHART, '--namespace', ns, '--kube-version', '1.20.2', '--show-only', 'templates/rbac.yaml', '--set', 'webhookReceiver.enabled=false'], { encoding: 'utf8' });
    kube.kubectl(['apply', '-f', '-'], { input: rbac });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'kgroot-credentials' }, stringData: { NEO4J_PASSWORD: 'x' } } });
    const { kubeconfig } = await kube.serviceAccountKubeconfig(ns, 'kg-kgroot-control-plane');

    // Baseline: 60 bare Deployments at once, straight to the API server
    let t0 = 0;
    const base = await watchDeployments(kc, ns, 'bench=bare', () => t0);
    const bare = (i: number): V1Deployment => ({
      metadata: { name: `bare-${i}`, labels: { bench: 'bare' } },
      spec: { replicas: 1, selector: { matchLabels: { bench: 'bare', i: String(i) } }, template: { metadata: { labels: { bench: 'bare', i: String(i) } }, spec: { containers: [{ name: 'x', image: 'localhost/kgroot:dev' }] } } },
    });
    t0 = Date.now();
    const createMs = await Promise.all(
      Array.from({ length: WORKERS }, async (_, i) => {
        const start = Date.now();
        await apps.createNamespacedDeployment({ namespace: ns, body: bare(i) });
        return Date.now() - start;
      }),
    );
    const baseAll = Date.now() - t0;
    await until('60 bare Deployments observed', () => (base.seen.observed.size >= WORKERS ? true : undefined), 120_000, 50);
    base.stop();
    const baseObservedAll = Math.max(...base.seen.observed.values());

    // Subject: 20 clients register at once; the control plane creates 60 Deployments
    await ensureTopics(connection, log);
    sink = await KafkaSink.connect({ connection }, log);
    clients = new HeartbeatingClients(sink);
    const ids = Array.from({ length: CLIENTS }, (_, i) => `${run}c${i}`);
    cp = new ControlPlaneProcess({
      SPAWNER: 'kubernetes',
      KUBECONFIG: kubeconfig,
      WORKER_NAMESPACE: ns,
      WORKER_SECRET: 'kgroot-credentials',
      WORKER_IMAGE: 'localhost/kgroot:dev',
      CLIENT_ALLOWLIST: ids.join(','),
      CONTROL_PLANE_GROUP_SUFFIX: `-${run}`,
      CONTROL_PLANE_STATE_DIR: mkdtempSync(join(tmpdir(), `kg-cp-${run}-`)),
      HEARTBEAT_CHECK_INTERVAL_SECONDS: '1',
      STALE_CLIENT_THRESHOLD_SECONDS: '60',
    });
    await until('the control plane listening', async () => ((await cp!.clients()) ? true : undefined), 60_000, 100);
    const subj = await watchDeployments(kc, ns, 'kg.managed-by=control-plane', () => t0);
    let viewAllMs = NaN;
    t0 = Date.now();
    await Promise.all(ids.map((id) => clients!.register(id)));
    await until('60 worker Deployments in GET /clients', async () => {
      const v = await cp!.clients();
      const n = v.clients.filter((c) => ids.includes(c.client)).reduce((k, c) => k + c.workers.filter((w) => w.state === 'starting' || w.state === 'running').length, 0);
      if (n >= WORKERS) viewAllMs = Date.now() - t0;
      return n >= WORKERS ? true : undefined;
    }, 180_000, 50);
    await until('60 worker Deployments observed', () => (subj.seen.observed.size >= WORKERS ? true : undefined), 120_000, 50);
    subj.stop();

    const b = stats(createMs);
    const bo = stats([...base.seen.observed.values()]);
    const sc = stats([...subj.seen.created.values()]);
    const so = stats([...subj.seen.observed.values()]);
    const rows: Row[] = [
      { what: `baseline: API server, 60 bare Deployments created at once (client-node, admin token): create request → response`, p50Ms: b.p50, p95Ms: b.p95, seconds: baseAll / 1000, note: `max ${b.max.toFixed(0)} ms` },
      { what: 'baseline: the same 60, first create sent → ReplicaSet and Pod made (status.replicas = 1, seen on a watch)', p50Ms: bo.p50, p95Ms: bo.p95, seconds: baseObservedAll / 1000 },
      { what: `kubernetes spawner: 20 clients register at once → ${subj.seen.created.size}/60 worker Deployments created (seen on a watch)`, p50Ms: sc.p50, p95Ms: sc.p95, seconds: sc.max / 1000, vsBaseline: baseAll / sc.max },
      { what: `kubernetes spawner: → ${subj.seen.observed.size}/60 observed by the controller manager (ReplicaSet and Pod made)`, p50Ms: so.p50, p95Ms: so.p95, seconds: so.max / 1000, vsBaseline: baseObservedAll / so.max },
      { what: 'kubernetes spawner: → all 60 in GET /clients (the control plane\'s own watch)', seconds: viewAllMs / 1000 },
    ];
    writeResult({
      name: 'kubernetes',
      title: 'Kubernetes spawner: 20 clients registering at once → 60 Deployments (real kube-apiserver 1.20.2, no kubelet)',
      command: 'npm run build && node dist/perf/kubernetes.js',
      rows,
      notes: [
        'kube-apiserver, kube-controller-manager (deployment, replicaset, garbage-collector, service-account controllers) 1.20.2 built by .ci/k8s-setup.sh, etcd 3.4 (Debian), all on loopback on this machine together with Kafka and Neo4j; the control plane runs as the chart\'s ServiceAccount (RBAC authorizer on).',
        'No kubelet: pods stay Pending, so no worker becomes available; "observed" is the controller manager having made the Deployment\'s ReplicaSet and Pod (status.replicas = 1), the last step before a kubelet would start it.',
        'The controller manager keeps its default API client rate (20 requests/s, burst 30): one ReplicaSet, one Pod and status updates per Deployment put both "observed" rows near 12 s, for bare Deployments and workers alike.',
        'Subject times run from sending the 20 registrations to Kafka (they include the control plane consuming them and its create calls); baseline times from the first of 60 concurrent create calls. "vs baseline" = baseline total / subject total (1.00× = as fast as bare creates).',
      ],
    });
  } finally {
    clients?.stop();
    await cp?.stop();
    await sink?.close();
    await kube.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`perf/kubernetes failed: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
