import { asyncScheduler, concatMap, connect, from, map, merge, mergeMap, Observable, SchedulerLike, toArray } from 'rxjs';
import { deadLetter } from '../../src/kafka/deadLetter';
import { Delivered, OutRecord, SourceRecord } from '../../src/kafka/record';
import { TOPICS } from '../../src/kafka/topics';
import type { TopologyBatch, TopologyWriteResult } from '../../src/neo4j/graphStore';
import { batchedWrites } from '../operators/batchedWrites';
import { WriteRetryEffect, writeOrSplit } from '../operators/writeOrSplit';
import { decodeTopologyRecord, TopologyChange, TopologyTopics } from './decodeTopologyRecord';

export const TOPOLOGY_BUILDER = 'topology-builder';

export interface TopologyBuilderConfig {
  topics?: TopologyTopics;
  /** Most records in one batch. */
  maxBatchSize?: number;
  /** Longest a record waits for its batch, ms. */
  maxBatchMs?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
}

export interface TopologyBuilderDeps {
  /** Writes one client's changes in one transaction; emits once committed. */
  writeTopology: (batch: TopologyBatch) => Observable<TopologyWriteResult>;
  send: (record: OutRecord) => Observable<Delivered>;
  isTransient: (err: unknown) => boolean;
}

export type TopologyBuilderEffect =
  | { kind: 'dead-lettered'; reason: string; topic: string; partition: number; offset: number }
  | { kind: 'batch-written'; records: number; clients: TopologyWriteResult[] }
  | WriteRetryEffect;

/**
 * Per-client batches of a list of changes, in arrival order: the last change of a resource wins
 * (the topics are compacted state), and so does the last published edge set of a client.
 */
export function batchesOfChanges(changes: readonly TopologyChange[]): TopologyBatch[] {
  const byClient = new Map<string, { ops: Map<string, TopologyChange>; published?: TopologyChange & { kind: 'published' } }>();
  for (const c of changes) {
    let entry = byClient.get(c.client);
    if (!entry) byClient.set(c.client, (entry = { ops: new Map() }));
    if (c.kind === 'published') entry.published = c;
    else {
      const rid = c.kind === 'upsert' ? c.row.rid : c.rid;
      entry.ops.delete(rid);
      entry.ops.set(rid, c);
    }
  }
  return [...byClient].map(([client, e]) => {
    const ops = [...e.ops.values()];
    return {
      client,
      upserts: ops.flatMap((o) => (o.kind === 'upsert' ? [o.row] : [])),
      deletes: ops.flatMap((o) => (o.kind === 'delete' ? [o.rid] : [])),
      ...(e.published ? { published: e.published.edges } : {}),
    };
  });
}

type Item = { rec: SourceRecord; change: TopologyChange };

/**
 * The shared topology builder: Kubernetes objects and published edges → Resource nodes and
 * RUNS_ON / CONTROLS / SELECTS edges in the right client's graph. One batch at a time (state must
 * apply in order), one transaction per client in it; records acked after their batch committed.
 * Bad keys or values → dlq.raw with the reason.
 *
 * @example topologyBuilder({ records$ }, { writeTopology: (b) => store.writeTopology$(b), send, isTransient }, {})
 */
export function topologyBuilder(
  sources: { records$: Observable<SourceRecord> },
  deps: TopologyBuilderDeps,
  config: TopologyBuilderConfig = {},
  scheduler: SchedulerLike = asyncScheduler,
): Observable<TopologyBuilderEffect> {
  const {
    topics = { resources: TOPICS.resources.name, topology: TOPICS.topology.name },
    maxBatchSize = 2000,
    maxBatchMs = 250,
    retryInitialMs = 500,
    retryMaxMs = 10_000,
  } = config;

  const deadLetter$ = (rec: SourceRecord, reason: string): Observable<TopologyBuilderEffect> =>
    deps.send(deadLetter(rec, TOPOLOGY_BUILDER, reason, TOPICS.dlqRaw.name)).pipe(
      map(() => {
        rec.ack();
        return { kind: 'dead-lettered' as const, reason, topic: rec.topic, partition: rec.partition, offset: rec.offset };
      }),
    );

  const write$ = writeOrSplit<Item, TopologyWriteResult[], TopologyBuilderEffect>(
    {
      write: (items) => from(batchesOfChanges(items.map((i) => i.change))).pipe(concatMap((b) => deps.writeTopology(b)), toArray()),
      written: (items, clients) => {
        for (const i of items) i.rec.ack();
        return { kind: 'batch-written', records: items.length, clients };
      },
      poisoned: (item, error) => deadLetter$(item.rec, `graph write failed: ${error}`),
      isTransient: deps.isTransient,
      backoff: { initialMs: retryInitialMs, maxMs: retryMaxMs },
    },
    scheduler,
  );

  return sources.records$.pipe(
    map((rec) => ({ rec, decoded: decodeTopologyRecord(rec, topics) })),
    connect((shared$) =>
      merge(
        shared$.pipe(mergeMap(({ rec, decoded }) => (decoded.kind === 'reject' ? deadLetter$(rec, decoded.reason) : []), 16)),
        shared$.pipe(
          mergeMap(({ rec, decoded }) => (decoded.kind === 'change' ? [{ rec, change: decoded.change }] : [])),
          batchedWrites((batch: Item[]) => write$(batch), { maxSize: maxBatchSize, maxMs: maxBatchMs, concurrency: 1 }, scheduler),
        ),
      ),
    ),
  );
}
