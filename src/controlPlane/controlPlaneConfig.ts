import { distinctPorts, Env, readString } from '../config/env';
import { ApiConfig, loadApiConfig } from '../http/api/apiConfig';
import { loadMetricsConfig, MetricsServerConfig } from '../metrics/metricsServer';
import { loadNeo4jConfig, Neo4jConfig } from '../neo4j/neo4jConfig';
import { loadSpawnerConfig, SpawnerConfig } from '../spawner/spawnerConfig';
import { ClientAuthSettings, loadClientAuthSettings } from '../tenancy/clientAuth';
import { loadTenancySettings, TenancySettings } from '../tenancy/tenancyConfig';
import { loadWorkerMode, WorkerMode } from '../tenancy/workerMode';
import { LifecycleConfig, loadLifecycleConfig } from '../../pipelines/lifecycle';

/** Everything the control plane reads from its environment, loaded and validated at start. */
export interface ControlPlaneConfig {
  lifecycle: LifecycleConfig;
  /** The HTTP server of GET /clients, the API and the UI: CONTROL_PLANE_HOST / CONTROL_PLANE_PORT, API_* (src/http/api/apiConfig). */
  api: ApiConfig;
  /** /metrics and /healthz (METRICS_PORT, METRICS_HOST), served by the runner. */
  metrics: MetricsServerConfig;
  /** The graph the API reads (NEO4J_*, GRAPH_ISOLATION). */
  neo4j: Neo4jConfig;
  spawner: SpawnerConfig;
  tenancy: TenancySettings;
  clientAuth: ClientAuthSettings;
  /** WORKER_MODE: per-client (default) or pooled (needs TENANCY=routed; src/tenancy/workerMode.ts). */
  workerMode: WorkerMode;
  /** Appended to the consumer groups, so test runs never share offsets (CONTROL_PLANE_GROUP_SUFFIX). */
  groupSuffix: string;
}

export function loadControlPlaneConfig(env: Env): ControlPlaneConfig {
  const tenancy = loadTenancySettings(env);
  return validateControlPlaneConfig({
    lifecycle: loadLifecycleConfig(env),
    api: loadApiConfig(env),
    metrics: loadMetricsConfig(env),
    neo4j: loadNeo4jConfig(env),
    spawner: loadSpawnerConfig(env),
    tenancy,
    clientAuth: loadClientAuthSettings(env, tenancy.mode),
    workerMode: loadWorkerMode(env, tenancy.mode),
    groupSuffix: readString(env, 'CONTROL_PLANE_GROUP_SUFFIX', ''),
  });
}

/** The cross-field checks of the control plane (each component's own are in its loader): its two servers cannot share a port. */
export function validateControlPlaneConfig(c: ControlPlaneConfig): ControlPlaneConfig {
  distinctPorts('CONTROL_PLANE_PORT', c.api.port, 'METRICS_PORT', c.metrics.port);
  return c;
}
