import { recordsTotal } from '../metrics/metrics';
import { from, mergeMap, Observable, share, tap } from 'rxjs';
import { ensureTopics } from '../kafka/admin';
import { kafkaToolsAuthAdmin } from '../tenancy/kafkaAuthAdmin';
import { loadKafkaConnection } from '../kafka/kafkaConfig';
import { KafkaSource } from '../kafka/kafkaSource';
import { KafkaSink } from '../kafka/kafkaSink';
import { deadLetter } from '../kafka/deadLetter';
import { KafkaRecord } from '../kafka/record';
import { rewindForReplay } from '../kafka/registryReplay';
import { TOPICS } from '../kafka/topics';
import { componentLogger } from '../log/logger';
import { answerFor } from '../delivery/answerSource';
import { cachedWorkerList, clientsView } from '../http/clientsView';
import { startHttpServer } from '../http/server';
import { lazyGraphStore } from '../neo4j/graphStore';
import { runPipeline } from '../runner/runPipeline';
import { settled } from '../runner/settle';
import { createSpawner } from '../spawner/createSpawner';
import { POOLED_ROLES, WORKER_ROLES } from '../spawner/spawner';
import { perClientRoles } from '../tenancy/workerMode';
import { loadControlPlaneConfig } from '../controlPlane/controlPlaneConfig';
import { CONTROL_PLANE, countClients, logEffect, logEvent } from '../controlPlane/lifecycleLog';
import { spawnerDeps, tenantTopics } from '../controlPlane/workers';
import { lifecycleEffects$, lifecycleSteps$, LifecycleState } from '../../pipelines/lifecycle';

export const description = 'watch cluster.registry + cluster.heartbeat and keep three workers per live client (GET /clients)';

const COMPONENT = CONTROL_PLANE;

export { loadControlPlaneConfig };
export type { ControlPlaneConfig } from '../controlPlane/controlPlaneConfig';

/**
 * The control plane, wiring only: its config (src/controlPlane/controlPlaneConfig), the registry
 * replay (src/kafka/registryReplay), the lifecycle pipeline (pipelines/lifecycle) with the spawner
 * and tenant topics as its effects (src/controlPlane/workers), the HTTP server and its view
 * (src/http), under the runner.
 */
export async function main(): Promise<number> {
  const log = componentLogger(COMPONENT);
  const config = loadControlPlaneConfig(process.env);
  const connection = loadKafkaConnection(process.env, COMPONENT);
  const { lifecycle: lc, tenancy, clientAuth } = config;
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
      workerMode: config.workerMode,
      kafkaAuth: clientAuth.mode,
    },
    'control plane starting',
  );
  await ensureTopics(connection, log, [TOPICS.registry, TOPICS.heartbeat, TOPICS.dlqRaw]);
  const spawner = await createSpawner(config.spawner, log);
  const dlq = await KafkaSink.connect({ connection, component: COMPONENT, dedupeDeadLetters: true }, log);
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
  const { replayEnd, processedBefore } = await rewindForReplay(connection, registryGroup, TOPICS.registry.name, log);
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
    // The steps are not the runner's effects (those are the spawner calls): their records are settled here.
    settled(),
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
  const auth = clientAuth.mode === 'scram' ? kafkaToolsAuthAdmin(connection, clientAuth, process.env, log) : undefined;
  const effects$ = lifecycleEffects$(events$, spawnerDeps(spawner, workers, tenantTopics(connection, tenancy, auth), perClientRoles(config.workerMode, WORKER_ROLES, POOLED_ROLES)), { spawnConcurrency: lc.spawnConcurrency }).pipe(tap(logEffect));
  // The API reads the graph; Neo4j may come up later than the control plane, which must not wait for it.
  const storeLog = componentLogger(`${COMPONENT}-api`);
  const store = lazyGraphStore(config.neo4j, storeLog, 5_000);
  void store.get().catch((err: Error) => log.warn({ err: err.message }, 'Neo4j not reachable yet; the API answers 503 until it is'));
  const server = await startHttpServer(config.api, {
    clients: () => clientsView(state, workers, spawner.kind, Date.now()),
    health: () => ({ ok: true, caughtUp: state.caughtUp }),
    store: store.get,
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
        await store.shutdown();
        await Promise.all([registry.closed, heartbeat.closed]);
        await dlq.close();
        await spawner.close();
      },
    },
    log,
  );
}
