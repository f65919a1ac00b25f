import { ApiException, AppsV1Api, Informer, KubeConfig, makeInformer, ObjectCache, V1Deployment } from '@kubernetes/client-node';
import { Logger } from '../log/logger';
import { deploymentState, deploymentWorker, isOurDeployment, SPEC_HASH_ANNOTATION, workerDeployment } from './kubernetesManifest';
import { KubernetesSpawnerConfig } from './spawnerConfig';
import { isWorkerRole, MANAGED_BY, MANAGED_BY_LABEL, Spawner, WorkerInfo, WorkerRole, workerName } from './spawner';

function code(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

function message(err: unknown): string {
  if (err instanceof ApiException) {
    try {
      const body = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as { message?: string };
      if (body?.message) return `${err.code}: ${body.message}`;
    } catch {
      /* not JSON */
    }
    return `HTTP ${err.code}`;
  }
  return (err as Error)?.message ?? String(err);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** When the Deployment became available (its Available condition), else when it was created. */
function startedAt(d: V1Deployment): number | null {
  const available = d.status?.conditions?.find((c) => c.type === 'Available' && c.status === 'True');
  const t = available?.lastTransitionTime ?? d.metadata?.creationTimestamp;
  if (!t) return null;
  const ms = new Date(t).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Workers as Kubernetes Deployments (`kg-{role}-{client}`) in WORKER_NAMESPACE, one replica each,
 * labelled `kg.managed-by=control-plane`, `kg.client`, `kg.role` (manifest: kubernetesManifest.ts).
 * Creating one that exists adopts it when its spec hash matches, and replaces its spec when stale;
 * removal deletes it with foreground propagation (its ReplicaSets and Pods go first). A Deployment
 * without our label is never changed or deleted. The worker states come from a watch on the
 * labelled Deployments (an informer), so `running` means an available replica.
 */
export class KubernetesSpawner implements Spawner {
  readonly kind = 'kubernetes' as const;
  private readonly informer: Informer<V1Deployment> & ObjectCache<V1Deployment>;
  private closed = false;
  private warnedDropped = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kc: KubeConfig,
    private readonly config: KubernetesSpawnerConfig,
    private readonly log: Logger,
    private readonly parentEnv: NodeJS.ProcessEnv = process.env,
    private readonly api: AppsV1Api = kc.makeApiClient(AppsV1Api),
  ) {
    const ns = config.namespace;
    const selector = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
    this.informer = makeInformer(kc, `/apis/apps/v1/namespaces/${ns}/deployments`, () => this.api.listNamespacedDeployment({ namespace: ns, labelSelector: selector }), selector);
    this.informer.on('error', (err: unknown) => {
      if (this.closed) return;
      this.log.warn({ err: message(err), namespace: ns }, 'watch on worker Deployments ended; restarting it in 2 s');
      this.restartTimer = setTimeout(() => void this.informer.start().catch(() => undefined), 2000);
      this.restartTimer.unref();
    });
  }

  /** KUBECONFIG when set, else the in-cluster service account, else ~/.kube/config. */
  static load(config: KubernetesSpawnerConfig): KubeConfig {
    const kc = new KubeConfig();
    if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
    else kc.loadFromDefault();
    return kc;
  }

  /** Loads the configuration, checks the API answers and lets us list Deployments, and starts the watch. */
  static async connect(config: KubernetesSpawnerConfig, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<KubernetesSpawner> {
    const kc = KubernetesSpawner.load(config);
    const s = new KubernetesSpawner(kc, config, log, env);
    await s.check();
    await s.start();
    return s;
  }

  async check(): Promise<void> {
    const server = this.kc.getCurrentCluster()?.server ?? '(no cluster in the kubeconfig)';
    try {
      await this.api.listNamespacedDeployment({ namespace: this.config.namespace, limit: 1 });
    } catch (err) {
      const c = code(err);
      const fix =
        c === 401 || c === 403
          ? `grant the control plane's ServiceAccount the Role of charts/kgroot (deployments in ${this.config.namespace})`
          : c === 404
            ? `create the namespace ${this.config.namespace} or set WORKER_NAMESPACE`
            : 'set KUBECONFIG, or run the control plane inside the cluster';
      throw new Error(`the Kubernetes API at ${server} refused to list Deployments in ${this.config.namespace} (${message(err)}); ${fix}`);
    }
  }

  /** Starts the watch; resolves once the first list is in. */
  async start(): Promise<void> {
    await this.informer.start();
    this.log.info({ namespace: this.config.namespace, workers: this.informer.list(this.config.namespace).length }, 'watching worker Deployments');
  }

  async ensure(client: string, role: WorkerRole, attempt = 0): Promise<WorkerInfo> {
    const { deployment, dropped } = workerDeployment(client, role, this.config, this.parentEnv);
    if (dropped.length > 0 && !this.warnedDropped) {
      this.warnedDropped = true;
      this.log.warn({ dropped, secret: this.config.secretName ?? null }, 'credential variables are not written into worker Deployments; workers get them from WORKER_SECRET by reference');
    }
    try {
      const created = await this.api.createNamespacedDeployment({ namespace: this.config.namespace, body: deployment });
      return this.toInfo(created, false);
    } catch (err) {
      if (code(err) !== 409) throw new Error(`creating Deployment ${deployment.metadata!.name} failed: ${message(err)}`);
    }
    return this.adopt(client, role, deployment, attempt);
  }

  private async adopt(client: string, role: WorkerRole, want: V1Deployment, attempt: number): Promise<WorkerInfo> {
    const name = want.metadata!.name!;
    const found = await this.read(name);
    if (!found || found.metadata?.deletionTimestamp) {
      // Gone meanwhile, or still being deleted (its pods go first): wait a little and create it.
      if (attempt >= 20) throw new Error(`Deployment ${name} is still being deleted; try again later`);
      if (found) await sleep(500);
      return this.ensure(client, role, attempt + 1);
    }
    this.assertOurs(found, name);
    const wantHash = want.metadata!.annotations![SPEC_HASH_ANNOTATION];
    if (found.metadata?.annotations?.[SPEC_HASH_ANNOTATION] === wantHash) return this.toInfo(found, true);
    // Stale: written by another version or configuration. Replace spec, labels and our annotation.
    const body: V1Deployment = {
      ...want,
      metadata: {
        ...want.metadata,
        resourceVersion: found.metadata?.resourceVersion,
        labels: { ...found.metadata?.labels, ...want.metadata?.labels },
        annotations: { ...found.metadata?.annotations, ...want.metadata?.annotations },
      },
    };
    try {
      const replaced = await this.api.replaceNamespacedDeployment({ name, namespace: this.config.namespace, body });
      this.log.info({ client, worker: name, from: found.metadata?.annotations?.[SPEC_HASH_ANNOTATION] ?? null, to: wantHash }, 'stale worker Deployment replaced');
      return this.toInfo(replaced, true);
    } catch (err) {
      if (code(err) === 409 && attempt < 5) return this.adopt(client, role, want, attempt + 1); // changed meanwhile
      throw new Error(`replacing stale Deployment ${name} failed: ${message(err)}`);
    }
  }

  async remove(client: string, role: WorkerRole): Promise<WorkerInfo | null> {
    const name = workerName(role, client);
    const found = await this.read(name);
    if (!found) return null;
    this.assertOurs(found, name);
    try {
      await this.api.deleteNamespacedDeployment({
        name,
        namespace: this.config.namespace,
        // In the body: the API server ignores the query parameters when a body is sent.
        // Foreground: the Deployment goes only after its ReplicaSets and their Pods. The precondition:
        // exactly the one we looked at, never a Deployment created under that name since.
        body: { propagationPolicy: 'Foreground', preconditions: { uid: found.metadata?.uid } },
      });
    } catch (err) {
      if (code(err) !== 404) throw new Error(`deleting Deployment ${name} failed: ${message(err)}`);
    }
    return { ...this.toInfo(found, false), state: 'removed' };
  }

  /** The labelled Deployments as the watch last saw them. */
  async list(): Promise<WorkerInfo[]> {
    const out: WorkerInfo[] = [];
    for (const d of this.informer.list(this.config.namespace)) {
      const w = deploymentWorker(d);
      if (w && isWorkerRole(w.role)) out.push(this.toInfo(d, false));
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Deployments outlive the control plane; the next start adopts them. Only the watch stops. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  private async read(name: string): Promise<V1Deployment | null> {
    try {
      return await this.api.readNamespacedDeployment({ name, namespace: this.config.namespace });
    } catch (err) {
      if (code(err) === 404) return null;
      throw new Error(`reading Deployment ${name} failed: ${message(err)}`);
    }
  }

  private assertOurs(d: V1Deployment, name: string): void {
    if (!isOurDeployment(d)) {
      throw new Error(`Deployment ${this.config.namespace}/${name} exists without label ${MANAGED_BY_LABEL}=${MANAGED_BY}; it is not ours and is left untouched`);
    }
  }

  private toInfo(d: V1Deployment, adopted: boolean): WorkerInfo {
    const w = deploymentWorker(d);
    return {
      name: d.metadata?.name ?? '',
      client: w?.client ?? '',
      role: (w?.role ?? '') as WorkerRole,
      id: d.metadata?.uid ?? '',
      state: deploymentState(d),
      startedAt: startedAt(d),
      adopted,
      restarts: 0,
    };
  }
}
