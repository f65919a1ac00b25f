import { ConfigError } from '../../../src/config/env';
import { loadKubernetesConfig, loadSpawnerConfig } from '../../../src/spawner/spawnerConfig';

const workerEnv = { passthroughPrefixes: [], extra: {}, neo4jDatabase: '{client}' };

describe('SPAWNER=kubernetes configuration', () => {
  it('is selectable', () => {
    expect(loadSpawnerConfig({ SPAWNER: 'kubernetes' }).kind).toBe('kubernetes');
  });

  it('defaults: the pod namespace in a cluster, else default; 100m/256Mi requested, 1 core/512Mi limits', () => {
    const out = loadKubernetesConfig({}, workerEnv, true, () => undefined);
    expect(out.namespace).toBe('default');
    expect(loadKubernetesConfig({}, workerEnv, true, () => 'kgroot-system').namespace).toBe('kgroot-system');
    expect(out.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1000m', memory: '512Mi' } });
    expect(out.secretName).toBeUndefined();
    expect(out.imagePullPolicy).toBe('IfNotPresent');
  });

  it('reads namespace, Secret, service account, pull policy and resources', () => {
    const out = loadKubernetesConfig(
      { WORKER_NAMESPACE: 'tenants', WORKER_SECRET: 'kgroot-credentials', WORKER_SERVICE_ACCOUNT: 'kgroot-worker', WORKER_IMAGE_PULL_POLICY: 'Always', WORKER_CPUS: '0.5', WORKER_MEMORY_MB: '384', WORKER_CPU_REQUEST: '0.05', WORKER_MEMORY_REQUEST_MB: '128' },
      workerEnv,
      true,
      () => 'ignored',
    );
    expect(out.namespace).toBe('tenants');
    expect(out.secretName).toBe('kgroot-credentials');
    expect(out.serviceAccount).toBe('kgroot-worker');
    expect(out.imagePullPolicy).toBe('Always');
    expect(out.resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '384Mi' } });
  });

  it('keeps the default requests below small limits', () => {
    expect(loadKubernetesConfig({ WORKER_CPUS: '0.05', WORKER_MEMORY_MB: '128' }, workerEnv).resources.requests).toEqual({ cpu: '50m', memory: '128Mi' });
  });

  it.each([
    [{ WORKER_NAMESPACE: 'Tenants' }, /^WORKER_NAMESPACE: "Tenants" is not a valid Kubernetes name/],
    [{ WORKER_NAMESPACE: 'a.b' }, /^WORKER_NAMESPACE: /],
    [{ WORKER_SECRET: 'bad_name' }, /^WORKER_SECRET: "bad_name" is not a valid Kubernetes name/],
    [{ WORKER_CPU_REQUEST: '2' }, /^WORKER_CPU_REQUEST: 2 cores is above the limit WORKER_CPUS=1/],
    [{ WORKER_MEMORY_REQUEST_MB: '1024' }, /^WORKER_MEMORY_REQUEST_MB: 1024 MiB is above the limit WORKER_MEMORY_MB=512/],
    [{ WORKER_IMAGE_PULL_POLICY: 'sometimes' }, /^WORKER_IMAGE_PULL_POLICY: /],
    [{ KUBECONFIG: '/nonexistent/kubeconfig' }, /^KUBECONFIG: file \/nonexistent\/kubeconfig does not exist/],
  ])('refuses %j, naming the variable', (env, msg) => {
    expect(() => loadKubernetesConfig(env, workerEnv, true, () => undefined)).toThrow(ConfigError);
    expect(() => loadKubernetesConfig(env, workerEnv, true, () => undefined)).toThrow(msg);
  });

  it('checks KUBECONFIG only when the Kubernetes spawner is chosen', () => {
    expect(loadSpawnerConfig({ SPAWNER: 'process', KUBECONFIG: '/nonexistent' }).kind).toBe('process');
    expect(() => loadSpawnerConfig({ SPAWNER: 'kubernetes', KUBECONFIG: '/nonexistent' })).toThrow(/^KUBECONFIG: /);
  });
});
