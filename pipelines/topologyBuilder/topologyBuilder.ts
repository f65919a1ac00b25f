import { asyncScheduler, concatMap, connect, defer, from, map, merge, mergeMap, Observable, of, SchedulerLike, toArray } from 'rxjs';
import { AgentTopologyChange, agentOpsOf, ResyncCache } from '../../src/agent/agentTopology';
import { encodeNormalizedEvent, NormalizedEvent } from '../../src/avro/normalizedCodec';
import { formatNormalizedKey } from '../../src/domain/keys';
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
  /** Agent records remembered (key → content hash) so an unchanged 30 s resync costs no write; 0 = off. */
  resyncCacheEntries?: number;
  /** Where the evidence derived from object state goes (as `{client}::evt-{id}`, Avro), for the client's graph builder. */
  eventsTopic?: string;
  /** Most evidence ids remembered as already produced, so unchanged 30-s resyncs produce nothing again. */
  evidenceMemory?: number;
}

export interface TopologyBuilderDeps {
  /** Writes one client's changes in one transaction; emits once committed. */
  writeTopology: (batch: TopologyBatch) => Observable<TopologyWriteResult>;
  send: (record: OutRecord) => Observable<Delivered>;
  isTransient: (err: unknown) => boolean;
}

/** What the topology builder did; `settles` are the records the runner now acknowledges (pipelines/operators/settlement.ts). */
export type TopologyBuilderEffect =
  | { kind: 'topology/dead-lettered'; reason: string; topic: string; partition: number; offset: number; settles: SourceRecord[] }
  /** `evidence`: events derived from the objects' state produced to the events topic with this batch. */
  | { kind: 'topology/batch-written'; records: number; clients: TopologyWriteResult[]; evidence: number; settles: SourceRecord[] }
  /** An agent record identical to what was last written: settled, no write. */
  | { kind: 'topology/unchanged'; settles: SourceRecord[] }
  | WriteRetryEffect<'topology'>;

/**
 * Per-client batches of a list of changes, in arrival order: the last change of a resource wins
 * (the topics are compacted state), and so does the last published edge set of a client. A resource
 * created and deleted within one batch is written and then deleted (it is in both lists; the store
 * applies upserts first): its tombstone keeps the topology its events happened in, as it would had
 * the two changes fallen into different batches (a pod that failed and was replaced within 250 ms).
 */
export function batchesOfChanges(changes: readonly TopologyChange[]): TopologyBatch[] {
  type Entry = { ops: Map<string, TopologyChange>; deletedAfter: Map<string, TopologyChange & { kind: 'upsert' }>; agent: AgentTopologyChange[]; published?: TopologyChange & { kind: 'published' } };
  const byClient = new Map<string, Entry>();
  for (const c of changes) {
    let entry = byClient.get(c.client);
    if (!entry) byClient.set(c.client, (entry = { ops: new Map(), deletedAfter: new Map(), agent: [] }));
    if (c.kind === 'published') entry.published = c;
    else if (c.kind.startsWith('agent-')) entry.agent.push(c as AgentTopologyChange);
    else {
      const rid = c.kind === 'upsert' ? c.row.rid : (c as TopologyChange & { kind: 'delete' }).rid;
      const before = entry.ops.get(rid);
      if (c.kind === 'upsert') entry.deletedAfter.delete(rid);
      else if (before?.kind === 'upsert') entry.deletedAfter.set(rid, before);
      entry.ops.delete(rid);
      entry.ops.set(rid, c);
    }
  }
  return [...byClient].map(([client, e]) => {
    const ops = [...e.ops.values()];
    return {
      client,
      upserts: ops.flatMap((o) => (o.kind === 'upsert' ? [o.row] : o.kind === 'delete' && e.deletedAfter.has(o.rid) ? [e.deletedAfter.get(o.rid)!.row] : [])),
      deletes: ops.flatMap((o) => (o.kind === 'delete' ? [o.rid] : [])),
      ...(e.published ? { published: e.published.edges } : {}),
      ...(e.agent.length > 0 ? { agent: agentOpsOf(e.agent) } : {}),
    };
  });
}

type Item = { rec: SourceRecord; change: TopologyChange };

/**
 * The evidence of a batch's snapshots not produced before (by `client` and event id; a resync
 * repeats the same ids), each once. `seen` is bounded: past `max` ids the oldest are forgotten
 * (and would at worst be produced again, which the graph merges onto the same node).
 */
export function newEvidence(items: ReadonlyArray<{ change: TopologyChange }>, seen: ReadonlySet<string>): Array<{ key: string; client: string; event: NormalizedEvent }> {
  const out = new Map<string, { key: string; client: string; event: NormalizedEvent }>();
  for (const { change } of items) {
    if (change.kind !== 'upsert' || !change.evidence) continue;
    for (const event of change.evidence) {
      const key = `${change.client}\u0000${event.event_id}`;
      if (!seen.has(key) && !out.has(key)) out.set(key, { key, client: change.client, event });
    }
  }
  return [...out.values()];
}

/**
 * The shared topology builder: Kubernetes objects and published edges → Resource nodes and
 * RUNS_ON / CONTROLS / SELECTS edges in the right client's graph. One batch at a time (state must
 * apply in order), one transaction per client in it; then the evidence the objects' status holds
 * ({@link evidenceOfObject}) not produced before goes to the events topic as the client's
 * normalized events, which its graph builder writes and links like any event. Records are settled
 * (by the batch's effect; the runner acknowledges them) after their batch committed and its
 * evidence was delivered. Bad keys or values → dlq.raw with the reason.
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
    resyncCacheEntries = 500_000,
    eventsTopic = TOPICS.eventsNormalized.name,
    evidenceMemory = 200_000,
  } = config;

  const deadLetter$ = (rec: SourceRecord, reason: string): Observable<TopologyBuilderEffect> =>
    deps.send(deadLetter(rec, TOPOLOGY_BUILDER, reason, TOPICS.dlqRaw.name)).pipe(
      map(() => ({ kind: 'topology/dead-lettered' as const, reason, topic: rec.topic, partition: rec.partition, offset: rec.offset, settles: [rec] })),
    );

  // Per run of the pipeline (one subscription): the evidence ids already produced, and what this
  // run last wrote of the agent's records (an unchanged resync costs no write).
  return defer(() => {
    const seen = new Set<string>();
    const cache = new ResyncCache(resyncCacheEntries);
    const unchanged = (d: ReturnType<typeof decodeTopologyRecord>) => d.kind === 'change' && d.change.kind.startsWith('agent-') && cache.unchanged(d.change as AgentTopologyChange);
    const produce$ = (evidence: ReturnType<typeof newEvidence>): Observable<number> =>
      evidence.length === 0
        ? of(0)
        : from(evidence).pipe(
            mergeMap((e) => deps.send({ topic: eventsTopic, key: formatNormalizedKey(e.client, 'evt', e.event.event_id), value: encodeNormalizedEvent(e.event) }), 64),
            toArray(),
            map(() => {
              for (const e of evidence) {
                seen.add(e.key);
                if (seen.size > evidenceMemory) seen.delete(seen.values().next().value as string);
              }
              return evidence.length;
            }),
          );

    // The topology written, then its new evidence delivered: a failure of either retries (transient) or splits the batch.
    const write$ = writeOrSplit<Item, { clients: TopologyWriteResult[]; evidence: number }, TopologyBuilderEffect, 'topology'>(
      {
        source: 'topology',
        write: (items) =>
          from(batchesOfChanges(items.map((i) => i.change))).pipe(
            concatMap((b) => deps.writeTopology(b)),
            toArray(),
            mergeMap((clients) => produce$(newEvidence(items, seen)).pipe(map((evidence) => ({ clients, evidence })))),
          ),
        written: (items, { clients, evidence }) => {
          for (const i of items) if (i.change.kind.startsWith('agent-')) cache.written(i.change as AgentTopologyChange);
          return { kind: 'topology/batch-written', records: items.length, clients, evidence, settles: items.map((i) => i.rec) };
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
            mergeMap(({ rec, decoded }): TopologyBuilderEffect[] => (unchanged(decoded) ? [{ kind: 'topology/unchanged', settles: [rec] }] : [])),
          ),
          shared$.pipe(
            mergeMap(({ rec, decoded }) => (decoded.kind === 'change' && !unchanged(decoded) ? [{ rec, change: decoded.change }] : [])),
            batchedWrites((batch: Item[]) => write$(batch), { maxSize: maxBatchSize, maxMs: maxBatchMs, concurrency: 1 }, scheduler),
          ),
        ),
      ),
    );
  });
}
