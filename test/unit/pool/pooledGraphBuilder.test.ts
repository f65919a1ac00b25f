import { Observable, of, toArray, lastValueFrom } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { graphBuilder, GraphBuilderEffect } from '../../../pipelines/graphBuilder/graphBuilder';
import { pooledGraphBuilder, PooledGraphEffect } from '../../../pipelines/pool/pooledGraphBuilder';
import { encodeNormalizedEvent } from '../../../src/avro/normalizedCodec';
import { formatNormalizedKey } from '../../../src/domain/keys';
import { DLQ_HEADERS } from '../../../src/kafka/deadLetter';
import { Delivered, OutRecord, SourceRecord } from '../../../src/kafka/record';
import type { EventBatch, EventWriteResult } from '../../../src/neo4j/graphStore';
import { routePooledRecord } from '../../../src/tenancy/poolTopics';
import { graphPoolTopics, loadPooledGraphBuilderSettings } from '../../../src/commands/graph-builder-pool';
import { EVENTS } from '../../fixtures/graph/incident';

const pool = graphPoolTopics('');

function rec(topic: string, partition: number, offset: number, key: string | null, value: Buffer): SourceRecord {
  return { topic, partition, offset, key: key === null ? null : Buffer.from(key), value, headers: {}, timestamp: 1_714_557_600_000, ack: () => undefined };
}

const eventRec = (client: string, i: number, offset: number, topicClient = client) =>
  rec(`events.normalized.${topicClient}`, 0, offset, formatNormalizedKey(client, 'evt', EVENTS[i].event_id), encodeNormalizedEvent(EVENTS[i]));

const written: Array<{ client: string; eids: string[] }> = [];
const writeEvents = (b: EventBatch): Observable<EventWriteResult> => {
  written.push({ client: b.client, eids: b.rows.map((r) => r.eid).sort() });
  return of({ rows: b.rows.length, eventsAdded: b.rows.length, causalEdgesAdded: 0, candidates: 0, causalEdges: 0, search: 'memory', deferredEdges: 0, writeMs: 1 } as EventWriteResult);
};

describe('routePooledRecord (literals)', () => {
  const bases = pool.bases;
  const shared = pool.shared;
  it('a per-client topic names its client; an invalid one and an unknown topic name none, with the reason', () => {
    expect(routePooledRecord('events.normalized.acme', null, null, bases, shared, {})).toEqual({ ok: true, client: 'acme' });
    expect(routePooledRecord('alerts.raw.globex', 'acme::alert::x', null, bases, shared, {})).toEqual({ ok: true, client: 'globex' });
    expect(routePooledRecord('logs.normalized.ACME', null, null, bases, shared, {})).toMatchObject({ ok: false, reason: expect.stringMatching(/^topic logs\.normalized\.ACME does not name a valid client/) });
    expect(routePooledRecord('raw.k8s.events.acme', null, null, bases, shared, {})).toMatchObject({ ok: false, reason: expect.stringMatching(/neither a per-client topic/) });
  });
  it('a shared agent topic routes by key prefix, DEFAULT_CLIENT_ID for a key naming none', () => {
    expect(routePooledRecord('raw.prom.alerts', 'acme::alert::fp1', null, bases, shared, {})).toEqual({ ok: true, client: 'acme' });
    expect(routePooledRecord('state.prom.targets', 'job/instance', null, bases, shared, { defaultClient: 'solo' })).toEqual({ ok: true, client: 'solo' });
    expect(routePooledRecord('state.prom.targets', 'job/instance', null, bases, shared, {})).toMatchObject({ ok: false, reason: expect.stringMatching(/DEFAULT_CLIENT_ID is unset/) });
  });
  it('a prefix moves every topic the pool reads (tests and benchmarks on a shared broker)', () => {
    const t = graphPoolTopics('t1-');
    expect(t.bases).toEqual(['t1-events.normalized', 't1-logs.normalized', 't1-alerts.raw']);
    expect(t.of('acme')).toEqual({ events: 't1-events.normalized.acme', logs: 't1-logs.normalized.acme', alerts: 't1-alerts.raw.acme', rawPromAlerts: 't1-raw.prom.alerts', promTargets: 't1-state.prom.targets' });
  });
  it('settings: pooled needs TENANCY=routed; the in-flight bound over all clients defaults to 4 clients’ worth', () => {
    expect(() => loadPooledGraphBuilderSettings({ WORKER_MODE: 'pooled' })).toThrow(/WORKER_MODE: pooled needs TENANCY=routed/);
    expect(loadPooledGraphBuilderSettings({ TENANCY: 'routed', WORKER_MODE: 'pooled' })).toMatchObject({ groupId: 'graph-builder-pool', poolMaxInFlight: 32_000, maxInFlight: 8000, topicPrefix: '' });
  });
});

describe('pooledGraphBuilder', () => {
  beforeEach(() => void (written.length = 0));

  it("gives each client its own graph builder: a client's batches hold only its events, an invalid topic is dead-lettered once", async () => {
    const sent: OutRecord[] = [];
    const send = (o: OutRecord): Observable<Delivered> => (sent.push(o), of({ topic: o.topic, partition: 0, offset: sent.length }));
    const bad = rec('events.normalized.Not_A_Client', 1, 7, 'x::evt::1', Buffer.from('whatever'));
    const records = [eventRec('acme', 0, 0), eventRec('globex', 1, 0), eventRec('acme', 2, 1), bad, eventRec('globex', 3, 1), eventRec('acme', 0, 2, 'globex')];
    const started: string[] = [];
    const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
    const effects: Array<PooledGraphEffect<GraphBuilderEffect>> = [];
    scheduler.run(({ cold, flush }) => {
      const records$ = cold<SourceRecord>('a-b-c-d-e-f|', { a: records[0], b: records[1], c: records[2], d: records[3], e: records[4], f: records[5] });
      pooledGraphBuilder(
        records$,
        { send },
        { bases: pool.bases, shared: pool.shared, tenancy: {}, idleMs: 60_000 },
        (client, r$) => {
          started.push(client);
          return graphBuilder({ records$: r$ }, { writeEvents, send, isTransient: () => false }, { client, topics: pool.of(client), maxBatchMs: 100 }, scheduler);
        },
        scheduler,
      ).subscribe((e) => effects.push(e));
      flush();
    });
    expect(started).toEqual(['acme', 'globex']);
    expect(written.sort((a, b) => a.client.localeCompare(b.client))).toEqual([
      { client: 'acme', eids: [EVENTS[0].event_id, EVENTS[2].event_id].map((id) => `evt:${id}`).sort() },
      { client: 'globex', eids: [EVENTS[1].event_id, EVENTS[3].event_id].map((id) => `evt:${id}`).sort() },
    ]);
    // acme's key on globex's topic: globex's builder sees a foreign record (settled, not written).
    expect(effects.filter((e) => e.kind === 'graph/foreign').map((e) => (e as { client: string }).client)).toEqual(['globex']);
    const dead = effects.filter((e) => e.kind === 'graph-pool/dead-lettered');
    expect(dead).toEqual([expect.objectContaining({ topic: 'events.normalized.Not_A_Client', partition: 1, offset: 7, settles: [bad], reason: expect.stringMatching(/does not name a valid client/) })]);
    expect(sent.map((o) => o.topic)).toEqual(['dlq.normalized']);
    expect(sent[0].headers).toMatchObject({ [DLQ_HEADERS.error]: expect.stringMatching(/does not name a valid client/), [DLQ_HEADERS.component]: 'graph-builder-pool', [DLQ_HEADERS.sourceOffset]: '7' });
    // Every record is settled exactly once.
    const settled = effects.flatMap((e) => ('settles' in e ? e.settles : []));
    expect(settled).toHaveLength(records.length);
    expect(new Set(settled).size).toBe(records.length);
    // The source ended: each client's pipeline ended after its writes, and was released.
    expect(effects.filter((e) => e.kind === 'graph-pool/client-released').map((e) => (e as { client: string }).client).sort()).toEqual(['acme', 'globex']);
  });

  it('a client quiet for idleMs is released once its last batch is settled; its next record starts a new pipeline', () => {
    const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
    const seen: string[] = [];
    scheduler.run(({ cold, flush }) => {
      const records$ = cold<SourceRecord>('a 1500ms b 500ms |', { a: eventRec('acme', 0, 0), b: eventRec('acme', 1, 1) });
      let pipelines = 0;
      pooledGraphBuilder(
        records$,
        { send: () => of({ topic: '', partition: 0, offset: 0 }) },
        { bases: pool.bases, shared: pool.shared, tenancy: {}, idleMs: 1000 },
        (client, r$) => {
          const n = ++pipelines;
          seen.push(`${scheduler.now()} start ${client} #${n}`);
          return graphBuilder({ records$: r$ }, { writeEvents, send: () => of({ topic: '', partition: 0, offset: 0 }), isTransient: () => false }, { client, topics: pool.of(client), maxBatchMs: 100 }, scheduler);
        },
        scheduler,
      ).subscribe((e) => {
        if (e.kind === 'graph-pool/client-released' || e.kind === 'graph/batch-written') seen.push(`${scheduler.now()} ${e.kind} ${e.client}`);
      });
      flush();
    });
    expect(seen).toEqual([
      '0 start acme #1',
      '100 graph/batch-written acme',
      '1000 graph-pool/client-released acme',
      '1501 start acme #2',
      '1601 graph/batch-written acme',
      '2002 graph-pool/client-released acme',
    ]);
  });

  it('keeps each partition in order within its client', async () => {
    const order: string[] = [];
    const records = [0, 1, 2, 3, 4].map((i) => eventRec('acme', i % EVENTS.length, i));
    await lastValueFrom(
      pooledGraphBuilder(of(...records), { send: () => of({ topic: '', partition: 0, offset: 0 }) }, { bases: pool.bases, shared: pool.shared, tenancy: {}, idleMs: 60_000 }, (_c, r$) => r$).pipe(toArray()),
    ).then((out) => out.forEach((r) => (r as { kind?: string }).kind === undefined && order.push(String((r as unknown as SourceRecord).offset))));
    expect(order).toEqual(['0', '1', '2', '3', '4']);
  });
});
