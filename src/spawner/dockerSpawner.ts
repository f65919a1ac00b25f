import Docker from 'dockerode';
import { Logger } from '../log/logger';
import { DockerSpawnerConfig, workerEnv } from './spawnerConfig';
import {
  CLIENT_LABEL,
  isWorkerRole,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  ROLE_LABEL,
  Spawner,
  WorkerInfo,
  WorkerRole,
  workerLabels,
  workerName,
} from './spawner';

interface DockerError extends Error {
  statusCode?: number;
  json?: { message?: string; cause?: string };
}

function status(err: unknown): number | undefined {
  return (err as DockerError)?.statusCode;
}

function message(err: unknown): string {
  const e = err as DockerError;
  return e?.json?.message ?? e?.message ?? String(err);
}

/**
 * The engine says a container of that name exists: 409 from Docker; 500 with "already in use" from
 * podman's compat API before its fix (podman PR #28286), which Debian's podman still has.
 */
export function isNameConflict(err: unknown): boolean {
  return status(err) === 409 || (status(err) === 500 && /already in use/i.test(message(err)));
}

/** An error from the engine that says cgroup limits cannot be applied on this host. */
export function isLimitsUnsupported(err: unknown): boolean {
  return /cgroup|controller|memory\.|cpu\.|pids\.|swap|resource limit|not supported/i.test(message(err));
}

function startedAtOf(iso: string | undefined): number | null {
  if (!iso || iso.startsWith('0001-')) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

/**
 * Workers as containers through the Docker API (dockerode; works against podman's compatible
 * service). Containers are named `kg-{role}-{client}`, labelled `kg.managed-by=control-plane`,
 * `kg.client`, `kg.role`, restart unless-stopped, with memory/CPU/pids limits when the host's
 * cgroups allow them. Creating one that exists adopts it; a container without our label is
 * never touched (ensure and remove refuse it).
 */
/**
 * Podman's compat API answers a forced remove of a container that is stopping on its own (a worker
 * that exits when its control plane goes) with 500 "could not be stopped: … container state
 * improper: stopped": the kill came after the exit. Seen in CI; the container is gone or removable
 * a moment later.
 */
export function isStopRace(err: unknown): boolean {
  return status(err) === 500 && /container state improper|could not be stopped/.test(message(err));
}

/**
 * Removes a container (forced), again after `waitMs` when the engine raced its own stop
 * ({@link isStopRace}, up to `tries` times); a container already gone (404) is removed.
 */
export async function removeContainer(c: Pick<Docker.Container, 'remove'>, tries = 5, waitMs = 500): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await c.remove({ force: true });
      return;
    } catch (err) {
      if (status(err) === 404) return;
      if (!isStopRace(err) || i >= tries) throw err;
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}

export class DockerSpawner implements Spawner {
  readonly kind = 'docker' as const;
  private limitsOn: boolean;

  constructor(
    private readonly docker: Docker,
    private readonly config: DockerSpawnerConfig,
    private readonly log: Logger,
    private readonly parentEnv: NodeJS.ProcessEnv = process.env,
  ) {
    this.limitsOn = config.limits !== 'off';
    if (!this.limitsOn) log.info('worker resource limits are off (WORKER_LIMITS=off)');
  }

  static connect(config: DockerSpawnerConfig, log: Logger): DockerSpawner {
    return new DockerSpawner(new Docker({ socketPath: config.socketPath }), config, log);
  }

  /** Checks the API answers and the worker image exists, with an error that says what to do. */
  async check(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (err) {
      throw new Error(`the Docker API at ${this.config.socketPath} does not answer (${message(err)}); run .ci/podman-setup.sh or set DOCKER_HOST`);
    }
    try {
      await this.docker.getImage(this.config.image).inspect();
    } catch (err) {
      throw new Error(`worker image ${this.config.image} is missing (${message(err)}); build it with .ci/podman-setup.sh or set WORKER_IMAGE`);
    }
  }

  /**
   * Creates and starts the worker; when a container of that name exists (409), adopts it instead:
   * ours (labelled) and running → adopted as is; ours and stopped → started. Creating first saves the
   * engine a lookup per new worker while 60 of them are being created at once.
   */
  async ensure(client: string, role: WorkerRole, attempt = 0): Promise<WorkerInfo> {
    const name = workerName(role, client);
    let container: Docker.Container;
    try {
      container = await this.create(name, client, role);
    } catch (err) {
      if (isNameConflict(err)) return this.adopt(client, role, name, attempt);
      throw err;
    }
    await container.start().catch((err) => {
      if (status(err) !== 304) throw err;
    });
    // Started means running; an immediate exit shows in the next list.
    return { name, client, role, id: container.id, state: 'running', startedAt: Date.now(), adopted: false, restarts: 0 };
  }

  private async adopt(client: string, role: WorkerRole, name: string, attempt: number): Promise<WorkerInfo> {
    const found = await this.inspect(name);
    if (!found) {
      if (attempt >= 2) throw new Error(`container ${name} existed at create and was gone at inspect, ${attempt + 1} times`);
      return this.ensure(client, role, attempt + 1); // removed meanwhile: create it
    }
    this.assertOurs(found, name);
    if (found.State.Running) return this.toInfo(found, true);
    await this.docker.getContainer(found.Id).start().catch((err) => {
      if (status(err) !== 304) throw err; // 304: already started
    });
    const after = await this.inspect(name);
    return this.toInfo(after ?? found, false);
  }

  private async create(name: string, client: string, role: WorkerRole): Promise<Docker.Container> {
    // The worker exits within the stop grace even if a write hangs (runPipeline).
    const env = { ...workerEnv(client, role, this.config.env, this.parentEnv), SHUTDOWN_GRACE_SECONDS: String(this.config.stopGraceSeconds) };
    const options = (withLimits: boolean): Docker.ContainerCreateOptions => ({
      name,
      Image: this.config.image,
      Cmd: [role],
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: workerLabels(client, role),
      StopSignal: 'SIGTERM',
      StopTimeout: this.config.stopGraceSeconds,
      HostConfig: {
        NetworkMode: this.config.network,
        ...(this.config.cgroupParent ? { CgroupParent: this.config.cgroupParent } : {}),
        RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
        ...(withLimits ? { Memory: this.config.memoryBytes, NanoCpus: this.config.nanoCpus, CpuShares: this.config.cpuShares, PidsLimit: this.config.pidsLimit } : {}),
      },
    });
    if (!this.limitsOn) return this.docker.createContainer(options(false));
    try {
      return await this.docker.createContainer(options(true));
    } catch (err) {
      if (this.config.limits === 'auto' && !isNameConflict(err) && isLimitsUnsupported(err)) {
        this.limitsOn = false;
        this.log.warn({ err: message(err) }, 'the container engine refused resource limits; workers run without them (WORKER_LIMITS=auto)');
        return this.docker.createContainer(options(false));
      }
      throw err;
    }
  }

  async remove(client: string, role: WorkerRole): Promise<WorkerInfo | null> {
    const name = workerName(role, client);
    const found = await this.inspect(name);
    if (!found) return null;
    this.assertOurs(found, name);
    const info = this.toInfo(found, false);
    const c = this.docker.getContainer(found.Id);
    if (found.State.Running) {
      await c.stop({ t: this.config.stopGraceSeconds }).catch((err) => {
        if (status(err) !== 304 && status(err) !== 404) throw err;
      });
    }
    await removeContainer(c);
    return { ...info, state: 'removed' };
  }

  async list(): Promise<WorkerInfo[]> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [`${MANAGED_BY_LABEL}=${MANAGED_BY}`] } });
    const out: WorkerInfo[] = [];
    for (const c of containers) {
      const role = c.Labels[ROLE_LABEL];
      const client = c.Labels[CLIENT_LABEL];
      if (!isWorkerRole(role) || !client) continue;
      out.push({
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        client,
        role,
        id: c.Id,
        state: c.State,
        startedAt: null,
        adopted: false,
        restarts: 0,
      });
    }
    return out;
  }

  /** Containers outlive the control plane; the next start adopts them. */
  async close(): Promise<void> {}

  private async inspect(name: string): Promise<Docker.ContainerInspectInfo | null> {
    try {
      return await this.docker.getContainer(name).inspect();
    } catch (err) {
      if (status(err) === 404) return null;
      throw err;
    }
  }

  private assertOurs(c: Docker.ContainerInspectInfo, name: string): void {
    const labels = c.Config?.Labels ?? {};
    if (labels[MANAGED_BY_LABEL] !== MANAGED_BY) {
      throw new Error(`container ${name} exists without label ${MANAGED_BY_LABEL}=${MANAGED_BY}; it is not ours and is left untouched`);
    }
  }

  private toInfo(c: Docker.ContainerInspectInfo, adopted: boolean): WorkerInfo {
    const labels = c.Config?.Labels ?? {};
    return {
      name: c.Name.replace(/^\//, ''),
      client: labels[CLIENT_LABEL] ?? '',
      role: labels[ROLE_LABEL] as WorkerRole,
      id: c.Id,
      state: c.State.Status,
      startedAt: startedAtOf(c.State.StartedAt),
      adopted,
      restarts: c.RestartCount ?? 0,
    };
  }
}
