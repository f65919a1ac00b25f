import { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { graphBuilder, GraphBuilderDeps, GraphBuilderEffect } from '../../../pipelines/graphBuilder/graphBuilder';
import { encodeNormalizedEvent, encodeNormalizedLog } from '../../../src/avro/normalizedCodec';
import { DLQ_HEADERS } from '../../../src/kafka/deadLetter';
import { Delivered, OutRecord, SourceRecord } from '../../../src/kafka/record';
import type { EventBatch, EventWriteResult } from '../../../src/neo4j/graphStore';
import { EVENTS } from '../../fixtures/graph/incident';

const C = 'acme';
const TOPICS = { events: 'events.normalized', logs: 'logs.normalized', alerts: 'alerts.raw' };

function record(offset: number, key: string, value: Buffer | null, topic = TOPICS.events): SourceRecord & { acked: number } {
  const r = { topic, partition: 0, offset, key: Buffer.from(key), value, headers: {}, timestamp: 0, acked: 0, ack: () => r.acked++ };
  return r;
}
const evt = (i: number, client = C) => record(i, `${client}::evt-e${i}`, encodeNormalizedEvent({ ...EVENTS[0], event_id: `e${i}` }));
const result = (rows: number): EventWriteResult => ({ rows, eventsAdded: rows, causalEdgesAdded: 0, candidates: 0, causalEdges: 0, search: 'memory', deferredEdges: 0, writeMs: 1 });
const written = (records: number): GraphBuilderEffect => ({ kind: 'batch-written', records, ...result(records) });

describe('graphBuilder pipeline', () => {
  let ts: TestScheduler;
  beforeEach(() => (ts = new TestScheduler((a, b) => expect(a).toEqual(b))));

  function setup(write: (b: EventBatch) => Observable<EventWriteResult>, send?: (o: OutRecord) => Observable<Delivered>, isTransient = (_: unknown) => true) {
    const batches: EventBatch[] = [];
    const sent: OutRecord[] = [];
    const deps: GraphBuilderDeps = {
      writeEvents: (b) => {
        batches.push(b);
        return write(b);
      },
      send: (o) => {
        sent.push(o);
        return send ? send(o) : ts.createColdObservable('-d|', { d: { topic: o.topic, partition: 0, offset: 0 } });
      },
      isTransient,
    };
    return { deps, batches, sent };
  }

  it('completes without writing on an empty source', () => {
    let batches: EventBatch[] = [];
    ts.run(({ cold, expectObservable }) => {
      const s = setup(() => cold('-r|', { r: result(0) }));
      batches = s.batches;
      expectObservable(graphBuilder({ records$: cold('|') }, s.deps, { client: C, maxBatchMs: 10 }, ts)).toBe('|');
    });
    // After run(): the scheduler has flushed, so this holds only if nothing was ever written.
    expect(batches).toHaveLength(0);
  });

  it('writes one record after the batch time and acks it only on commit', () => {
    const r = evt(1);
    ts.run(({ hot, cold, expectObservable, flush }) => {
      const { deps, batches } = setup(() => cold('--r|', { r: result(1) }));
      const src = hot('a----|', { a: r });
      expectObservable(graphBuilder({ records$: src }, deps, { client: C, maxBatchMs: 3 }, ts)).toBe('-----w|', { w: written(1) });
      ts.schedule(() => expect(r.acked).toBe(0), 4);
      flush();
      expect(r.acked).toBe(1);
      expect(batches[0].rows.map((x) => x.eid)).toEqual(['evt:e1']);
    });
  });

  it('cuts batches by size, bounds batches in flight, acks each batch on its own commit', () => {
    const rs = [1, 2, 3, 4, 5, 6].map((i) => evt(i));
    ts.run(({ hot, cold, expectObservable }) => {
      const { deps, batches } = setup((b) => cold('----r|', { r: result(b.rows.length) }));
      const src = hot('(abcdef)', { a: rs[0], b: rs[1], c: rs[2], d: rs[3], e: rs[4], f: rs[5] });
      // Three batches of two; at most two in flight, so the third starts when the first commits.
      expectObservable(graphBuilder({ records$: src }, deps, { client: C, maxBatchSize: 2, maxBatchesInFlight: 2, maxBatchMs: 100 }, ts), '^ 20ms !').toBe('----(ww)-w', {
        w: written(2),
      });
      ts.schedule(() => expect(batches).toHaveLength(2), 3);
    });
    expect(rs.every((r) => r.acked === 1)).toBe(true);
  });

  it('acks foreign records at once and counts them, without decoding', () => {
    const foreign = record(1, 'other::evt-x', Buffer.from('not avro'));
    let batches: EventBatch[] = [];
    ts.run(({ hot, cold, expectObservable }) => {
      const s = setup(() => cold('r|', { r: result(0) }));
      batches = s.batches;
      expectObservable(graphBuilder({ records$: hot('a|', { a: foreign }) }, s.deps, { client: C }, ts)).toBe('f|', { f: { kind: 'foreign' } });
    });
    expect(batches).toHaveLength(0);
    expect(foreign.acked).toBe(1);
  });

  it('skips log lines that are not classified errors, acking them', () => {
    const line = record(2, `${C}::log-l1`, encodeNormalizedLog({ log_id: 'l1', timestamp: 1, level: 'info', message: 'ok', pod: null, namespace: null, container: null, node: null, stream: null, template_id: 't', template: 'ok', error_class: null }), TOPICS.logs);
    ts.run(({ hot, cold, expectObservable }) => {
      const { deps } = setup(() => cold('r|', { r: result(0) }));
      expectObservable(graphBuilder({ records$: hot('a|', { a: line }) }, deps, { client: C }, ts)).toBe('s|', { s: { kind: 'skipped', reason: 'log line without an error class' } });
    });
    expect(line.acked).toBe(1);
  });

  it('dead-letters an undecodable record with the reason and acks it after the delivery report', () => {
    const bad = record(7, `${C}::evt-bad`, Buffer.from([0, 0, 0, 0, 99, 1, 2]));
    const sentOut: OutRecord[] = [];
    ts.run(({ hot, cold, expectObservable }) => {
      const { deps, sent } = setup(() => cold('r|', { r: result(0) }));
      expectObservable(graphBuilder({ records$: hot('a|', { a: bad }) }, deps, { client: C }, ts)).toBe('-d|', {
        d: { kind: 'dead-lettered', reason: expect.stringMatching(/^undecodable value/), topic: TOPICS.events, partition: 0, offset: 7 },
      });
      ts.schedule(() => sentOut.push(...sent), 3);
    });
    expect(sentOut[0].topic).toBe('dlq.normalized');
    expect(String(sentOut[0].headers![DLQ_HEADERS.error])).toMatch(/undecodable/);
    expect(bad.acked).toBe(1);
  });

  it('retries a transient failure with backoff and acks only after the retry committed', () => {
    const r = evt(1);
    ts.run(({ hot, cold, expectObservable, flush }) => {
      let calls = 0;
      const { deps } = setup(() => (calls++ === 0 ? cold('-#', undefined, new Error('ServiceUnavailable')) : cold('-r|', { r: result(1) })));
      const src = hot('a|', { a: r });
      expectObservable(graphBuilder({ records$: src }, deps, { client: C, maxBatchMs: 1, retryInitialMs: 5 }, ts)).toBe('--x-----w|', {
        x: { kind: 'write-retry', records: 1, attempt: 1, delayMs: 5, error: 'ServiceUnavailable' },
        w: written(1),
      });
      ts.schedule(() => expect(r.acked).toBe(0), 7);
      flush();
      expect(calls).toBe(2);
    });
    expect(r.acked).toBe(1);
  });

  it('splits a batch on a permanent failure and dead-letters only the offending record', () => {
    const rs = [1, 2, 3].map((i) => evt(i));
    ts.run(({ hot, cold, expectObservable }) => {
      const { deps, sent } = setup(
        (b) => (b.rows.some((x) => x.eid === 'evt:e2') ? cold('#', undefined, new Error('Neo.ClientError.Statement.TypeError')) : cold('r|', { r: result(b.rows.length) })),
        undefined,
        () => false,
      );
      expectObservable(graphBuilder({ records$: hot('(abc|)', { a: rs[0], b: rs[1], c: rs[2] }) }, deps, { client: C, maxBatchMs: 10 }, ts)).toBe('w-dv|', {
        w: written(1),
        d: { kind: 'dead-lettered', reason: 'graph write failed: Neo.ClientError.Statement.TypeError', topic: TOPICS.events, partition: 0, offset: 2 },
        v: written(1),
      });
      ts.schedule(() => expect(sent).toHaveLength(1), 5);
      void sent;
    });
    expect(rs.map((r) => r.acked)).toEqual([1, 1, 1]);
  });

  it('propagates a source error', () => {
    ts.run(({ cold, expectObservable }) => {
      const { deps } = setup(() => cold('r|', { r: result(0) }));
      expectObservable(graphBuilder({ records$: cold('-#', undefined, new Error('broker gone')) }, deps, { client: C }, ts)).toBe('-#', undefined, new Error('broker gone'));
    });
  });

  it('never completes on a never-ending source, and unsubscribing reaches the source', () => {
    ts.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const { deps } = setup(() => cold('r|', { r: result(0) }));
      const src = hot<SourceRecord>('-----');
      expectObservable(graphBuilder({ records$: src }, deps, { client: C, maxBatchMs: 2 }, ts), '^--!').toBe('---');
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
  });
});
