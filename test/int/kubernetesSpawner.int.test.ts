import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, V1Deployment } from '@kubernetes/client-node';
import { ensureTopics } from '../../src/kafka/admin';
import { loadKafkaConnection } from '../../src/kafka/kafkaConfig';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { componentLogger } from '../../src/log/logger';
import { workerDeployment } from '../../src/spawner/kubernetesManifest';
import { loadKubernetesConfig } from '../../src/spawner/spawnerConfig';
import { ControlPlaneProcess, HeartbeatingClients, until } from '../support/controlPlaneProcess';
import { k8sBinary, KubeApiServer } from '../support/kubeApiServer';

/**
 * SPAWNER=kubernetes on a real kube-apiserver + kube-controller-manager 1.20.2 (no kubelet: pods stay
 * Pending). The control plane runs as the chart's ServiceAccount with the chart's Role, so what it
 * does here is what that Role allows. Clients register and heartbeat through the real Kafka.
 */
const CHART = join(__dirname, '..', '..', 'charts', 'kgroot');
const connection = loadKafkaConnection(process.env, 'k8s-spawner-int');
const log = componentLogger('k8s-spawner-int');
const run = `k${Date.now().toString(36)}`;
const ns = `kgw-${run}`;
const otherNs = `kgo-${run}`;
const ids = [`${run}a`, `${run}b`, `${run}c`];
const foreignClient = `${run}d`;
const leftover = `${run}z`;
const RELEASE = 'kg';
const SA = `${RELEASE}-kgroot-control-plane`;
const SECRET = 'kgroot-credentials';
const CP_PASSWORD = `cp-only-${run}`;
const roles = ['event-normalizer', 'log-normalizer', 'graph-builder'];

let kube: KubeApiServer;
let apps: AppsV1Api;
let core: CoreV1Api;
let sink: KafkaSink;
let clients: HeartbeatingClients;
let cp: ControlPlaneProcess | undefined;
let saToken: string;
let saKubeconfig: string;

function helm(args: string[]): string {
  return execFileSync(k8sBinary('helm'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function cpEnv(): Record<string, string> {
  return {
    SPAWNER: 'kubernetes',
    KUBECONFIG: saKubeconfig,
    WORKER_NAMESPACE: ns,
    WORKER_SECRET: SECRET,
    WORKER_IMAGE: 'localhost/kgroot:dev',
    WORKER_CPUS: '0.5',
    WORKER_MEMORY_MB: '384',
    // Must never reach a Deployment: workers get credentials from WORKER_SECRET. (The control plane's
    // own API reads Neo4j with them, so both halves are set: one alone is a configuration error.)
    NEO4J_USER: 'neo4j',
    NEO4J_PASSWORD: CP_PASSWORD,
    // the leftover is allowed too: clients outside the allowlist are not this control plane's to touch
    CLIENT_ALLOWLIST: [...ids, foreignClient, leftover].join(','),
    CONTROL_PLANE_GROUP_SUFFIX: `-${run}`,
    CONTROL_PLANE_STATE_DIR: mkdtempSync(join(tmpdir(), `kg-cp-${run}-`)),
    HEARTBEAT_CHECK_INTERVAL_SECONDS: '1',
    STALE_CLIENT_THRESHOLD_SECONDS: '8',
    QUARANTINE_SECONDS: '0',
  };
}

async function ours(client?: string): Promise<V1Deployment[]> {
  const sel = client ? `kg.managed-by=control-plane,kg.client=${client}` : 'kg.managed-by=control-plane';
  return (await apps.listNamespacedDeployment({ namespace: ns, labelSelector: sel })).items;
}

/** Waits until the controller manager has stopped updating a Deployment's status; returns it. */
async function settled(name: string): Promise<V1Deployment> {
  let last = '';
  return until(`${name} settled`, async () => {
    const d = await apps.readNamespacedDeployment({ name, namespace: ns });
    const same = d.metadata!.resourceVersion === last && d.status?.observedGeneration === d.metadata!.generation;
    last = d.metadata!.resourceVersion!;
    return same ? d : undefined;
  }, 30_000, 1500);
}

function versions(ds: V1Deployment[]): Record<string, string> {
  return Object.fromEntries(ds.map((d) => [d.metadata!.name!, `${d.metadata!.uid}@${d.metadata!.resourceVersion}`]));
}

beforeAll(async () => {
  kube = await KubeApiServer.start();
  const kc = new KubeConfig();
  kc.loadFromFile(kube.adminKubeconfig);
  apps = kc.makeApiClient(AppsV1Api);
  core = kc.makeApiClient(CoreV1Api);
  for (const n of [ns, otherNs]) await kube.createNamespace(n);
  // The chart's ServiceAccount, Role and RoleBinding, as helm renders them
  const rbac = helm(['template', RELEASE, CHART, '--namespace', ns, '--kube-version', '1.20.2', '--show-only', 'templates/rbac.yaml', '--set', 'webhookReceiver.enabled=false']);
  kube.kubectl(['apply', '-f', '-'], { input: rbac });
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: SECRET }, stringData: { NEO4J_USER: 'neo4j', NEO4J_PASSWORD: 'from-the-secret' } } });
  ({ token: saToken, kubeconfig: saKubeconfig } = await kube.serviceAccountKubeconfig(ns, SA));
  await ensureTopics(connection, log);
  sink = await KafkaSink.connect({ connection }, log);
  clients = new HeartbeatingClients(sink);
}, 180_000);

afterAll(async () => {
  clients?.stop();
  await cp?.stop();
  await sink?.close();
  await kube?.stop();
}, 60_000);

function dump(): string {
  return `control plane log:\n${cp?.lines.slice(-30).join('\n')}\n--- kube-controller-manager:\n${kube.logTail('kube-controller-manager', 10)}`;
}

describe('SPAWNER=kubernetes on a real API server', () => {
  let afterFirst: Record<string, string>;

  it('3 clients registered through Kafka → 9 labelled Deployments with env, limits and Secret references → ReplicaSets and Pods', async () => {
    cp = new ControlPlaneProcess(cpEnv());
    await clients.register(...ids);
    const all = await until('9 worker Deployments', async () => {
      const ds = (await ours()).filter((d) => ids.includes(d.metadata!.labels!['kg.client']));
      return ds.length === 9 ? ds : undefined;
    }, 90_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${dump()}`);
    });
    expect(all.map((d) => d.metadata!.name).sort()).toEqual(ids.flatMap((c) => roles.map((r) => `kg-${r}-${c}`)).sort());
    for (const d of all) {
      const client = d.metadata!.labels!['kg.client'];
      const role = d.metadata!.labels!['kg.role'];
      expect(d.metadata!.labels).toMatchObject({ 'kg.managed-by': 'control-plane', 'kg.client': client, 'kg.role': role });
      const pod = d.spec!.template.spec!;
      const c = pod.containers[0];
      const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
      expect(env.CLIENT_ID).toBe(client);
      expect(env.NEO4J_DATABASE).toBe(role === 'graph-builder' ? client : undefined);
      expect(env.NEO4J_PASSWORD).toBeUndefined();
      expect(JSON.stringify(d)).not.toContain(CP_PASSWORD);
      expect(c.envFrom).toEqual([{ secretRef: { name: SECRET } }]);
      expect(c.image).toBe('localhost/kgroot:dev');
      expect(c.args).toEqual([role]);
      expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '384Mi' } });
      expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(c.readinessProbe?.httpGet?.path).toBe('/healthz');
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
    }
    // The controller manager made one ReplicaSet and one Pod per Deployment, owned by it
    const uids = new Set(all.map((d) => d.metadata!.uid));
    const rs = await until('9 ReplicaSets', async () => {
      const items = (await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'kg.managed-by=control-plane' })).items.filter((r) => uids.has(r.metadata?.ownerReferences?.[0]?.uid));
      return items.length === 9 ? items : undefined;
    }, 60_000);
    expect(rs.every((r) => r.metadata!.ownerReferences![0].kind === 'Deployment')).toBe(true);
    const pods = await until('9 Pods', async () => {
      const items = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'kg.managed-by=control-plane' })).items.filter((p) => ids.includes(p.metadata!.labels!['kg.client']));
      return items.length === 9 ? items : undefined;
    }, 60_000);
    expect(pods.every((p) => p.spec!.containers[0].envFrom?.[0]?.secretRef?.name === SECRET)).toBe(true);
    expect(pods.every((p) => p.status?.phase === 'Pending')).toBe(true); // no kubelet here

    // /clients: the watch's view; no replica is available (pods never run), so none is "running"
    const view = await until('/clients with 9 workers seen by the watch', async () => {
      const v = await cp!.clients();
      const ws = v.clients.filter((c) => ids.includes(c.client)).flatMap((c) => c.workers);
      return ws.length === 9 && ws.every((w) => w.state === 'starting') ? v : undefined;
    }, 30_000);
    expect(view.spawner).toBe('kubernetes');
    expect(cp.logged(/credential variables are not written/)[0]?.dropped).toContain('NEO4J_PASSWORD');
  });

  it('a restart adopts all 9 without changing them, deletes a labelled leftover and leaves a foreign Deployment alone', async () => {
    // A labelled worker of a client nobody knows (left by an earlier run), and a foreign Deployment
    const cfg = loadKubernetesConfig({ WORKER_NAMESPACE: ns, WORKER_IMAGE: 'localhost/kgroot:dev' }, { passthroughPrefixes: [], extra: {}, neo4jDatabase: '{client}' });
    await apps.createNamespacedDeployment({ namespace: ns, body: workerDeployment(leftover, 'graph-builder', cfg, {}).deployment });
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: { metadata: { name: 'foreign-app', labels: { app: 'foreign', 'kg.client': ids[0] } }, spec: { replicas: 1, selector: { matchLabels: { app: 'foreign' } }, template: { metadata: { labels: { app: 'foreign' } }, spec: { containers: [{ name: 'x', image: 'busybox' }] } } } },
    });
    const foreign = await settled('foreign-app');
    const before = versions((await ours()).filter((d) => ids.includes(d.metadata!.labels!['kg.client'])));
    expect(Object.keys(before)).toHaveLength(9);

    expect(await cp!.stop()).toBe(0);
    cp = new ControlPlaneProcess(cpEnv());
    await until('9 workers adopted', () => (cp!.logged(/^worker adopted$/).length >= 9 ? true : undefined), 90_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${dump()}`);
    });
    await until('the leftover deleted', async () => ((await ours(leftover)).length === 0 ? true : undefined), 60_000);
    expect(cp.logged(/^worker spawned$/)).toHaveLength(0);
    const after = versions((await ours()).filter((d) => ids.includes(d.metadata!.labels!['kg.client'])));
    expect(after).toEqual(before); // same uid and resourceVersion: nothing written
    const f = await apps.readNamespacedDeployment({ name: 'foreign-app', namespace: ns });
    expect(f.metadata!.resourceVersion).toBe(foreign.metadata!.resourceVersion);
    afterFirst = after;
  });

  it('refuses to adopt or delete a Deployment with a worker name but without our label', async () => {
    const name = `kg-event-normalizer-${foreignClient}`;
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: { metadata: { name, labels: { app: 'squatter' } }, spec: { replicas: 1, selector: { matchLabels: { app: 'squatter' } }, template: { metadata: { labels: { app: 'squatter' } }, spec: { containers: [{ name: 'x', image: 'busybox' }] } } } },
    });
    const squatter = await settled(name);
    await clients.register(foreignClient);
    await until('the spawn failure for the foreign name', () => (cp!.logged(/^workers spawn failed$/).some((l) => l.client === foreignClient) ? true : undefined), 60_000);
    const failure = cp!.logged(/^workers spawn failed$/).find((l) => l.client === foreignClient)!;
    expect(String(failure.reason)).toMatch(/exists without label kg\.managed-by=control-plane; it is not ours/);
    const now = await apps.readNamespacedDeployment({ name, namespace: ns });
    expect(now.metadata!.resourceVersion).toBe(squatter.metadata!.resourceVersion);
    expect(now.metadata!.labels).toEqual({ app: 'squatter' });
    // its other two workers exist; stop its heartbeats so it goes stale with the silent client below
    clients.silence(foreignClient);
  });

  it("a silent client's 3 Deployments (and their ReplicaSets and Pods) are deleted; the others are untouched", async () => {
    const silent = ids[2];
    const silentUids = new Set((await ours(silent)).map((d) => d.metadata!.uid));
    expect(silentUids.size).toBe(3);
    clients.silence(silent);
    await until(`the Deployments of ${silent} gone`, async () => ((await ours(silent)).length === 0 ? true : undefined), 90_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${dump()}`);
    });
    // Foreground deletion: the Deployment goes only after its ReplicaSets and Pods
    const rs = (await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: `kg.client=${silent}` })).items;
    const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: `kg.client=${silent}` })).items;
    expect(rs).toHaveLength(0);
    expect(pods).toHaveLength(0);
    const rest = versions((await ours()).filter((d) => ids.slice(0, 2).includes(d.metadata!.labels!['kg.client'])));
    expect(rest).toEqual(Object.fromEntries(Object.entries(afterFirst).filter(([n]) => !n.endsWith(`-${silent}`))));
    // the squatter survives its stale client's cleanup too
    await until(`${foreignClient}'s own workers gone`, async () => ((await ours(foreignClient)).length === 0 ? true : undefined), 60_000);
    expect((await apps.readNamespacedDeployment({ name: `kg-event-normalizer-${foreignClient}`, namespace: ns })).metadata!.labels).toEqual({ app: 'squatter' });
    expect((await apps.readNamespacedDeployment({ name: 'foreign-app', namespace: ns })).metadata!.name).toBe('foreign-app');
  });

  it('a worker is "running" once its Deployment has an available replica, as the watch reports it', async () => {
    // No kubelet: the test does the kubelet's part for one pod (bind it to a node, report it Running and Ready)
    const name = `kg-event-normalizer-${ids[0]}`;
    const pod = (await core.listNamespacedPod({ namespace: ns, labelSelector: `kg.client=${ids[0]},kg.role=event-normalizer` })).items[0];
    const podPath = `/api/v1/namespaces/${ns}/pods/${pod.metadata!.name}`;
    const bound = await kube.call('POST', `${podPath}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata!.name }, target: { apiVersion: 'v1', kind: 'Node', name: 'stand-in-node' } });
    expect(bound.status).toBe(201);
    const current = JSON.parse((await kube.get(podPath)).body) as { status: Record<string, unknown> };
    const now = new Date().toISOString();
    current.status = {
      ...current.status,
      phase: 'Running',
      startTime: now,
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: now },
        { type: 'Ready', status: 'True', lastTransitionTime: now },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      ],
      containerStatuses: [{ name: 'worker', ready: true, restartCount: 0, image: 'localhost/kgroot:dev', imageID: '', started: true, state: { running: { startedAt: now } } }],
    };
    const reported = await kube.call('PUT', `${podPath}/status`, current);
    expect(reported.status).toBe(200);
    const view = await until(`${name} running in GET /clients`, async () => {
      const v = await cp!.clients();
      const w = v.clients.find((c) => c.client === ids[0])?.workers.find((x) => x.name === name);
      return w?.state === 'running' ? v : undefined;
    }, 30_000);
    expect((await apps.readNamespacedDeployment({ name, namespace: ns })).status?.availableReplicas).toBe(1);
    // the other workers of that client are still only starting
    expect(view.clients.find((c) => c.client === ids[0])!.workers.filter((w) => w.state === 'running').map((w) => w.name)).toEqual([name]);
  });

  it('a restart with other limits replaces the stale Deployments in place (same uid, new spec)', async () => {
    const live = ids.slice(0, 2);
    const before = (await ours()).filter((d) => live.includes(d.metadata!.labels!['kg.client']));
    expect(before).toHaveLength(6);
    expect(await cp!.stop()).toBe(0);
    cp = new ControlPlaneProcess({ ...cpEnv(), WORKER_MEMORY_MB: '400' });
    await until('6 stale Deployments replaced', () => (cp!.logged(/^stale worker Deployment replaced$/).length >= 6 ? true : undefined), 90_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${dump()}`);
    });
    const after = (await ours()).filter((d) => live.includes(d.metadata!.labels!['kg.client']));
    expect(after.map((d) => d.metadata!.uid).sort()).toEqual(before.map((d) => d.metadata!.uid).sort());
    for (const d of after) {
      expect(d.spec!.template.spec!.containers[0].resources!.limits).toEqual({ cpu: '500m', memory: '400Mi' });
      expect(d.metadata!.generation).toBe(2);
      expect(d.metadata!.annotations!['kg.spec-hash']).not.toBe(before.find((b) => b.metadata!.uid === d.metadata!.uid)!.metadata!.annotations!['kg.spec-hash']);
    }
  });

  it("the chart's Role lets the control plane manage Deployments in its namespace and nothing else (real RBAC authorizer)", async () => {
    const dep = (namespace: string) => workerDeployment(`${run}r`, 'graph-builder', loadKubernetesConfig({ WORKER_NAMESPACE: namespace }, { passthroughPrefixes: [], extra: {}, neo4jDatabase: '{client}' }), {}).deployment;
    const as = (method: string, path: string, body?: unknown) => kube.call(method, path, body, saToken);
    expect((await as('GET', `/apis/apps/v1/namespaces/${ns}/deployments`)).status).toBe(200);
    expect((await as('POST', `/apis/apps/v1/namespaces/${otherNs}/deployments`, dep(otherNs))).status).toBe(403);
    expect((await as('GET', `/apis/apps/v1/namespaces/${otherNs}/deployments`)).status).toBe(403);
    expect((await as('GET', '/apis/apps/v1/deployments')).status).toBe(403); // cluster-wide
    expect((await as('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'x' } })).status).toBe(403);
    expect((await as('GET', `/api/v1/namespaces/${ns}/secrets/${SECRET}`)).status).toBe(403);
    expect((await as('GET', `/api/v1/namespaces/${ns}/pods`)).status).toBe(403);
    expect((await as('POST', `/apis/apps/v1/namespaces/${ns}/statefulsets`, { metadata: { name: 'x' } })).status).toBe(403);
    const denied = JSON.parse((await as('POST', `/apis/apps/v1/namespaces/${otherNs}/deployments`, dep(otherNs))).body) as { message: string };
    expect(denied.message).toContain(`system:serviceaccount:${ns}:${SA}`);
  });
});

describe('charts/kgroot', () => {
  const values = ['--set', 'webhookReceiver.tokensSecret=kgroot-webhook-tokens', '--set', 'credentials.existingSecret=kgroot-credentials', '--set', `workers.namespace=${otherNs}`];

  it('lints and renders', () => {
    expect(helm(['lint', CHART, ...values])).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    const out = helm(['template', 'kgroot', CHART, '--namespace', ns, '--kube-version', '1.20.2', ...values]);
    const kinds = [...out.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]).sort();
    expect(kinds).toEqual(['Deployment', 'Deployment', 'Deployment', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'Service', 'ServiceAccount']);
    expect(out).toContain('apiVersion: policy/v1beta1'); // 1.20 has no policy/v1
    expect(() => helm(['template', 'kgroot', CHART])).toThrow(/webhookReceiver\.tokensSecret/);
  });

  it('its manifests are accepted by the API server (kubectl apply --dry-run=server, schema validation on)', () => {
    const out = helm(['template', 'kgroot', CHART, '--namespace', ns, '--kube-version', '1.20.2', ...values]);
    const file = join(kube.dir, 'chart.yaml');
    writeFileSync(file, out);
    const applied = kube.kubectl(['apply', '--dry-run=server', '--validate=true', '-f', file]);
    expect(applied.trim().split('\n').sort()).toEqual(
      [
        'deployment.apps/kgroot-control-plane created (server dry run)',
        'deployment.apps/kgroot-topology-builder created (server dry run)',
        'deployment.apps/kgroot-webhook-receiver created (server dry run)',
        'poddisruptionbudget.policy/kgroot-webhook-receiver created (server dry run)',
        'role.rbac.authorization.k8s.io/kgroot-workers created (server dry run)',
        'rolebinding.rbac.authorization.k8s.io/kgroot-workers created (server dry run)',
        'service/kgroot-control-plane created (server dry run)',
        'service/kgroot-webhook-receiver created (server dry run)',
        'serviceaccount/kgroot-control-plane created (server dry run)',
      ].sort(),
    );
    // the validation is real: a misspelt field is refused
    writeFileSync(file, out.replace('automountServiceAccountToken: false\n      terminationGracePeriodSeconds', 'automountServiceAccountTokn: false\n      terminationGracePeriodSeconds'));
    expect(() => kube.kubectl(['apply', '--dry-run=server', '--validate=true', '-f', file])).toThrow(/unknown field "automountServiceAccountTokn"/);
  });
});
