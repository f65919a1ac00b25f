import { batchSize, neo4jWriteSeconds, recordsTotal } from '../metrics/metrics';
import { tap } from 'rxjs';
import { TOPOLOGY_BUILDER, topologyBuilder, TopologyBuilderEffect } from '../../pipelines/topologyBuilder/topologyBuilder';
import { byKind } from '../../pipelines/operators/ofKind';
import { atLeastBatch, Env, readInt } from '../config/env';
import { ensureTopics } from '../kafka/admin';
import { loadKafkaConnection } from '../kafka/kafkaConfig';
import { KafkaSink } from '../kafka/kafkaSink';
import { KafkaSource } from '../kafka/kafkaSource';
import { TOPICS } from '../kafka/topics';
import { componentLogger } from '../log/logger';
import { GraphStore } from '../neo4j/graphStore';
import { loadNeo4jConfig } from '../neo4j/neo4jConfig';
import { isTransientGraphError } from '../neo4j/neo4jErrors';
import { runPipeline, sourced } from '../runner/runPipeline';
import { merge } from 'rxjs';
import { UnresolvedEffect, UNRESOLVED_RECORDS, unresolvedRecords, WORKER_TOPICS } from '../../pipelines/tenancy/unresolvedRecords';
import { loadTenancyOptions, loadTenancySettings } from '../tenancy/tenancyConfig';
import { readList, readString } from '../config/env';
import { ROUTED_TOPICS } from '../tenancy/tenantTopics';

export const description = 'shared topology builder: state.k8s.resource and state.k8s.topology → resources and their relations in each client graph, and the evidence in object state → events.normalized; dead-letters, once for all workers, records that name no client';

/** TOPOLOGY_BATCH_SIZE (2000), TOPOLOGY_BATCH_MS (250), TOPOLOGY_MAX_IN_FLIGHT (4 × batch size), TOPOLOGY_RESYNC_CACHE_ENTRIES (500000), TOPOLOGY_BUILDER_GROUP, UNRESOLVED_RECORDS_GROUP, DEFAULT_CLIENT_ID, plus NEO4J_* and KAFKA_*. */
export function loadTopologyBuilderConfig(env: Env) {
  const maxBatchSize = readInt(env, 'TOPOLOGY_BATCH_SIZE', 2000, { min: 1, max: 50_000 });
  const maxInFlight = readInt(env, 'TOPOLOGY_MAX_IN_FLIGHT', maxBatchSize * 4, { min: 1 });
  atLeastBatch('TOPOLOGY_MAX_IN_FLIGHT', maxInFlight, 'TOPOLOGY_BATCH_SIZE', maxBatchSize);
  return {
    /** Records asked of the consumer per pull (at most the in-flight bound). */
    sourceBatchSize: Math.min(TOPOLOGY_SOURCE_BATCH_SIZE, maxInFlight),
    /** The unresolved-records consumer's bounds: it only dead-letters, so a fixed window suffices. */
    unresolvedSource: { maxInFlight: 2000, batchSize: 500 },
    maxBatchSize,
    maxBatchMs: readInt(env, 'TOPOLOGY_BATCH_MS', 250, { min: 1 }),
    maxInFlight,
    resyncCacheEntries: readInt(env, 'TOPOLOGY_RESYNC_CACHE_ENTRIES', 500_000, { min: 0 }),
    groupId: readString(env, 'TOPOLOGY_BUILDER_GROUP', 'topology-builder'),
    unresolvedGroupId: readString(env, 'UNRESOLVED_RECORDS_GROUP', 'unresolved-records'),
    tenancy: loadTenancyOptions(env),
    // With TENANCY=routed the router dead-letters what names no client on the topics it routes.
    unresolvedTopics: loadTenancySettings(env).mode === 'routed' ? WORKER_TOPICS.filter((t) => !readList(env, 'ROUTER_TOPICS', ROUTED_TOPICS.map((x) => x.name)).includes(t)) : [...WORKER_TOPICS],
  };
}

/** Records the topology builder's source asks for per pull. */
export const TOPOLOGY_SOURCE_BATCH_SIZE = 1000;

export async function main(): Promise<number> {
  const config = loadTopologyBuilderConfig(process.env);
  const log = componentLogger(TOPOLOGY_BUILDER);
  const connection = loadKafkaConnection(process.env, 'kg-topology-builder');
  await ensureTopics(connection, log);
  const store = await GraphStore.connect(loadNeo4jConfig(process.env), log);
  const sink = await KafkaSink.connect({ connection, dedupeDeadLetters: true }, log);
  const source = new KafkaSource(
    { connection, groupId: config.groupId, topics: [TOPICS.resources.name, TOPICS.topology.name], maxInFlight: config.maxInFlight, batchSize: config.sourceBatchSize },
    log,
  );
  const unchanged = recordsTotal.labels(TOPOLOGY_BUILDER, '', 'unchanged');
  const effects$ = topologyBuilder(
    { records$: source.records$ },
    { writeTopology: (b) => store.writeTopology$(b), send: (o) => sink.send$(o), isTransient: isTransientGraphError },
    config,
  ).pipe(
    tap(
      byKind<TopologyBuilderEffect>({
        'topology/batch-written': (e) => {
          batchSize.labels('topology-builder', 'neo4j').observe(e.records);
          for (const c of e.clients) neo4jWriteSeconds.labels('topology-builder').observe(c.writeMs / 1000);
          log.info({ batchSize: e.records, evidence: e.evidence, clients: e.clients.map((c) => ({ client: c.client, upserted: c.upserted, deleted: c.deleted, writeMs: c.writeMs })) }, 'batch written');
        },
        'topology/unchanged': () => unchanged.inc(),
        'topology/write-retry': (e) => log.warn({ records: e.records, attempt: e.attempt, delayMs: e.delayMs, err: e.error }, 'graph write failed; retrying'),
        'topology/dead-lettered': (e) => {
          recordsTotal.labels('topology-builder', '', 'dead_lettered').inc();
          log.warn({ reason: e.reason, topic: e.topic, partition: e.partition, offset: e.offset }, 'record dead-lettered');
        },
      }),
    ),
  );
  // The one component that dead-letters records naming no client (the workers count them as foreign):
  // a single shared process, off the control plane's heartbeat path, with its own consumer group.
  const unresolvedSource = new KafkaSource({ connection, groupId: config.unresolvedGroupId, topics: config.unresolvedTopics, ...config.unresolvedSource }, log);
  const unresolvedCount = recordsTotal.labels(UNRESOLVED_RECORDS, '', 'dead_lettered');
  // Every effect goes on to the runner (the resolved ones settle their records); only dead letters are counted and logged.
  const unresolved$ = unresolvedRecords({ records$: unresolvedSource.records$ }, { send: (o) => sink.send$(o) }, config.tenancy).pipe(
    tap(
      byKind<UnresolvedEffect>({
        'unresolved/dead-lettered': (e) => {
          unresolvedCount.inc();
          log.warn({ reason: e.reason, topic: e.topic, partition: e.partition, offset: e.offset, role: UNRESOLVED_RECORDS }, 'record names no client; dead-lettered');
        },
      }),
    ),
  );
  const both = { stop: () => (source.stop(), unresolvedSource.stop()), closed: Promise.all([source.closed, unresolvedSource.closed]) };
  return runPipeline(
    sourced(merge(effects$, unresolved$), both, () => sink.close(), () => store.close()),
    log,
  );
}
