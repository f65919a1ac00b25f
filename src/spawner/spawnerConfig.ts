import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, Env, readEnum, readInt, readList, readNumber, readOptional, readString } from '../config/env';
import { WorkerRole } from './spawner';

export interface WorkerEnvConfig {
  /** Prefixes of control-plane variables handed to every worker (WORKER_ENV_PREFIXES). */
  passthroughPrefixes: string[];
  /** Extra NAME=VALUE pairs for every worker (WORKER_ENV). */
  extra: Record<string, string>;
  /** NEO4J_DATABASE of the graph builder; `{client}` is replaced (WORKER_NEO4J_DATABASE, default `{client}`). */
  neo4jDatabase: string;
}

export interface ProcessSpawnerConfig {
  /** The command a worker runs, role appended (WORKER_COMMAND; default node <package>/dist/src/cli.js). */
  command: string[] | undefined;
  /** Grace between SIGTERM and SIGKILL, ms (WORKER_STOP_GRACE_SECONDS, 10). */
  stopGraceMs: number;
  /** First restart delay after an unexpected exit, ms; doubles up to restartMaxMs (WORKER_RESTART_BACKOFF_MS, 500). */
  restartBaseMs: number;
  restartMaxMs: number;
  /** Worker logs go to <stateDir>/logs/<name>.log (CONTROL_PLANE_STATE_DIR). */
  stateDir: string;
  /**
   * Scheduling niceness of worker processes (WORKER_NICE, 10; 0 = same as the control plane).
   * A burst of registrations starts dozens of Node processes at once; below the control plane's
   * priority they cannot starve its heartbeat intake, its spawns or the embedded broker.
   */
  nice: number;
  env: WorkerEnvConfig;
}

export interface DockerSpawnerConfig {
  /** WORKER_IMAGE (default localhost/kgroot:dev, built by .ci/podman-setup.sh). */
  image: string;
  /** DOCKER_NETWORK (default host: workers reach Kafka and Neo4j on loopback). */
  network: string;
  /** Docker socket (DOCKER_HOST=unix://..., else /run/podman/podman.sock or /var/run/docker.sock). */
  socketPath: string;
  /** 'on' fails if limits cannot be applied; 'auto' drops them (logged) when cgroups refuse; 'off'. WORKER_LIMITS. */
  limits: 'on' | 'auto' | 'off';
  memoryBytes: number;
  nanoCpus: number;
  /** Relative CPU weight of each worker container; low, so that where the engine keeps conmon and runc in the workers' parent cgroup (its default) booting workers do not starve them. */
  cpuShares: number;
  /**
   * Parent cgroup of the worker containers (WORKER_CGROUP_PARENT; empty: the engine's default).
   * `.ci/podman-setup.sh` makes `/kgroot_workers` with a low CPU weight for all workers together, and
   * keeps conmon out of it, so 60 booting workers cannot take the CPU the engine needs for the next starts.
   */
  cgroupParent: string;
  pidsLimit: number;
  stopGraceSeconds: number;
  env: WorkerEnvConfig;
}

export interface KubernetesSpawnerConfig {
  /** WORKER_NAMESPACE: where the worker Deployments live (default: the pod's own namespace in a cluster, else `default`). */
  namespace: string;
  /** KUBECONFIG (a file); unset: the in-cluster service account, else ~/.kube/config. */
  kubeconfig: string | undefined;
  /** WORKER_IMAGE, as for the Docker spawner. */
  image: string;
  /** WORKER_IMAGE_PULL_POLICY: IfNotPresent (default), Always or Never. */
  imagePullPolicy: 'IfNotPresent' | 'Always' | 'Never';
  /** WORKER_SECRET: a Secret in WORKER_NAMESPACE whose keys (NEO4J_USER, NEO4J_PASSWORD, Kafka credentials) every worker gets as env by reference; empty: none. */
  secretName: string | undefined;
  /** WORKER_SERVICE_ACCOUNT: the workers' ServiceAccount (default: the namespace's `default`); its token is never mounted. */
  serviceAccount: string | undefined;
  /** Requests and limits: WORKER_CPU_REQUEST (0.1), WORKER_MEMORY_REQUEST_MB (256), WORKER_CPUS (1), WORKER_MEMORY_MB (512). */
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  /** The port the worker serves /healthz and /metrics on in its pod (METRICS_PORT of the worker, 9464). */
  metricsPort: number;
  /** terminationGracePeriodSeconds (WORKER_STOP_GRACE_SECONDS, 10). */
  stopGraceSeconds: number;
  env: WorkerEnvConfig;
}

export interface SpawnerConfig {
  /** SPAWNER=docker|process|kubernetes|auto (auto: docker when WORKER_IMAGE is set and a Docker API answers). */
  kind: 'docker' | 'process' | 'kubernetes' | 'auto';
  process: ProcessSpawnerConfig;
  docker: DockerSpawnerConfig;
  kubernetes: KubernetesSpawnerConfig;
}

const DEFAULT_PREFIXES = ['KAFKA_', 'NEO4J_', 'GRAPH_', 'CAUSAL_', 'NORMALIZER_', 'LOG_', 'TOPIC_', 'TENANCY', 'DEFAULT_CLIENT_ID', 'ENRICH_', 'NOTIFY_', 'PUBLIC_URL'];

function socketFromEnv(env: Env): string {
  const host = readOptional(env, 'DOCKER_HOST');
  if (host !== undefined) {
    if (!host.startsWith('unix://')) throw new ConfigError('DOCKER_HOST', `only unix sockets are supported, got ${JSON.stringify(host)}`, 'Set DOCKER_HOST=unix:///run/podman/podman.sock (or unset it)');
    return host.slice('unix://'.length);
  }
  return readString(env, 'DOCKER_SOCKET', '/run/podman/podman.sock');
}

/** A cgroup path (`/kgroot_workers`) or a systemd slice (`kgroot-workers.slice`); nothing that could escape into options. */
function readCgroupParent(env: Env): string {
  const v = readOptional(env, 'WORKER_CGROUP_PARENT') ?? '';
  const segments = v.replace(/^\//, '').split('/');
  if (v !== '' && !segments.every((s) => /^[A-Za-z0-9_.-]+$/.test(s) && s !== '.' && s !== '..')) {
    throw new ConfigError('WORKER_CGROUP_PARENT', `must be a cgroup path like /kgroot_workers or a slice like kgroot-workers.slice, got ${JSON.stringify(v)}`, 'Set it to such a name or unset it for the engine\'s default');
  }
  return v;
}

const IN_CLUSTER_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** A DNS-1123 label (namespaces) or subdomain (Secret and ServiceAccount names). */
function readK8sName(env: Env, name: string, kind: 'label' | 'subdomain'): string | undefined {
  const v = readOptional(env, name);
  if (v === undefined) return undefined;
  const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  const ok = kind === 'label' ? v.length <= 63 && label.test(v) : v.length <= 253 && v.split('.').every((p) => label.test(p));
  if (!ok) throw new ConfigError(name, `${JSON.stringify(v)} is not a valid Kubernetes name (lower-case letters, digits and '-'${kind === 'subdomain' ? ", '.'" : ''}; at most ${kind === 'label' ? 63 : 253} characters)`, `Set ${name} to the name of an existing object, e.g. kgroot`);
  return v;
}

/** Cores as a Kubernetes quantity in millicores (`100m`), memory in MiB (`256Mi`). */
const cpuQuantity = (cores: number) => `${Math.max(1, Math.round(cores * 1000))}m`;
const memQuantity = (mb: number) => `${mb}Mi`;

export function loadKubernetesConfig(env: Env, workerEnvConfig: WorkerEnvConfig, selected = true, defaultNamespace: () => string | undefined = () => (existsSync(IN_CLUSTER_NAMESPACE) ? readFileSync(IN_CLUSTER_NAMESPACE, 'utf8').trim() : undefined)): KubernetesSpawnerConfig {
  const limitCpu = readNumber(env, 'WORKER_CPUS', 1, { min: 0.01 });
  const limitMb = readInt(env, 'WORKER_MEMORY_MB', 512, { min: 16 });
  const requestCpu = readNumber(env, 'WORKER_CPU_REQUEST', Math.min(0.1, limitCpu), { min: 0.001 });
  const requestMb = readInt(env, 'WORKER_MEMORY_REQUEST_MB', Math.min(256, limitMb), { min: 16 });
  if (requestCpu > limitCpu) throw new ConfigError('WORKER_CPU_REQUEST', `${requestCpu} cores is above the limit WORKER_CPUS=${limitCpu}`, 'Lower WORKER_CPU_REQUEST or raise WORKER_CPUS');
  if (requestMb > limitMb) throw new ConfigError('WORKER_MEMORY_REQUEST_MB', `${requestMb} MiB is above the limit WORKER_MEMORY_MB=${limitMb}`, 'Lower WORKER_MEMORY_REQUEST_MB or raise WORKER_MEMORY_MB');
  const kubeconfig = readOptional(env, 'KUBECONFIG');
  if (selected && kubeconfig !== undefined && !existsSync(kubeconfig)) throw new ConfigError('KUBECONFIG', `file ${kubeconfig} does not exist`, 'Point KUBECONFIG at a kubeconfig file, or unset it inside a cluster (the service account is used)');
  return {
    namespace: readK8sName(env, 'WORKER_NAMESPACE', 'label') ?? defaultNamespace() ?? 'default',
    kubeconfig,
    image: readString(env, 'WORKER_IMAGE', 'localhost/kgroot:dev'),
    imagePullPolicy: readEnum(env, 'WORKER_IMAGE_PULL_POLICY', ['IfNotPresent', 'Always', 'Never'] as const, 'IfNotPresent'),
    secretName: readK8sName(env, 'WORKER_SECRET', 'subdomain'),
    serviceAccount: readK8sName(env, 'WORKER_SERVICE_ACCOUNT', 'subdomain'),
    resources: {
      requests: { cpu: cpuQuantity(requestCpu), memory: memQuantity(requestMb) },
      limits: { cpu: cpuQuantity(limitCpu), memory: memQuantity(limitMb) },
    },
    metricsPort: readInt(env, 'WORKER_METRICS_PORT', 9464, { min: 1, max: 65535 }),
    stopGraceSeconds: readInt(env, 'WORKER_STOP_GRACE_SECONDS', 10, { min: 0 }),
    env: workerEnvConfig,
  };
}

export function loadSpawnerConfig(env: Env): SpawnerConfig {
  const extra: Record<string, string> = {};
  for (const pair of readList(env, 'WORKER_ENV')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError('WORKER_ENV', `entry ${JSON.stringify(pair)} is not NAME=VALUE`, 'Use comma-separated NAME=VALUE pairs');
    extra[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const workerEnv: WorkerEnvConfig = {
    passthroughPrefixes: readList(env, 'WORKER_ENV_PREFIXES', DEFAULT_PREFIXES),
    extra,
    neo4jDatabase: readString(env, 'WORKER_NEO4J_DATABASE', '{client}'),
  };
  const command = readOptional(env, 'WORKER_COMMAND');
  const suffix = readString(env, 'CONTROL_PLANE_GROUP_SUFFIX', '');
  const kind = readEnum(env, 'SPAWNER', ['docker', 'process', 'kubernetes', 'auto'] as const, 'auto');
  return {
    kind,
    process: {
      command: command === undefined ? undefined : command.split(/\s+/).filter((s) => s.length > 0),
      stopGraceMs: readNumber(env, 'WORKER_STOP_GRACE_SECONDS', 10, { min: 0 }) * 1000,
      restartBaseMs: readInt(env, 'WORKER_RESTART_BACKOFF_MS', 500, { min: 10 }),
      restartMaxMs: readInt(env, 'WORKER_RESTART_BACKOFF_MAX_MS', 30_000, { min: 10 }),
      stateDir: readString(env, 'CONTROL_PLANE_STATE_DIR', join(homedir(), '.kgroot', `control-plane${suffix}`)),
      nice: readInt(env, 'WORKER_NICE', 10, { min: 0, max: 19 }),
      env: workerEnv,
    },
    docker: {
      image: readString(env, 'WORKER_IMAGE', 'localhost/kgroot:dev'),
      network: readString(env, 'DOCKER_NETWORK', 'host'),
      socketPath: socketFromEnv(env),
      limits: readEnum(env, 'WORKER_LIMITS', ['on', 'auto', 'off'] as const, 'auto'),
      memoryBytes: readInt(env, 'WORKER_MEMORY_MB', 512, { min: 16 }) * 1024 * 1024,
      nanoCpus: Math.round(readNumber(env, 'WORKER_CPUS', 1, { min: 0.01 }) * 1e9),
      cpuShares: readInt(env, 'WORKER_CPU_SHARES', 2, { min: 2, max: 262_144 }),
      pidsLimit: readInt(env, 'WORKER_PIDS_LIMIT', 512, { min: 16 }),
      cgroupParent: readCgroupParent(env),
      stopGraceSeconds: readInt(env, 'WORKER_STOP_GRACE_SECONDS', 10, { min: 0 }),
      env: workerEnv,
    },
    kubernetes: loadKubernetesConfig(env, workerEnv, kind === 'kubernetes'),
  };
}

/**
 * The environment of one worker: CLIENT_ID, NEO4J_DATABASE (graph builder), the control plane's
 * KAFKA_* / NEO4J_* / ... variables, and WORKER_ENV. Labels ride along as KG_* for processes.
 */
export function workerEnv(client: string, role: WorkerRole, cfg: WorkerEnvConfig, parent: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parent)) {
    if (v !== undefined && cfg.passthroughPrefixes.some((p) => k.startsWith(p))) out[k] = v;
  }
  Object.assign(out, cfg.extra);
  out.CLIENT_ID = client;
  if (role === 'graph-builder') out.NEO4J_DATABASE = cfg.neo4jDatabase.split('{client}').join(client);
  else delete out.NEO4J_DATABASE;
  return out;
}
