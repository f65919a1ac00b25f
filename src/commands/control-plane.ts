import { clientsByState, recordsTotal, spawnsTotal } from '../metrics/metrics';
import Kafka from 'node-rdkafka';
import { defer, from, map, mergeMap, Observable, share, tap } from 'rxjs';
import { Env, readInt, readString } from '../config/env';
import { deleteTopic, ensureTopics } from '../kafka/admin';
import { loadTenancySettings, TenancySettings } from '../tenancy/tenancyConfig';
import { tenantTopicSpecs } from '../tenancy/tenantTopics';
import { loadClientAuthSettings } from '../tenancy/clientAuth';
import { ClientAuthAdmin, kafkaToolsAuthAdmin } from '../tenancy/kafkaAuthAdmin';
import { KafkaConnection, librdkafkaBase, loadKafkaConnection } from '../kafka/kafkaConfig';
import { KafkaSource } from '../kafka/kafkaSource';
import { KafkaSink } from '../kafka/kafkaSink';
import { deadLetter } from '../kafka/deadLetter';
import { KafkaRecord } from '../kafka/record';
import { TOPICS } from '../kafka/topics';
import { componentLogger, Logger } from '../log/logger';
import { answerFor } from '../delivery/answerSource';
import { cachedWorkerList, clientsView, WorkerList } from '../http/clientsView';
import { loadApiConfig } from '../http/api/apiConfig';
import { startHttpServer } from '../http/server';
import { GraphStore } from '../neo4j/graphStore';
import { loadNeo4jConfig } from '../neo4j/neo4jConfig';
import { runPipeline } from '../runner/runPipeline';
import { createSpawner } from '../spawner/createSpawner';
import { ensureAll, removeAll, Spawner, WorkerInfo } from '../spawner/spawner';
import { loadSpawnerConfig } from '../spawner/spawnerConfig';
import {
  LifecycleConfig,
  LifecycleEffect,
  LifecycleEvent,
  lifecycleEffects$,
  lifecycleSteps$,
  LifecycleState,
  loadLifecycleConfig,
  WorkerRef,
} from '../../pipelines/lifecycle';

export const description = 'watch cluster.registry + cluster.heartbeat and keep three workers per live client (GET /clients)';

const COMPONENT = 'control-plane';

export interface ControlPlaneConfig {
  lifecycle: LifecycleConfig;
  /** HTTP port of GET /clients (CONTROL_PLANE_PORT, 7070; 0 = any free port). */
  port: number;
  /** Host the HTTP server binds (CONTROL_PLANE_HOST, 127.0.0.1). */
  host: string;
  /** Appended to the consumer groups, so test runs never share offsets (CONTROL_PLANE_GROUP_SUFFIX). */
  groupSuffix: string;
}

export function loadControlPlaneConfig(env: Env): ControlPlaneConfig {
  return {
    lifecycle: loadLifecycleConfig(env),
    port: readInt(env, 'CONTROL_PLANE_PORT', 7070, { min: 0, max: 65535 }),
    host: readString(env, 'CONTROL_PLANE_HOST', '127.0.0.1'),
    groupSuffix: readString(env, 'CONTROL_PLANE_GROUP_SUFFIX', ''),
  };
}

/**
 * Rewinds the registry group to the earliest offsets (the control plane rebuilds its state from
 * the whole registry at every start) and returns the end offsets seen now: what lies below them
 * is the replay.
 */
async function rewindRegistry(
  connection: KafkaConnection,
  groupId: string,
  topic: string,
  log: Logger,
): Promise<{ replayEnd: Record<number, number>; processedBefore: Record<number, number> }> {
  const consumer = new Kafka.KafkaConsumer({ ...librdkafkaBase(connection), 'group.id': groupId, 'enable.auto.commit': false }, {});
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const md = await new Promise<Kafka.Metadata>((resolve, reject) => consumer.getMetadata({ topic, timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))));
    const partitions = md.topics.find((t) => t.name === topic)?.partitions.map((p) => p.id) ?? [];
    const end: Record<number, number> = {};
    const rewind: Kafka.TopicPartitionOffset[] = [];
    // Where the previous run had got to: invalid records below it were dead-lettered by that run.
    const processedBefore: Record<number, number> = {};
    const committed = await new Promise<Kafka.TopicPartitionOffset[]>((resolve) =>
      consumer.committed(partitions.map((partition) => ({ topic, partition })), 10_000, (err, tps) => {
        if (err) log.warn({ group: groupId, err: err.message }, 'could not read the registry group offsets; invalid records of the replay are dead-lettered again');
        resolve(err ? [] : tps);
      }),
    );
    for (const tp of committed) if (typeof tp.offset === 'number' && tp.offset > 0) processedBefore[tp.partition] = tp.offset;
    for (const p of partitions) {
      const w = await new Promise<Kafka.WatermarkOffsets>((resolve, reject) =>
        consumer.queryWatermarkOffsets(topic, p, 10_000, (err, o) => (err ? reject(err) : resolve(o))),
      );
      if (w.highOffset > w.lowOffset) end[p] = w.highOffset;
      rewind.push({ topic, partition: p, offset: w.lowOffset });
    }
    // A control plane killed with -9 is still a member of the group until its session times out:
    // the broker refuses a commit from outside the group ("Unknown member") meanwhile. Without the
    // rewind the replay would start past every registration, and no live client would get its
    // workers back; so retry until the dead member is gone (the session timeout is 10 s).
    for (let attempt = 1; rewind.length > 0; attempt++) {
      try {
        consumer.commitSync(rewind);
        break;
      } catch (err) {
        if (attempt >= 45) {
          log.warn({ group: groupId, err: (err as Error).message, attempts: attempt }, 'could not rewind the registry group; the replay starts at its committed offsets');
          break;
        }
        if (attempt === 1) log.info({ group: groupId, err: (err as Error).message }, 'registry group still held by a previous member; retrying the rewind');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    log.info({ group: groupId, replayEnd: end, processedBefore }, 'registry rewound for the start-up replay');
    return { replayEnd: end, processedBefore };
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

function logEvent(e: LifecycleEvent, config: LifecycleConfig): void {
  const log = componentLogger(COMPONENT, e.client ?? undefined);
  switch (e.kind) {
    case 'client/registered':
      log.info({ event: e.kind, info: e.info, resumed: e.resumed }, e.resumed ? 'client known from the registry is alive' : 'client registered');
      break;
    case 'client/heartbeat':
      log.debug({ event: e.kind, source: e.source }, 'heartbeat');
      break;
    case 'client/stale':
      log.warn({ event: e.kind, silentForS: e.silentForMs / 1000, thresholdS: config.staleAfterMs / 1000 }, 'client stale: no heartbeat');
      break;
    case 'client/removed':
      log.info({ event: e.kind, reason: e.reason }, 'client removed');
      break;
    case 'client/returned':
      log.info({ event: e.kind, awayS: e.awayMs / 1000 }, 'client returned');
      break;
    case 'client/rejected':
      log.warn({ event: e.kind, source: e.source, reason: e.reason }, 'rejected');
      break;
  }
}

function logEffect(e: LifecycleEffect): void {
  const log = componentLogger(COMPONENT, e.client);
  if (e.kind === 'workers/failed') spawnsTotal.labels('all', e.action, 'error').inc();
  else for (const w of e.workers) spawnsTotal.labels(w.role, e.kind === 'workers/spawned' ? 'spawn' : 'remove', 'ok').inc();
  if (e.kind === 'workers/failed') log.error({ effect: e.kind, action: e.action, cause: e.cause, reason: e.reason }, `workers ${e.action} failed`);
  else if (e.kind === 'workers/spawned') log.info({ effect: e.kind, ms: e.ms, workers: e.workers.map((w) => w.name) }, 'workers running');
  else log.info({ effect: e.kind, ms: e.ms, workers: e.workers.map((w) => w.name) }, 'workers removed');
}

function toRef(w: WorkerInfo): WorkerRef {
  return { name: w.name, role: w.role, id: w.id, adopted: w.adopted };
}

/** The spawner as the effects stage's cold dependencies: each worker logged and noted in the /clients view. */
function spawnerDeps(spawner: Spawner, workers: WorkerList, topics: ReturnType<typeof tenantTopics>) {
  const act = (client: string, starting: string, work: () => Promise<WorkerInfo[]>, done: (w: WorkerInfo) => string): Observable<WorkerRef[]> =>
    defer(() => {
      const log = componentLogger(COMPONENT, client);
      log.info({ spawner: spawner.kind }, starting);
      return from(work()).pipe(
        tap((ws) =>
          ws.forEach((w) => {
            workers.note(w);
            log.info({ worker: w.name, role: w.role, id: w.id.slice(0, 12), adopted: w.adopted }, done(w));
          }),
        ),
        map((ws) => ws.map(toRef)),
      );
    });
  return {
    ensureWorkers: (client: string) =>
      act(client, 'spawning workers', async () => {
        await topics.provision(client);
        return ensureAll(spawner, client);
      }, (w) => (w.adopted ? 'worker adopted' : 'worker spawned')),
    removeWorkers: (client: string, cause: LifecycleEvent) =>
      act(client, 'cleaning up workers', async () => {
        const removed = await removeAll(spawner, client);
        // Only a deregistration (tombstone) may drop the client's topics; a silent client keeps them.
        if (cause.kind === 'client/removed' && cause.reason.startsWith('deregistered')) await topics.release(client);
        return removed;
      }, () => 'worker removed'),
  };
}

/**
 * A client's own topics (TENANCY=routed): created before its workers start, so the router can route
 * to them and the workers find them; deleted at deregistration when TENANT_TOPICS_ON_REMOVE=delete.
 * In shared mode both do nothing.
 */
function tenantTopics(connection: KafkaConnection, tenancy: TenancySettings, auth?: ClientAuthAdmin) {
  return {
    provision: async (client: string): Promise<void> => {
      if (tenancy.mode !== 'routed') return;
      const result = await ensureTopics(connection, componentLogger(COMPONENT, client), tenantTopicSpecs(client, tenancy));
      const created = Object.keys(result).filter((t) => result[t] === 'created');
      if (created.length > 0) componentLogger(COMPONENT, client).info({ topics: created }, 'client topics created');
      // KAFKA_AUTH=scram: the client's credential, ACLs and quotas, after its topics, before its workers.
      await auth?.provision(client);
    },
    release: async (client: string): Promise<void> => {
      await auth?.revoke(client);
      if (tenancy.mode !== 'routed' || tenancy.onRemove !== 'delete') return;
      for (const t of tenantTopicSpecs(client, tenancy)) await deleteTopic(connection, t.name).catch(() => undefined);
      componentLogger(COMPONENT, client).info({ topics: tenantTopicSpecs(client, tenancy).map((t) => t.name) }, 'client topics deleted');
    },
  };
}

export async function main(): Promise<number> {
  const log = componentLogger(COMPONENT);
  const config = loadControlPlaneConfig(process.env);
  const apiConfig = loadApiConfig(process.env);
  const neo4jConfig = loadNeo4jConfig(process.env);
  const spawnerConfig = loadSpawnerConfig(process.env);
  const connection = loadKafkaConnection(process.env, COMPONENT);
  const lc = config.lifecycle;
  const tenancy = loadTenancySettings(process.env);
  const clientAuth = loadClientAuthSettings(process.env, tenancy.mode);
  log.info(
    {
      staleAfterS: lc.staleAfterMs / 1000,
      checkIntervalS: lc.checkIntervalMs / 1000,
      quarantineS: lc.quarantineMs / 1000,
      allowlist: lc.allowlist.length > 0 ? lc.allowlist : 'any',
      registrationToken: lc.registrationSecret !== undefined ? 'required' : 'not required',
      maxClients: lc.maxClients || 'unlimited',
      spawnConcurrency: lc.spawnConcurrency,
      tenancy: tenancy.mode,
      kafkaAuth: clientAuth.mode,
    },
    'control plane starting',
  );
  await ensureTopics(connection, log, [TOPICS.registry, TOPICS.heartbeat, TOPICS.dlqRaw]);
  const spawner = await createSpawner(spawnerConfig, log);
  const dlq = await KafkaSink.connect({ connection, component: COMPONENT }, log);
  const deadLetter$ = (record: KafkaRecord, reason: string): Observable<unknown> =>
    dlq.send$(deadLetter(record, COMPONENT, reason, TOPICS.dlqRaw.name)).pipe(
      tap({
        next: (d) => {
          recordsTotal.labels(COMPONENT, '', 'dead_lettered').inc();
          log.warn({ reason, source: `${record.topic}/${record.partition}@${record.offset}`, dlq: `${d.topic}/${d.partition}@${d.offset}` }, 'invalid record dead-lettered');
        },
        error: (err: Error) => log.error({ reason, source: `${record.topic}/${record.partition}@${record.offset}`, err: err.message }, 'dead-letter write failed; the record stays unacknowledged'),
      }),
    );

  const registryGroup = `control-plane-registry${config.groupSuffix}`;
  const { replayEnd, processedBefore } = await rewindRegistry(connection, registryGroup, TOPICS.registry.name, log);
  const found = await spawner.list();
  const foundClients = [...new Set(found.map((w) => w.client))];
  log.info({ workers: found.length, clients: foundClients }, 'labelled workers found at start');

  const registry = new KafkaSource({ connection, groupId: registryGroup, topics: [TOPICS.registry.name], fromBeginning: true, consumeTimeoutMs: 50 }, log);
  const heartbeat = new KafkaSource({ connection, groupId: `control-plane-heartbeat${config.groupSuffix}`, topics: [TOPICS.heartbeat.name], fromBeginning: false, consumeTimeoutMs: 50 }, log);

  let state: LifecycleState = { clients: {}, caughtUp: false, found: null, rejected: {} };
  const steps$ = lifecycleSteps$(
    { registry$: registry.records$, heartbeat$: heartbeat.records$, workersFound$: from([foundClients]) },
    { replayEnd, processedBefore, deadLetter: deadLetter$ },
    lc,
  ).pipe(
    tap((s) => {
      state = s.state;
      countClients(s.state);
      if (s.input.kind === 'registry/caught-up') {
        log.info({ clients: Object.values(s.state.clients).map((c) => `${c.client}:${c.status}`) }, 'registry replay done; reconciling with the workers found');
      }
      s.events.forEach((e) => logEvent(e, lc));
    }),
    share(),
  );
  const events$ = steps$.pipe(mergeMap((s) => s.events));
  const workers = cachedWorkerList(spawner);
  const effects$ = lifecycleEffects$(events$, spawnerDeps(spawner, workers, tenantTopics(connection, tenancy, clientAuth.mode === 'scram' ? kafkaToolsAuthAdmin(connection, clientAuth, process.env, log) : undefined)), { spawnConcurrency: lc.spawnConcurrency }).pipe(tap(logEffect));
  // The API reads the graph; Neo4j may come up later than the control plane, which must not wait for it.
  const storeLog = componentLogger(`${COMPONENT}-api`);
  let storeP: Promise<GraphStore> | undefined;
  const store = () => {
    if (!storeP) {
      storeP = GraphStore.connect(neo4jConfig, storeLog, {}, 5_000);
      storeP.catch(() => (storeP = undefined));
    }
    return storeP;
  };
  void store().catch((err: Error) => log.warn({ err: err.message }, 'Neo4j not reachable yet; the API answers 503 until it is'));
  const server = await startHttpServer(apiConfig, {
    clients: () => clientsView(state, workers, spawner.kind, Date.now()),
    health: () => ({ ok: true, caughtUp: state.caughtUp }),
    store,
    answer: answerFor,
    log: storeLog,
  });

  return runPipeline(
    {
      effects$,
      stopIntake: () => {
        registry.stop();
        heartbeat.stop();
      },
      close: async () => {
        await server.close();
        if (storeP) await (await storeP.catch(() => undefined))?.close();
        await Promise.all([registry.closed, heartbeat.closed]);
        await dlq.close();
        await spawner.close();
      },
    },
    log,
  );
}

/** kgroot_clients{state}: how many clients are in each state now. */
function countClients(state: LifecycleState): void {
  const counts: Record<string, number> = { pending: 0, live: 0, stale: 0, removed: 0 };
  for (const c of Object.values(state.clients)) counts[c.status] = (counts[c.status] ?? 0) + 1;
  for (const [k, n] of Object.entries(counts)) clientsByState.labels(k).set(n);
}
