import { TOPICS } from '../kafka/topics';
import { batchSize, neo4jWriteSeconds, recordsTotal } from '../metrics/metrics';
import { finalize, merge, Observable, Subject, tap } from 'rxjs';
import type { SourceRecord } from '../kafka/record';
import type { GraphTopics } from '../graph/graphInput';
import { WrittenBatch } from '../../pipelines/alertEnricher/alertEnricher';
import { alertDelivery$, loadDeliveryConfig, recordInto, reportingWrites } from '../delivery/alertDelivery';
import { answerFor } from '../delivery/answerSource';
import { GraphBuilderEffect, graphBuilder, GRAPH_BUILDER, GRAPH_BUILDER_DEFAULTS } from '../../pipelines/graphBuilder/graphBuilder';
import { atLeastBatch, ConfigError, Env, holdsBatches, readInt, readNumber, readRequired } from '../config/env';
import { assertClientId } from '../domain/clientId';
import { ensureTopics } from '../kafka/admin';
import { loadKafkaConnection } from '../kafka/kafkaConfig';
import { KafkaSink } from '../kafka/kafkaSink';
import { KafkaSource } from '../kafka/kafkaSource';
import { loadTenancySettings, TenancySettings } from '../tenancy/tenancyConfig';
import { workerTopics } from '../tenancy/tenantTopics';
import { componentLogger, Logger } from '../log/logger';
import { CAUSAL_DEFAULTS, DEFAULT_ALERT_LOOKBACK_SECONDS, GraphStore } from '../neo4j/graphStore';
import { loadNeo4jConfig } from '../neo4j/neo4jConfig';
import { isTransientGraphError } from '../neo4j/neo4jErrors';
import { runPipeline, sourced } from '../runner/runPipeline';
import { byKind } from '../../pipelines/operators/ofKind';
import { loadTenancyOptions } from '../tenancy/tenancyConfig';

export const description = "per-client graph builder: events.normalized, logs.normalized, alerts.raw, raw.prom.alerts, state.prom.targets → the client's graph in Neo4j (env CLIENT_ID)";

/**
 * Settings (environment):
 * CLIENT_ID (required); GRAPH_BATCH_SIZE (2000 records); GRAPH_BATCH_MS (250);
 * GRAPH_BATCHES_IN_FLIGHT (2 transactions at once; a batch's edges to the events of an earlier one
 *   still in flight are written once that one ended, so the edges are those of a serial run); GRAPH_MAX_IN_FLIGHT (unacked records, default size × (batches + 2));
 * LOG_AGGREGATION_WINDOW_SECONDS (60); CAUSAL_WINDOW_SECONDS (300); CAUSAL_MIN_CONFIDENCE (0.1);
 * CAUSAL_MAX_CAUSES (5 per effect); CAUSAL_MAX_CANDIDATES (50 per event);
 * CAUSAL_MEMORY_EVENTS (200000 stored events held in memory for the candidate search; 0 searches Neo4j every batch);
 * CAUSAL_TOPOLOGY_TTL_SECONDS (10: how late a topology change may reach the candidate search);
 * ALERT_LOOKBACK_SECONDS (1800: how far before an alert its causes may lie; at least CAUSAL_WINDOW_SECONDS); plus NEO4J_* and KAFKA_*.
 */
export function loadGraphBuilderConfig(env: Env) {
  const client = assertClientId(readRequired(env, 'CLIENT_ID', 'Set CLIENT_ID to the client this graph builder serves'), 'CLIENT_ID');
  return graphBuilderConfigOf(client, loadTenancySettings(env).mode, loadGraphBuilderSettings(env));
}

/** A client's graph builder config from the settings every client shares (the pooled graph builder makes one per client). */
export function graphBuilderConfigOf(client: string, mode: TenancySettings['mode'], settings: GraphBuilderSettings) {
  const topics = workerTopics(client, mode);
  return {
    client,
    /** The client's own topics with TENANCY=routed, the shared ones otherwise. */
    topics: { events: topics.eventsNormalized, logs: topics.logsNormalized, alerts: topics.alertsRaw, rawPromAlerts: TOPICS.rawPromAlerts.name, promTargets: TOPICS.promTargets.name } as GraphTopics,
    ...settings,
  };
}

/** The graph builder's settings apart from its client (GRAPH_*, CAUSAL_*, ALERT_LOOKBACK_SECONDS, the agent's shapes). */
export function loadGraphBuilderSettings(env: Env) {
  const d = GRAPH_BUILDER_DEFAULTS;
  const c = CAUSAL_DEFAULTS;
  const maxBatchSize = readInt(env, 'GRAPH_BATCH_SIZE', d.maxBatchSize, { min: 1, max: 50_000 });
  const maxBatchesInFlight = readInt(env, 'GRAPH_BATCHES_IN_FLIGHT', d.maxBatchesInFlight, { min: 1, max: 64 });
  const maxInFlight = readInt(env, 'GRAPH_MAX_IN_FLIGHT', maxBatchSize * (maxBatchesInFlight + 2), { min: 1 });
  const windowMs = readInt(env, 'CAUSAL_WINDOW_SECONDS', c.windowMs / 1000, { min: 1 }) * 1000;
  return validateGraphBuilderConfig({
    maxBatchSize,
    maxBatchMs: readInt(env, 'GRAPH_BATCH_MS', d.maxBatchMs, { min: 1 }),
    maxBatchesInFlight,
    maxInFlight,
    logWindowMs: readInt(env, 'LOG_AGGREGATION_WINDOW_SECONDS', d.logWindowMs / 1000, { min: 1 }) * 1000,
    // The kg-rca-agent's JSON on the normalized topics, its alerts and targets; DEFAULT_CLIENT_ID.
    agent: {
      tenancy: loadTenancyOptions(env),
      templateMaxClusters: readInt(env, 'TEMPLATE_MAX_CLUSTERS', 5000, { min: 10, max: 1_000_000 }),
      maxMessageChars: readInt(env, 'MAX_MESSAGE_CHARS', 4096, { min: 64, max: 1_000_000 }),
    },
    causal: {
      windowMs,
      alertLookbackMs: readAlertLookbackMs(env, windowMs),
      minConfidence: readNumber(env, 'CAUSAL_MIN_CONFIDENCE', c.minConfidence, { min: 0, max: 1 }),
      maxCausesPerEffect: readInt(env, 'CAUSAL_MAX_CAUSES', c.maxCausesPerEffect, { min: 1 }),
      maxCandidates: readInt(env, 'CAUSAL_MAX_CANDIDATES', c.maxCandidates, { min: 1 }),
      memoryEvents: readInt(env, 'CAUSAL_MEMORY_EVENTS', c.memoryEvents, { min: 0 }),
      topologyTtlMs: readInt(env, 'CAUSAL_TOPOLOGY_TTL_SECONDS', c.topologyTtlMs / 1000, { min: 0 }) * 1000,
    },
    /** Records asked of the consumer per pull (at most the in-flight bound). */
    sourceBatchSize: Math.min(GRAPH_SOURCE_BATCH_SIZE, maxInFlight),
  });
}

export type GraphBuilderSettings = ReturnType<typeof loadGraphBuilderSettings>;

/** Records the graph builder's source asks for per pull. */
export const GRAPH_SOURCE_BATCH_SIZE = 1000;

export type GraphBuilderConfig = ReturnType<typeof loadGraphBuilderConfig>;

/**
 * The cross-field checks of the graph builder's settings, each a ConfigError naming the variable
 * and the fix: the in-flight bound holds a batch (GRAPH_MAX_IN_FLIGHT ≥ GRAPH_BATCH_SIZE) and the
 * batches in flight (≥ GRAPH_BATCH_SIZE × GRAPH_BATCHES_IN_FLIGHT).
 */
export function validateGraphBuilderConfig<T extends { maxInFlight: number; maxBatchSize: number; maxBatchesInFlight: number }>(c: T): T {
  atLeastBatch('GRAPH_MAX_IN_FLIGHT', c.maxInFlight, 'GRAPH_BATCH_SIZE', c.maxBatchSize);
  holdsBatches('GRAPH_MAX_IN_FLIGHT', c.maxInFlight, 'GRAPH_BATCH_SIZE', c.maxBatchSize, 'GRAPH_BATCHES_IN_FLIGHT', c.maxBatchesInFlight);
  return c;
}

/**
 * ALERT_LOOKBACK_SECONDS in ms (default 1800 s, at most a day): an alert fires after its rule's `for:`
 * (15 min in kubernetes-mixin), so its causes lie further back than the event-to-event window.
 */
export function readAlertLookbackMs(env: Env, windowMs: number): number {
  const s = readInt(env, 'ALERT_LOOKBACK_SECONDS', DEFAULT_ALERT_LOOKBACK_SECONDS, { min: 1, max: 86_400 });
  if (s * 1000 < windowMs) {
    throw new ConfigError('ALERT_LOOKBACK_SECONDS', `must be at least CAUSAL_WINDOW_SECONDS (${windowMs / 1000}), got ${s}`, `Raise ALERT_LOOKBACK_SECONDS to ${windowMs / 1000} or more, or unset it for the default ${DEFAULT_ALERT_LOOKBACK_SECONDS}`);
  }
  return s * 1000;
}

/** Logs one structured line per batch, with the foreign / skipped / dead-lettered counts since the last one. */
export function batchLogger(log: Logger, client = ''): (e: GraphBuilderEffect) => void {
  const m = graphMetrics(client);
  let foreign = 0;
  let skipped = 0;
  let deadLettered = 0;
  return byKind<GraphBuilderEffect>({
    'graph/foreign': () => {
      foreign++;
      m.foreign.inc();
    },
    'graph/skipped': () => void skipped++,
    'graph/normalized-in-place': () => m.normalizedInPlace.inc(),
    'graph/dead-lettered': (e) => {
      deadLettered++;
      m.deadLettered.inc();
      log.warn({ reason: e.reason, topic: e.topic, partition: e.partition, offset: e.offset }, 'record dead-lettered');
    },
    'graph/write-retry': (e) => log.warn({ records: e.records, attempt: e.attempt, delayMs: e.delayMs, err: e.error }, 'graph write failed; retrying'),
    'graph/batch-written': (e) => {
      m.out.inc(e.rows);
      m.batch.observe(e.records);
      m.write.observe(e.writeMs / 1000);
      log.info(
        { batchSize: e.records, rows: e.rows, eventsAdded: e.eventsAdded, causalEdgesAdded: e.causalEdgesAdded, candidates: e.candidates, search: e.search, deferredEdges: e.deferredEdges, writeMs: e.writeMs, foreignSkipped: foreign, skipped, deadLettered },
        'batch written',
      );
      foreign = skipped = deadLettered = 0;
    },
  });
}

/** What one client's graph builder needs from its process: the graph store, a producer, the environment (delivery settings). */
export interface ClientGraphIo {
  store: GraphStore;
  sink: KafkaSink;
  env: Env;
}

/**
 * One client's graph builder and its alerts.enriched publisher and notifier, on the process's store
 * and producer: the per-client worker runs one; the pooled graph builder one per client it serves.
 * Each written batch feeds the delivery (same GraphStore), pushed after the commit, so the writes
 * never wait for it.
 */
export function clientGraph$(records$: Observable<SourceRecord>, config: GraphBuilderConfig, io: ClientGraphIo) {
  const { store, sink } = io;
  const delivery = loadDeliveryConfig(io.env, config.client);
  const log = componentLogger(GRAPH_BUILDER, config.client);
  const written = new Subject<WrittenBatch>();
  const graph$ = graphBuilder(
    { records$ },
    {
      writeEvents: reportingWrites((b) => store.writeEvents$(b), written),
      send: (o) => sink.send$(o),
      isTransient: isTransientGraphError,
    },
    config,
  ).pipe(tap(batchLogger(log, config.client)), finalize(() => written.complete()));
  const delivery$ = alertDelivery$(written, { client: config.client, reader: store, record: recordInto(store, config.client), answer: answerFor, send: (o) => sink.send$(o), log: componentLogger('alert-enricher', config.client) }, delivery);
  log.info({ publicUrl: delivery.publicUrl, webhook: delivery.webhookUrl ? delivery.format : 'none', debounceMs: delivery.enricher.debounceMs }, 'alerts.enriched publisher ready');
  return merge(graph$, delivery$);
}

export async function main(): Promise<number> {
  const config = loadGraphBuilderConfig(process.env);
  const log = componentLogger(GRAPH_BUILDER, config.client);
  const connection = loadKafkaConnection(process.env, `kg-graph-builder-${config.client}`);
  await ensureTopics(connection, log);
  const store = await GraphStore.connect(loadNeo4jConfig(process.env), log, config.causal);
  await store.prepareClient(config.client);
  const sink = await KafkaSink.connect({ connection, dedupeDeadLetters: true }, log);
  const source = new KafkaSource(
    {
      connection,
      groupId: `graph-builder-${config.client}`,
      // The agent's raw.prom.alerts and state.prom.targets are shared in both tenancy modes (the router does not route them).
      topics: [config.topics.events, config.topics.logs, config.topics.alerts, TOPICS.rawPromAlerts.name, TOPICS.promTargets.name],
      maxInFlight: config.maxInFlight,
      batchSize: config.sourceBatchSize,
    },
    log,
  );
  return runPipeline(
    sourced(clientGraph$(source.records$, config, { store, sink, env: process.env }), source, () => sink.close(), () => store.close()),
    log,
  );
}

function graphMetrics(client: string) {
  return {
    foreign: recordsTotal.labels(GRAPH_BUILDER, client, 'foreign'),
    deadLettered: recordsTotal.labels(GRAPH_BUILDER, client, 'dead_lettered'),
    out: recordsTotal.labels(GRAPH_BUILDER, client, 'out'),
    /** The agent's JSON on events.normalized / logs.normalized, normalized in-process instead of dead-lettered as not Avro. */
    normalizedInPlace: recordsTotal.labels(GRAPH_BUILDER, client, 'normalized_in_place'),
    batch: batchSize.labels(GRAPH_BUILDER, 'neo4j'),
    write: neo4jWriteSeconds.labels(GRAPH_BUILDER),
  };
}
