import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { readInt } from '../config/env';
import { ensureTopics } from '../kafka/admin';
import { loadKafkaConnection } from '../kafka/kafkaConfig';
import { componentLogger } from '../log/logger';
import { loadTenancySettings } from '../tenancy/tenancyConfig';
import { loadWorkerMode } from '../tenancy/workerMode';
import { stackDown, stackUp } from '../stack/localStack';
import { boltUriOf, kafkaBrokersOf, loadStackConfig } from '../stack/stackConfig';

export const description = 'run the whole server on this machine: local stack (if KAFKA_BROKERS/NEO4J_URI are unset), topics, control plane, topology builder, webhook receiver';

const CLI = join(__dirname, '..', 'cli.js');

interface Role {
  role: string;
  metricsPort: number;
}

/**
 * The embedded default. Starts what is missing, runs the three shared components as child
 * processes (the control plane spawns per-client workers as processes too), prints where to
 * look, and on Ctrl-C / SIGTERM stops them, then the stack if it started it.
 */
export async function main(): Promise<number> {
  const log = componentLogger('start');
  const env = { ...process.env };
  // Checked before anything starts: WORKER_MODE=pooled needs TENANCY=routed.
  const tenancy = loadTenancySettings(env).mode;
  const workerMode = loadWorkerMode(env, tenancy);
  const stack = loadStackConfig(env);
  const ownStack = !env.KAFKA_BROKERS && !env.NEO4J_URI;
  let startedServices: Awaited<ReturnType<typeof stackUp>> = [];
  if (ownStack) {
    log.info('KAFKA_BROKERS and NEO4J_URI are unset: using the local stack');
    startedServices = await stackUp(stack, log);
    env.KAFKA_BROKERS = kafkaBrokersOf(stack);
    env.NEO4J_URI = boltUriOf(stack);
  } else if (!env.KAFKA_BROKERS || !env.NEO4J_URI) {
    process.stderr.write('kgroot start: set both KAFKA_BROKERS and NEO4J_URI to use an existing Kafka and Neo4j, or neither for the local stack\n');
    return 2;
  }
  await ensureTopics(loadKafkaConnection(env, 'kgroot-start'), log);

  const basePort = readInt(env, 'METRICS_BASE_PORT', 9464, { min: 1, max: 65000 });
  const controlPlanePort = readInt(env, 'CONTROL_PLANE_PORT', 7070, { min: 1, max: 65535 });
  const webhookPort = readInt(env, 'WEBHOOK_PORT', 9095, { min: 1, max: 65535 });
  const roles: Role[] = [
    { role: 'control-plane', metricsPort: basePort },
    { role: 'topology-builder', metricsPort: basePort + 1 },
    { role: 'webhook-receiver', metricsPort: basePort + 2 },
    // TENANCY=routed: the router reads the shared raw topics once for every client.
    ...(tenancy === 'routed' ? [{ role: 'router', metricsPort: basePort + 3 }] : []),
    // WORKER_MODE=pooled: one process per worker role for every client (the control plane spawns no per-client worker).
    ...(workerMode === 'pooled'
      ? [
          { role: 'event-normalizer-pool', metricsPort: basePort + 4 },
          { role: 'log-normalizer-pool', metricsPort: basePort + 5 },
          { role: 'graph-builder-pool', metricsPort: basePort + 6 },
        ]
      : []),
  ];
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const exited = new Map<string, Promise<number | null>>();
  for (const r of roles) {
    const child = spawn(process.execPath, [CLI, r.role], {
      env: { SPAWNER: 'process', CONTROL_PLANE_PORT: String(controlPlanePort), WEBHOOK_PORT: String(webhookPort), ...env, METRICS_PORT: String(r.metricsPort) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.set(r.role, child);
    exited.set(r.role, new Promise((resolve) => child.on('exit', (code) => resolve(code))));
    child.on('exit', (code, signal) => {
      if (!stopping) log.error({ role: r.role, code, signal }, 'component exited; stopping everything');
      if (!stopping) void shutdown('component exited');
    });
  }

  process.stdout.write(
    [
      '',
      'kgroot is running.',
      `  Kafka            ${env.KAFKA_BROKERS}`,
      `  Neo4j (Bolt)     ${env.NEO4J_URI}   e.g. cypher: MATCH (e:Event {client: 'acme'})-[c:POTENTIAL_CAUSE]->(f) RETURN e, c, f`,
      `  Webhook          http://127.0.0.1:${webhookPort}/webhooks/alertmanager/{client}`,
      `  Web UI           http://127.0.0.1:${controlPlanePort}/   (API: http://127.0.0.1:${controlPlanePort}/api/v1/openapi.json)`,
      `  Clients          http://127.0.0.1:${controlPlanePort}/clients   or: node dist/src/cli.js status`,
      `  Metrics          http://127.0.0.1:${basePort}/metrics (control plane), :${basePort + 1} (topology), :${basePort + 2} (webhook)${roles.length > 3 ? `, :${basePort + 3} (router)` : ''}${roles.length > 4 ? `, :${basePort + 4}/:${basePort + 5}/:${basePort + 6} (event, log normalizer and graph builder pools)` : ''}`,
      '  Try a client     node dist/src/cli.js simulate --client demo --scenario oom-kill',
      '  Stop             Ctrl-C',
      '',
    ].join('\n'),
  );

  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, 'stopping components');
    for (const child of children.values()) if (child.exitCode === null) child.kill('SIGTERM');
    const grace = setTimeout(() => {
      for (const child of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
    }, 45_000);
    const codes = await Promise.all(exited.values());
    clearTimeout(grace);
    // Only what this run started: a stack that was already running stays up.
    if (startedServices.length > 0) await stackDown(stack, log, startedServices);
    log.info({ codes }, 'everything stopped');
    resolveDone(why === 'component exited' ? 1 : 0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  return done;
}
