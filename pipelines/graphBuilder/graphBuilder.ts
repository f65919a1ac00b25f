import { asyncScheduler, connect, defer, filter, map, merge, mergeMap, Observable, SchedulerLike } from 'rxjs';
import { clientPrefix } from '../../src/domain/keys';
import { inferredCallRows } from '../../src/graph/callInference';
import { aggregateErrorLogs, EventRow, eventRowOfAlert, eventRowOfNormalized, mergeEventRows } from '../../src/graph/eventRows';
import { deadLetter } from '../../src/kafka/deadLetter';
import { Delivered, OutRecord, SourceRecord } from '../../src/kafka/record';
import { TOPICS } from '../../src/kafka/topics';
import type { EventBatch, EventWriteResult } from '../../src/neo4j/graphStore';
import { batchedWrites } from '../operators/batchedWrites';
import { WriteRetryEffect, writeOrSplit } from '../operators/writeOrSplit';
import { decodeGraphRecord, GraphInput, GraphTopics } from './decodeGraphRecord';
import { AgentGraphContext } from '../../src/agent/decodeAgentGraphRecord';
import { TemplateMiner } from '../../src/normalize/templateMiner';
import { TenancyOptions } from '../../src/tenancy/resolveClient';

export const GRAPH_BUILDER = 'graph-builder';

/** The graph builder's defaults, the one place they live (the graph-builder command reads GRAPH_* over them). */
export const GRAPH_BUILDER_DEFAULTS = {
  maxBatchSize: 2000,
  maxBatchMs: 250,
  maxBatchesInFlight: 2,
  logWindowMs: 60_000,
  retryInitialMs: 500,
  retryMaxMs: 10_000,
} as const;

export interface GraphBuilderConfig {
  /** The client this worker serves; records of other clients are counted and settled. */
  client: string;
  /** Input topics (DESIGN.md names by default). */
  topics?: GraphTopics;
  /** Most records in one batch (one transaction). */
  maxBatchSize?: number;
  /** Longest a record waits for its batch to fill, ms. */
  maxBatchMs?: number;
  /**
   * Batches being written at once; more wait (and the source stops at its in-flight bound). With a writer like GraphStore.writeEvents$, batches in
   * flight together get the causal edges of a serial run in the order they were started; a batch
   * retried or split after a failure starts again, after the batches cut since.
   */
  maxBatchesInFlight?: number;
  /** Width of the windows classified error logs are aggregated in, ms. */
  logWindowMs?: number;
  /** First and longest wait between retries of a batch on a transient error, ms. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /**
   * The kg-rca-agent's shapes (src/agent): JSON on the normalized topics normalized in-process,
   * its alerts and targets; records naming no client are this one's when it is DEFAULT_CLIENT_ID.
   * Omitted: kgroot's own shapes only.
   */
  agent?: { tenancy: TenancyOptions; templateMaxClusters?: number; maxMessageChars?: number };
}

export interface GraphBuilderDeps {
  /** Writes one batch in one transaction; emits once the transaction committed. */
  writeEvents: (batch: EventBatch) => Observable<EventWriteResult>;
  /** Produces a record (the dead-letter topic); emits on the delivery report. */
  send: (record: OutRecord) => Observable<Delivered>;
  /** True when a failed write is worth retrying (Neo4j down, deadlock); false dead-letters the record. */
  isTransient: (err: unknown) => boolean;
}

/** What the graph builder did; `settles` are the records the runner now acknowledges (pipelines/operators/settlement.ts). */
export type GraphBuilderEffect =
  | { kind: 'graph/foreign'; settles: SourceRecord[] }
  | { kind: 'graph/skipped'; reason: string; settles: SourceRecord[] }
  /** A record that was the agent's JSON, not Avro, normalized in-process (it is written, and settled, with its batch). */
  | { kind: 'graph/normalized-in-place'; topic: string }
  | { kind: 'graph/dead-lettered'; reason: string; topic: string; partition: number; offset: number; settles: SourceRecord[] }
  | ({ kind: 'graph/batch-written'; records: number; settles: SourceRecord[] } & EventWriteResult)
  | WriteRetryEffect<'graph'>;

/** The Event rows of a batch of inputs: events and alerts one each, error logs aggregated per template and window. */
export function rowsOfInputs(inputs: readonly GraphInput[], logWindowMs: number): EventRow[] {
  const rows: EventRow[] = [];
  const logs = [];
  for (const i of inputs) {
    if (i.kind === 'event') rows.push(eventRowOfNormalized(i.value));
    else if (i.kind === 'alert') rows.push(eventRowOfAlert(i.value));
    else if (i.kind === 'alerts') rows.push(...i.value.map(eventRowOfAlert));
    else if (i.kind === 'row') rows.push(i.value);
    else logs.push(i.value);
  }
  return mergeEventRows([...rows, ...aggregateErrorLogs(logs, logWindowMs)]);
}

type Item = { rec: SourceRecord; input: GraphInput };

/**
 * The graph builder of one client: own-prefix filter (foreign records settled and counted), Avro
 * and JSON decoding (undecodable → dlq.normalized with the reason), batches bounded by size and
 * time, at most `maxBatchesInFlight` transactions at once, and each record settled only by its
 * batch's effect, after the transaction committed. A transient failure retries the batch with
 * backoff (nothing is settled, so the source stops at its in-flight bound); a permanent one splits
 * the batch until the offending record is alone, and dead-letters it. Never acknowledges a record
 * itself: the runner does, as the effects pass.
 *
 * @example
 *   graphBuilder({ records$: source.records$ }, { writeEvents: (b) => store.writeEvents$(b), send: (o) => sink.send$(o), isTransient }, { client: 'acme' })
 */
export function graphBuilder(
  sources: { records$: Observable<SourceRecord> },
  deps: GraphBuilderDeps,
  config: GraphBuilderConfig,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<GraphBuilderEffect> {
  const {
    client,
    topics = { events: TOPICS.eventsNormalized.name, logs: TOPICS.logsNormalized.name, alerts: TOPICS.alertsRaw.name, rawPromAlerts: TOPICS.rawPromAlerts.name, promTargets: TOPICS.promTargets.name },
    maxBatchSize = GRAPH_BUILDER_DEFAULTS.maxBatchSize,
    maxBatchMs = GRAPH_BUILDER_DEFAULTS.maxBatchMs,
    maxBatchesInFlight = GRAPH_BUILDER_DEFAULTS.maxBatchesInFlight,
    logWindowMs = GRAPH_BUILDER_DEFAULTS.logWindowMs,
    retryInitialMs = GRAPH_BUILDER_DEFAULTS.retryInitialMs,
    retryMaxMs = GRAPH_BUILDER_DEFAULTS.retryMaxMs,
  } = config;
  const prefix = Buffer.from(clientPrefix(client));

  const deadLetter$ = (rec: SourceRecord, reason: string): Observable<GraphBuilderEffect> =>
    deps.send(deadLetter(rec, GRAPH_BUILDER, reason, TOPICS.dlqNormalized.name)).pipe(
      map(() => ({ kind: 'graph/dead-lettered' as const, reason, topic: rec.topic, partition: rec.partition, offset: rec.offset, settles: [rec] })),
    );

  const write$ = writeOrSplit(
    {
      source: 'graph',
      write: (items) =>
        deps.writeEvents({ client, rows: rowsOfInputs(items.map((i) => i.input), logWindowMs), calls: inferredCallRows(items.flatMap((i) => (i.input.kind === 'log' ? [i.input.value] : [])), logWindowMs) }),
      written: (items: readonly Item[], result: EventWriteResult): GraphBuilderEffect => ({ kind: 'graph/batch-written', records: items.length, ...result, settles: items.map((i) => i.rec) }),
      poisoned: (item, error) => deadLetter$(item.rec, `graph write failed: ${error}`),
      isTransient: deps.isTransient,
      backoff: { initialMs: retryInitialMs, maxMs: retryMaxMs },
    },
    scheduler,
  );

  return defer(() => {
    // Per subscription: the template miner of the logs normalized in-process.
    const agent: AgentGraphContext | undefined = config.agent && { tenancy: config.agent.tenancy, miner: new TemplateMiner({ maxClusters: config.agent.templateMaxClusters ?? 5000 }), maxMessageChars: config.agent.maxMessageChars };
    return sources.records$.pipe(
      map((rec) => ({ rec, decoded: decodeGraphRecord(rec, client, prefix, topics, agent) })),
      connect((shared$) =>
        merge(
          shared$.pipe(mergeMap(({ rec, decoded }): GraphBuilderEffect[] => (decoded.kind === 'input' && decoded.via === 'normalizer' ? [{ kind: 'graph/normalized-in-place', topic: rec.topic }] : []))),
          shared$.pipe(
            filter((x) => x.decoded.kind === 'foreign' || x.decoded.kind === 'skip'),
            map(({ rec, decoded }): GraphBuilderEffect => (decoded.kind === 'skip' ? { kind: 'graph/skipped', reason: decoded.reason, settles: [rec] } : { kind: 'graph/foreign', settles: [rec] })),
          ),
          shared$.pipe(
            mergeMap(({ rec, decoded }) => (decoded.kind === 'reject' ? deadLetter$(rec, decoded.reason) : []), 16),
          ),
          shared$.pipe(
            mergeMap(({ rec, decoded }) => (decoded.kind === 'input' ? [{ rec, input: decoded.input }] : [])),
            batchedWrites((batch: Item[]) => write$(batch), { maxSize: maxBatchSize, maxMs: maxBatchMs, concurrency: maxBatchesInFlight }, scheduler),
          ),
        ),
      ),
    );
  });
}
