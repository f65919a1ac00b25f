import { tap } from 'rxjs';
import { Env, readInt, readString } from '../config/env';
import { ensureTopics } from '../kafka/admin';
import { loadKafkaConnection } from '../kafka/kafkaConfig';
import { KafkaSink } from '../kafka/kafkaSink';
import { KafkaSource } from '../kafka/kafkaSource';
import { TOPICS } from '../kafka/topics';
import { componentLogger } from '../log/logger';
import { recordsTotal } from '../metrics/metrics';
import { GraphStore } from '../neo4j/graphStore';
import { loadNeo4jConfig } from '../neo4j/neo4jConfig';
import { runPipeline, sourced } from '../runner/runPipeline';
import { poolSubscription } from '../tenancy/poolTopics';
import { tenantTopic } from '../tenancy/tenantTopics';
import type { GraphTopics } from '../graph/graphInput';
import { loadTenancySettings } from '../tenancy/tenancyConfig';
import { loadPoolConsumerSettings, loadWorkerMode } from '../tenancy/workerMode';
import { GRAPH_BUILDER_POOL, pooledGraphBuilder } from '../../pipelines/pool/pooledGraphBuilder';
import { clientGraph$, graphBuilderConfigOf, GraphBuilderSettings, loadGraphBuilderSettings } from './graph-builder';

export const description = "pooled graph builder (WORKER_MODE=pooled, TENANCY=routed): every client's events.normalized.{client}, logs.normalized.{client}, alerts.raw.{client} (and the agent's shared raw.prom.alerts, state.prom.targets) → each client's graph, one process";

/**
 * Settings (environment): the graph builder's GRAPH_* / CAUSAL_* / ALERT_LOOKBACK_SECONDS, per client
 * (each client gets its own batches, GRAPH_BATCHES_IN_FLIGHT and candidate memory of
 * CAUSAL_MEMORY_EVENTS); GRAPH_POOL_MAX_IN_FLIGHT (unacked records over all clients, default
 * GRAPH_MAX_IN_FLIGHT × 4); GRAPH_POOL_CLIENT_IDLE_SECONDS (600: a client's pipeline and candidate
 * memory are released after that long without a record of it); CONSUMER_GROUP (default graph-builder-pool); POOL_TOPIC_REFRESH_MS
 * and POOL_FETCH_WAIT_MS as for the normalizer pools; GRAPH_POOL_TOPIC_PREFIX (default none: put
 * before every topic name the pool reads, for tests and benchmarks on a shared broker); plus NEO4J_*
 * and KAFKA_*.
 */
export function loadPooledGraphBuilderSettings(env: Env): GraphBuilderSettings & { groupId: string; poolMaxInFlight: number; topicRefreshMs: number; fetchWaitMs: number; topicPrefix: string; idleMs: number } {
  const tenancy = loadTenancySettings(env);
  loadWorkerMode(env, tenancy.mode);
  const settings = loadGraphBuilderSettings(env);
  return {
    ...settings,
    topicPrefix: readString(env, 'GRAPH_POOL_TOPIC_PREFIX', ''),
    idleMs: readInt(env, 'GRAPH_POOL_CLIENT_IDLE_SECONDS', 600, { min: 1, max: 7 * 86_400 }) * 1000,
    groupId: readString(env, 'CONSUMER_GROUP', GRAPH_BUILDER_POOL),
    poolMaxInFlight: readInt(env, 'GRAPH_POOL_MAX_IN_FLIGHT', settings.maxInFlight * 4, { min: settings.maxBatchSize }),
    ...loadPoolConsumerSettings(env),
  };
}

/**
 * The topics the pool reads, each name after `prefix`: the per-client bases (`{base}.{client}`:
 * events, logs, alerts), the shared agent topics it routes by key, and a client's graph topics.
 */
export function graphPoolTopics(prefix: string) {
  const [events, logs, alerts, rawPromAlerts, promTargets] = [TOPICS.eventsNormalized, TOPICS.logsNormalized, TOPICS.alertsRaw, TOPICS.rawPromAlerts, TOPICS.promTargets].map((t) => `${prefix}${t.name}`);
  return {
    bases: [events, logs, alerts],
    shared: [rawPromAlerts, promTargets],
    of: (client: string): GraphTopics => ({ events: tenantTopic(events, client), logs: tenantTopic(logs, client), alerts: tenantTopic(alerts, client), rawPromAlerts, promTargets }),
  };
}

export async function main(): Promise<number> {
  const s = loadPooledGraphBuilderSettings(process.env);
  const log = componentLogger(GRAPH_BUILDER_POOL);
  const connection = loadKafkaConnection(process.env, GRAPH_BUILDER_POOL);
  await ensureTopics(connection, log);
  const store = await GraphStore.connect(loadNeo4jConfig(process.env), log, s.causal);
  const sink = await KafkaSink.connect({ connection, component: GRAPH_BUILDER_POOL, dedupeDeadLetters: true }, log);
  const pool = graphPoolTopics(s.topicPrefix);
  const topics = [...pool.bases.map(poolSubscription), ...pool.shared];
  const source = new KafkaSource(
    {
      connection,
      groupId: s.groupId,
      topics,
      maxInFlight: s.poolMaxInFlight,
      batchSize: s.sourceBatchSize,
      extra: { 'topic.metadata.refresh.interval.ms': s.topicRefreshMs, 'fetch.wait.max.ms': s.fetchWaitMs },
      metrics: { component: GRAPH_BUILDER_POOL },
    },
    log,
  );
  log.info({ group: s.groupId, topics, maxInFlight: s.poolMaxInFlight, topicRefreshMs: s.topicRefreshMs }, 'starting');
  const rejected = recordsTotal.labels(GRAPH_BUILDER_POOL, '', 'dead_lettered');
  const effects$ = pooledGraphBuilder(source.records$, { send: (o) => sink.send$(o) }, { bases: pool.bases, shared: pool.shared, tenancy: s.agent.tenancy, idleMs: s.idleMs }, (client, records$) => {
    const config = { ...graphBuilderConfigOf(client, 'routed', s), topics: pool.of(client) };
    componentLogger(GRAPH_BUILDER_POOL, client).info({ topics: config.topics }, 'serving client (its first record)');
    return clientGraph$(records$, config, { store, sink, env: process.env });
  }).pipe(
    tap((e) => {
      if (!('kind' in e)) return;
      if (e.kind === 'graph-pool/client-released') {
        const released = store.releaseClient(e.client);
        componentLogger(GRAPH_BUILDER_POOL, e.client).info({ idleSeconds: s.idleMs / 1000, memoryReleased: released }, 'client quiet: its pipeline ended');
      } else if (e.kind === 'graph-pool/dead-lettered') {
        rejected.inc();
        log.warn({ reason: e.reason, topic: e.topic, partition: e.partition, offset: e.offset }, 'record dead-lettered');
      }
    }),
  );
  return runPipeline(sourced(effects$, source, () => sink.close(), () => store.close()), log);
}
