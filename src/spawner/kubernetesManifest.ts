import { createHash } from 'node:crypto';
import type { V1Deployment } from '@kubernetes/client-node';
import { Env } from '../config/env';
import { KubernetesSpawnerConfig, workerEnv } from './spawnerConfig';
import { CLIENT_LABEL, MANAGED_BY, MANAGED_BY_LABEL, ROLE_LABEL, WorkerRole, workerLabels, workerName } from './spawner';

/** Annotation holding the hash of the spec the control plane wrote; a Deployment whose spec hash differs is stale and replaced. */
export const SPEC_HASH_ANNOTATION = 'kg.spec-hash';

/**
 * Names of variables that are credentials: never written into a Deployment (anyone who may read
 * Deployments would see them). Workers get them from WORKER_SECRET by reference. NEO4J_USER goes
 * with its password: inline it would override the Secret's (explicit env wins over envFrom).
 */
export const CREDENTIAL_VARIABLE = /PASSWORD|SECRET|TOKEN|_KEY$|_CREDENTIALS?$|SASL_USERNAME$|^NEO4J_USER$/;

export interface WorkerDeployment {
  deployment: V1Deployment;
  /** Variables of the control plane's environment left out because they are credentials. */
  dropped: string[];
}

/** Stable JSON (sorted keys), so the hash of an unchanged spec is the same in every run. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function specHash(spec: unknown): string {
  return createHash('sha256').update(stableJson(spec)).digest('hex').slice(0, 16);
}

/**
 * The Deployment of one worker (`kg-{role}-{client}`): one replica, our labels on it, its selector
 * and its pods; CLIENT_ID / NEO4J_DATABASE and the passed-through settings as env, credentials only
 * by reference to WORKER_SECRET; requests and limits; liveness and readiness on /healthz; no
 * privileges (non-root, read-only root filesystem, all capabilities dropped, no service-account token).
 */
export function workerDeployment(client: string, role: WorkerRole, cfg: KubernetesSpawnerConfig, parentEnv: Env): WorkerDeployment {
  const name = workerName(role, client);
  const labels = workerLabels(client, role);
  const dropped: string[] = [];
  const env: Array<{ name: string; value: string }> = [];
  // SHUTDOWN_GRACE_SECONDS: the worker exits within terminationGracePeriodSeconds even if a write hangs (runPipeline).
  const all = { ...workerEnv(client, role, cfg.env, parentEnv), METRICS_PORT: String(cfg.metricsPort), METRICS_HOST: '0.0.0.0', SHUTDOWN_GRACE_SECONDS: String(cfg.stopGraceSeconds) };
  for (const [k, v] of Object.entries(all).sort(([a], [b]) => a.localeCompare(b))) {
    if (CREDENTIAL_VARIABLE.test(k)) dropped.push(k);
    else env.push({ name: k, value: v });
  }
  const probe = (periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path: '/healthz', port: 'metrics' },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold,
  });
  const spec: NonNullable<V1Deployment['spec']> = {
    replicas: 1,
    revisionHistoryLimit: 2,
    // One worker per role and client at a time, also while its spec changes.
    strategy: { type: 'Recreate' },
    selector: { matchLabels: { ...labels } },
    template: {
      metadata: {
        labels: { ...labels, 'app.kubernetes.io/name': 'kgroot', 'app.kubernetes.io/component': role },
        annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(cfg.metricsPort), 'prometheus.io/path': '/metrics' },
      },
      spec: {
        automountServiceAccountToken: false,
        ...(cfg.serviceAccount ? { serviceAccountName: cfg.serviceAccount } : {}),
        enableServiceLinks: false,
        terminationGracePeriodSeconds: cfg.stopGraceSeconds,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'worker',
            image: cfg.image,
            imagePullPolicy: cfg.imagePullPolicy,
            args: [role],
            env,
            ...(cfg.secretName ? { envFrom: [{ secretRef: { name: cfg.secretName } }] } : {}),
            ports: [{ name: 'metrics', containerPort: cfg.metricsPort, protocol: 'TCP' }],
            resources: { requests: { ...cfg.resources.requests }, limits: { ...cfg.resources.limits } },
            // A worker connects to Kafka and Neo4j first; /healthz answers once its pipeline runs.
            startupProbe: probe(5, 24),
            livenessProbe: probe(15, 4),
            readinessProbe: probe(10, 3),
            securityContext: {
              allowPrivilegeEscalation: false,
              privileged: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            },
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          },
        ],
        volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
      },
    },
  };
  return {
    deployment: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name,
        namespace: cfg.namespace,
        labels: { ...labels, 'app.kubernetes.io/name': 'kgroot', 'app.kubernetes.io/component': role, 'app.kubernetes.io/managed-by': 'kgroot-control-plane' },
        annotations: { [SPEC_HASH_ANNOTATION]: specHash(spec) },
      },
      spec,
    },
    dropped,
  };
}

/** True when the Deployment carries `kg.managed-by=control-plane`: only those are ever changed or deleted. */
export function isOurDeployment(d: Pick<V1Deployment, 'metadata'>): boolean {
  return d.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY;
}

/** The worker state `/clients` shows: `running` only with an available replica. */
export function deploymentState(d: V1Deployment): string {
  if (d.metadata?.deletionTimestamp) return 'terminating';
  const want = d.spec?.replicas ?? 1;
  const st = d.status ?? {};
  if (want === 0) return 'stopped';
  if ((st.availableReplicas ?? 0) >= want) return 'running';
  if ((st.replicas ?? 0) > 0) return 'starting';
  return 'created';
}

export function deploymentWorker(d: V1Deployment): { client: string; role: string } | null {
  const l = d.metadata?.labels ?? {};
  if (!isOurDeployment(d) || !l[CLIENT_LABEL] || !l[ROLE_LABEL]) return null;
  return { client: l[CLIENT_LABEL], role: l[ROLE_LABEL] };
}
