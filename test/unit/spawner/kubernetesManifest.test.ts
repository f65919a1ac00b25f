import type { V1Deployment } from '@kubernetes/client-node';
import { deploymentState, isOurDeployment, SPEC_HASH_ANNOTATION, workerDeployment } from '../../../src/spawner/kubernetesManifest';
import { KubernetesSpawnerConfig } from '../../../src/spawner/spawnerConfig';

const cfg: KubernetesSpawnerConfig = {
  namespace: 'tenants',
  kubeconfig: undefined,
  image: 'registry.example/kgroot:1.4.0',
  imagePullPolicy: 'IfNotPresent',
  secretName: 'kgroot-credentials',
  serviceAccount: undefined,
  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1000m', memory: '512Mi' } },
  metricsPort: 9464,
  stopGraceSeconds: 10,
  env: { passthroughPrefixes: ['KAFKA_', 'NEO4J_'], extra: { LOG_LEVEL: 'info' }, neo4jDatabase: 'kg-{client}' },
};
const parent = { KAFKA_BROKERS: 'kafka-bootstrap.kafka:9092', NEO4J_URI: 'bolt://neo4j.graph:7687', NEO4J_USER: 'neo4j', NEO4J_PASSWORD: 's3cret', HOME: '/root' };

describe('workerDeployment', () => {
  const { deployment: d, dropped } = workerDeployment('acme', 'graph-builder', cfg, parent);
  const pod = d.spec!.template.spec!;
  const c = pod.containers[0];

  it('names and labels the Deployment, its selector and its pods', () => {
    expect(d.metadata!.name).toBe('kg-graph-builder-acme');
    expect(d.metadata!.namespace).toBe('tenants');
    const ours = { 'kg.managed-by': 'control-plane', 'kg.client': 'acme', 'kg.role': 'graph-builder' };
    expect(d.metadata!.labels).toMatchObject(ours);
    expect(d.spec!.selector.matchLabels).toEqual(ours);
    expect(d.spec!.template.metadata!.labels).toMatchObject(ours);
    expect(d.spec!.replicas).toBe(1);
    expect(c.image).toBe('registry.example/kgroot:1.4.0');
    expect(c.args).toEqual(['graph-builder']);
  });

  it('sets CLIENT_ID and NEO4J_DATABASE, passes the settings through, and takes credentials only from the Secret', () => {
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toEqual({
      CLIENT_ID: 'acme',
      NEO4J_DATABASE: 'kg-acme',
      KAFKA_BROKERS: 'kafka-bootstrap.kafka:9092',
      NEO4J_URI: 'bolt://neo4j.graph:7687',
      LOG_LEVEL: 'info',
      METRICS_PORT: '9464',
      METRICS_HOST: '0.0.0.0',
      SHUTDOWN_GRACE_SECONDS: '10',
    });
    expect(dropped.sort()).toEqual(['NEO4J_PASSWORD', 'NEO4J_USER']);
    expect(JSON.stringify(d)).not.toContain('s3cret');
    expect(c.envFrom).toEqual([{ secretRef: { name: 'kgroot-credentials' } }]);
  });

  it('gives the normalizers no NEO4J_DATABASE', () => {
    const n = workerDeployment('acme', 'event-normalizer', cfg, parent).deployment.spec!.template.spec!.containers[0];
    expect((n.env ?? []).map((e) => e.name)).not.toContain('NEO4J_DATABASE');
    expect((n.env ?? []).find((e) => e.name === 'CLIENT_ID')?.value).toBe('acme');
  });

  it('has requests, limits and probes on /healthz', () => {
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1000m', memory: '512Mi' } });
    for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe]) expect(p?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 9464, protocol: 'TCP' }]);
    expect(d.spec!.template.metadata!.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9464' });
  });

  it('runs without privileges and without a service-account token', () => {
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
  });

  it('has no envFrom without WORKER_SECRET', () => {
    expect(workerDeployment('acme', 'graph-builder', { ...cfg, secretName: undefined }, parent).deployment.spec!.template.spec!.containers[0].envFrom).toBeUndefined();
  });

  it('hashes the spec: the same input gives the same hash, another image another', () => {
    const h = d.metadata!.annotations![SPEC_HASH_ANNOTATION];
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(workerDeployment('acme', 'graph-builder', cfg, { ...parent }).deployment.metadata!.annotations![SPEC_HASH_ANNOTATION]).toBe(h);
    expect(workerDeployment('acme', 'graph-builder', { ...cfg, image: 'registry.example/kgroot:1.5.0' }, parent).deployment.metadata!.annotations![SPEC_HASH_ANNOTATION]).not.toBe(h);
  });
});

describe('deploymentState and ownership', () => {
  const base: V1Deployment = { metadata: { name: 'x', labels: { 'kg.managed-by': 'control-plane' } }, spec: { replicas: 1, selector: {}, template: {} } };
  it.each([
    [{}, 'created'],
    [{ replicas: 1, unavailableReplicas: 1 }, 'starting'],
    [{ replicas: 1, availableReplicas: 1 }, 'running'],
  ])('status %j is %s', (status, state) => {
    expect(deploymentState({ ...base, status })).toBe(state);
  });
  it('a Deployment being deleted is terminating', () => {
    expect(deploymentState({ ...base, metadata: { ...base.metadata, deletionTimestamp: new Date() }, status: { availableReplicas: 1 } })).toBe('terminating');
  });
  it('is ours only with kg.managed-by=control-plane', () => {
    expect(isOurDeployment(base)).toBe(true);
    expect(isOurDeployment({ metadata: { labels: { 'kg.client': 'acme' } } })).toBe(false);
    expect(isOurDeployment({ metadata: {} })).toBe(false);
  });
});
