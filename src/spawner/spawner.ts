/**
 * One interface for everything that runs per-client workers: child processes (the embedded
 * default), containers through the Docker API (dockerode; podman's compatible API here), and
 * Kubernetes Deployments. Names and labels follow DESIGN.md.
 */
export const WORKER_ROLES = ['event-normalizer', 'log-normalizer', 'graph-builder'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

export const MANAGED_BY_LABEL = 'kg.managed-by';
export const MANAGED_BY = 'control-plane';
export const CLIENT_LABEL = 'kg.client';
export const ROLE_LABEL = 'kg.role';

/** `kg-{role}-{client}`: safe as a container name because client ids are validated at the edge. */
export function workerName(role: WorkerRole, client: string): string {
  return `kg-${role}-${client}`;
}

export function workerLabels(client: string, role: WorkerRole): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY, [CLIENT_LABEL]: client, [ROLE_LABEL]: role };
}

export function isWorkerRole(x: unknown): x is WorkerRole {
  return typeof x === 'string' && (WORKER_ROLES as readonly string[]).includes(x);
}

export interface WorkerInfo {
  name: string;
  client: string;
  role: WorkerRole;
  /** Container id or process id. */
  id: string;
  /** 'running', 'restarting' (process waiting for its backoff), 'exited', 'created', ... */
  state: string;
  /** When the current container/process started, ms since the epoch (null if unknown). */
  startedAt: number | null;
  /** True when ensure() found it already running and took it over. */
  adopted: boolean;
  /** Restarts after unexpected exits, as far as this spawner knows. */
  restarts: number;
}

export interface Spawner {
  readonly kind: 'process' | 'docker' | 'kubernetes';
  /** Makes the worker run: creates it, starts a stopped one, or adopts a running one. Idempotent. */
  ensure(client: string, role: WorkerRole): Promise<WorkerInfo>;
  /** Stops (SIGTERM / stop with a grace period, then kill) and removes it; null if there was none. */
  remove(client: string, role: WorkerRole): Promise<WorkerInfo | null>;
  /** The labelled workers that exist now (running or not). */
  list(): Promise<WorkerInfo[]>;
  /**
   * Called when the control plane exits. The process spawner stops its children (no orphans);
   * containers keep running, to be adopted by the next start.
   */
  close(): Promise<void>;
}

/** The roles a pool serves for every client with WORKER_MODE=pooled (src/tenancy/workerMode.ts): all three, so the control plane spawns no per-client worker. */
export const POOLED_ROLES: readonly WorkerRole[] = ['event-normalizer', 'log-normalizer', 'graph-builder'];

/** The workers of a client (the three roles, or those `roles` name), in parallel. */
export async function ensureAll(spawner: Spawner, client: string, roles: readonly WorkerRole[] = WORKER_ROLES): Promise<WorkerInfo[]> {
  return Promise.all(roles.map((role) => spawner.ensure(client, role)));
}

export async function removeAll(spawner: Spawner, client: string): Promise<WorkerInfo[]> {
  const removed = await Promise.all(WORKER_ROLES.map((role) => spawner.remove(client, role)));
  return removed.filter((w): w is WorkerInfo => w !== null);
}
