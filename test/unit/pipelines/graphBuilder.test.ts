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

/** A record as the source hands it out. The pipeline never acknowledges it: the effects settle it (`settles`). */
function record(offset: number, key: string, value: Buffer | null, topic = TOPICS.events): SourceRecord {
  const ack = () => {
    throw new Error('acknowledged by the pipeline');
  };
  return { topic, partition: 0, offset, key: Buffer.from(key), value, headers: {}, timestamp: 0, ack };
}
const evt = (i: number, client = C) => record(i, `${client}::evt-e${i}`, encodeNormalizedEvent({ ...EVENTS[0], event_id: `e${i}` }));
const result = (rows: number): EventWriteResult => ({ rows, eventsAdded: rows, causalEdgesAdded: 0, candidates: 0, causalEdges: 0, search: 'memory', deferredEdges: 0, writeMs: 1 });
/** The effect of a committed batch: it settles exactly these records. */
const written = (...settles: SourceRecord[]): GraphBuilderEffect => ({ kind: 'graph/batch-written', records: settles.length, ...result(settles.length), settles });

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

  it('writes one record after the batch time and settles it only on commit', () => {
    const r = evt(1);
    let batches: EventBatch[] = [];
    ts.run(({ hot, cold, expectObservable }) => {
      const s = setup(() => cold('--r|', { r: result(1) }));
      batches = s.batches;
      const src = hot('       a----|', { a: r });
      const expected = '      -----w|';
      // Cut at 3 (maxBatchMs), committed at 5: the one effect settling r comes with the commit.
      expectObservable(graphBuilder({ records$: src }, s.deps, { client: C, maxBatchMs: 3 }, ts)).toBe(expected, { w: written(r) });
    });
    expect(batches.map((b) => b.rows.map((x) => x.eid))).toEqual([['evt:e1']]);
  });

  it('cuts batches by size, bounds batches in flight, settles each batch on its own commit', () => {
    const [a, b, c, d, e, f] = [1, 2, 3, 4, 5, 6].map((i) => evt(i));
    const startedBy3: number[] = [];
    ts.run(({ hot, cold, expectObservable }) => {
      const { deps, batches } = setup((batch) => cold('----r|', { r: result(batch.rows.length) }));
      const src = hot('       (abcdef)', { a, b, c, d, e, f });
      const sub = '          ^ 20ms !';
      const expected = '      ----(xy)-z';
      // Three batches of two; at most two in flight, so the third starts when the first commits (at 4).
      const config = { client: C, maxBatchSize: 2, maxBatchesInFlight: 2, maxBatchMs: 100 };
      expectObservable(graphBuilder({ records$: src }, deps, config, ts), sub).toBe(expected, {
        x: written(a, b),
        y: written(c, d),
        z: written(e, f),
      });
      ts.schedule(() => startedBy3.push(batches.length), 3);
    });
    expect(startedBy3).toEqual([2]);
  });

  it('settles foreign records at once and counts them, without decoding', () => {
    const foreign = record(1, 'other::evt-x', Buffer.from('not avro'));
    let batches: EventBatch[] = [];
    ts.run(({ hot, cold, expectObservable }) => {
      const s = setup(() => cold('r|', { r: result(0) }));
      batches = s.batches;
      const src = hot('       a|', { a: foreign });
      const expected = '      f|';
      expectObservable(graphBuilder({ records$: src }, s.deps, { client: C }, ts)).toBe(expected, {
        f: { kind: 'graph/foreign', settles: [foreign] },
      });
    });
    expect(batches).toHaveLength(0);
  });

  it('skips log lines that are not classified errors, settling them', () => {
    const line = record(2, `${C}::log-l1`, encodeNormalizedLog({ log_id: 'l1', timestamp: 1, level: 'info', message: 'ok', pod: null, namespace: null, container: null, node: null, stream: null, template_id: 't', template: 'ok', error_class: null }), TOPICS.logs);
    ts.run(({ hot, cold, expectObservable }) => {
      const { deps } = setup(() => cold('r|', { r: result(0) }));
      const src = hot('       a|', { a: line });
      const expected = '      s|';
      expectObservable(graphBuilder({ records$: src }, deps, { client: C }, ts)).toBe(expected, {
        s: { kind: 'graph/skipped', reason: 'log line without an error class', settles: [line] },
      });
    });
  });

  it('dead-letters an undecodable record with the reason and settles it after the delivery report', () => {
    const bad = record(7, `${C}::evt-bad`, Buffer.from([0, 0, 0, 0, 99, 1, 2]));
    let sentOut: OutRecord[] = [];
    ts.run(({ hot, cold, expectObservable }) => {
      const s = setup(() => cold('r|', { r: result(0) }));
      sentOut = s.sent;
      const src = hot('       a|', { a: bad });
      // The delivery report of the dead letter comes at 1 (setup's send): the effect settling it too.
      const expected = '      -d|';
      expectObservable(graphBuilder({ records$: src }, s.deps, { client: C }, ts)).toBe(expected, {
        d: { kind: 'graph/dead-lettered', reason: expect.stringMatching(/^undecodable value/), topic: TOPICS.events, partition: 0, offset: 7, settles: [bad] },
      });
    });
    expect(sentOut.map((o) => o.topic)).toEqual(['dlq.normalized']);
    expect(String(sentOut[0].headers![DLQ_HEADERS.error])).toMatch(/undecodable/);
  });

  it('retries a transient failure with backoff and settles only after the retry committed', () => {
    const r = evt(1);
    let calls = 0;
    ts.run(({ hot, cold, expectObservable }) => {
      const { deps } = setup(() => (calls++ === 0 ? cold('-#', undefined, new Error('ServiceUnavailable')) : cold('-r|', { r: result(1) })));
      const src = hot('       a|', { a: r });
      // Failed at 2, retried at 7 (5 ms backoff), committed at 8: the retry settles nothing, the commit settles r.
      const expected = '      --x-----w|';
      expectObservable(graphBuilder({ records$: src }, deps, { client: C, maxBatchMs: 1, retryInitialMs: 5 }, ts)).toBe(expected, {
        x: { kind: 'graph/write-retry', records: 1, attempt: 1, delayMs: 5, error: 'ServiceUnavailable' },
        w: written(r),
      });
    });
    expect(calls).toBe(2);
  });

  it('splits a batch on a permanent failure and dead-letters only the offending record', () => {
    const [a, b, c] = [1, 2, 3].map((i) => evt(i));
    let sent: OutRecord[] = [];
    ts.run(({ hot, cold, expectObservable }) => {
      const refuses = (batch: EventBatch) => batch.rows.some((x) => x.eid === 'evt:e2');
      const s = setup((batch) => (refuses(batch) ? cold('#', undefined, new Error('Neo.ClientError.Statement.TypeError')) : cold('r|', { r: result(batch.rows.length) })), undefined, () => false);
      sent = s.sent;
      const src = hot('       (abc|)', { a, b, c });
      // [a b c] fails → [a b] fails → [a] written, [b] alone dead-lettered (delivered at 2), then [c] written.
      const expected = '      w-dv|';
      expectObservable(graphBuilder({ records$: src }, s.deps, { client: C, maxBatchMs: 10 }, ts)).toBe(expected, {
        w: written(a),
        d: { kind: 'graph/dead-lettered', reason: 'graph write failed: Neo.ClientError.Statement.TypeError', topic: TOPICS.events, partition: 0, offset: 2, settles: [b] },
        v: written(c),
      });
    });
    expect(sent.map((o) => o.topic)).toEqual(['dlq.normalized']);
  });

  it('propagates a source error', () => {
    ts.run(({ cold, expectObservable }) => {
      const { deps } = setup(() => cold('r|', { r: result(0) }));
      const src = cold<SourceRecord>('      -#', undefined, new Error('broker gone'));
      const expected = '      -#';
      expectObservable(graphBuilder({ records$: src }, deps, { client: C }, ts)).toBe(expected, undefined, new Error('broker gone'));
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
