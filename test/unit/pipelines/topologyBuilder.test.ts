import { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { batchesOfChanges, topologyBuilder, TopologyBuilderDeps } from '../../../pipelines/topologyBuilder/topologyBuilder';
import { decodeTopologyRecord } from '../../../pipelines/topologyBuilder/decodeTopologyRecord';
import { SourceRecord } from '../../../src/kafka/record';
import type { TopologyBatch, TopologyWriteResult } from '../../../src/neo4j/graphStore';
import { OBJECTS } from '../../fixtures/graph/incident';

const T = { resources: 'state.k8s.resource', topology: 'state.k8s.topology' };
function record(offset: number, key: string, value: unknown, topic = T.resources): SourceRecord & { acked: number } {
  const r = { topic, partition: 0, offset, key: Buffer.from(key), value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), headers: {}, timestamp: 0, acked: 0, ack: () => r.acked++ };
  return r;
}
const pod = OBJECTS.find((o) => o.kind === 'Pod')!;
const svc = OBJECTS.find((o) => o.kind === 'Service')!;

describe('decodeTopologyRecord', () => {
  it('reads upserts, tombstones and published edges, with the client from the key', () => {
    expect(decodeTopologyRecord(record(0, 'acme::Pod::shop/web-7d9-abc', pod.object), T)).toMatchObject({ kind: 'change', change: { kind: 'upsert', client: 'acme', row: { rid: 'Pod/shop/web-7d9-abc', runsOn: 'Node//n1' } } });
    expect(decodeTopologyRecord(record(0, 'acme::Pod::shop/gone', null), T)).toEqual({ kind: 'change', change: { kind: 'delete', client: 'acme', rid: 'Pod/shop/gone' } });
    expect(decodeTopologyRecord(record(0, 'acme::topology', { edges: [] }, T.topology), T)).toEqual({ kind: 'change', change: { kind: 'published', client: 'acme', edges: [] } });
  });
  it('rejects bad keys and values with a reason', () => {
    expect(decodeTopologyRecord(record(0, 'Bad::Pod::shop/x', pod.object), T)).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/invalid client id/) });
    expect(decodeTopologyRecord(record(0, 'acme::Pod::shop/x', '{nope'), T)).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/invalid JSON/) });
    expect(decodeTopologyRecord(record(0, 'acme::Pod::a/b/c', pod.object), T)).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/does not name a resource/) });
  });
});

describe('batchesOfChanges', () => {
  it('groups per client and keeps the last change of each resource', () => {
    const changes = [
      decodeTopologyRecord(record(0, 'acme::Pod::shop/web-7d9-abc', pod.object), T),
      decodeTopologyRecord(record(1, 'beta::Service::shop/web', svc.object), T),
      decodeTopologyRecord(record(2, 'acme::Pod::shop/web-7d9-abc', null), T),
    ].map((d) => (d.kind === 'change' ? d.change : (null as never)));
    expect(batchesOfChanges(changes)).toEqual([
      { client: 'acme', upserts: [], deletes: ['Pod/shop/web-7d9-abc'] },
      { client: 'beta', upserts: [expect.objectContaining({ rid: 'Service/shop/web' })], deletes: [] },
    ]);
  });
});

describe('topologyBuilder pipeline', () => {
  let ts: TestScheduler;
  beforeEach(() => (ts = new TestScheduler((a, b) => expect(a).toEqual(b))));
  const res = (b: TopologyBatch): TopologyWriteResult => ({ client: b.client, upserted: b.upserts.length, deleted: b.deletes.length, writeMs: 1 });

  function deps(write: (b: TopologyBatch) => Observable<TopologyWriteResult>): TopologyBuilderDeps & { batches: TopologyBatch[] } {
    const batches: TopologyBatch[] = [];
    return {
      batches,
      writeTopology: (b) => {
        batches.push(b);
        return write(b);
      },
      send: (o) => ts.createColdObservable('-d|', { d: { topic: o.topic, partition: 0, offset: 0 } }),
      isTransient: () => true,
    };
  }

  it('completes on an empty source', () => {
    ts.run(({ cold, expectObservable }) => {
      expectObservable(topologyBuilder({ records$: cold('|') }, deps((b) => cold('r|', { r: res(b) })), {}, ts)).toBe('|');
    });
  });

  it('writes one transaction per client of a batch, in order, and acks after all committed', () => {
    const a = record(0, 'acme::Pod::shop/web-7d9-abc', pod.object);
    const b = record(1, 'beta::Service::shop/web', svc.object);
    ts.run(({ hot, cold, expectObservable, flush }) => {
      const d = deps((x) => cold('--r|', { r: res(x) }));
      expectObservable(topologyBuilder({ records$: hot('(ab)---|', { a, b }) }, d, { maxBatchMs: 2 }, ts)).toBe('--------(w|)', {
        w: { kind: 'batch-written', records: 2, clients: [{ client: 'acme', upserted: 1, deleted: 0, writeMs: 1 }, { client: 'beta', upserted: 1, deleted: 0, writeMs: 1 }] },
      });
      ts.schedule(() => expect(a.acked + b.acked).toBe(0), 6);
      flush();
      expect(d.batches.map((x) => x.client)).toEqual(['acme', 'beta']);
    });
    expect([a.acked, b.acked]).toEqual([1, 1]);
  });

  it('dead-letters a bad record to dlq.raw and goes on', () => {
    const bad = record(3, 'acme::Pod::shop/x', '{nope');
    ts.run(({ hot, cold, expectObservable }) => {
      expectObservable(topologyBuilder({ records$: hot('a|', { a: bad }) }, deps((b) => cold('r|', { r: res(b) })), {}, ts)).toBe('-d|', {
        d: { kind: 'dead-lettered', reason: expect.stringMatching(/invalid JSON/), topic: T.resources, partition: 0, offset: 3 },
      });
    });
    expect(bad.acked).toBe(1);
  });

  it('retries a transient failure', () => {
    const a = record(0, 'acme::Pod::shop/web-7d9-abc', pod.object);
    ts.run(({ hot, cold, expectObservable }) => {
      let n = 0;
      const d = deps((b) => (n++ === 0 ? cold('#', undefined, new Error('down')) : cold('r|', { r: res(b) })));
      expectObservable(topologyBuilder({ records$: hot('a|', { a }) }, d, { maxBatchMs: 1, retryInitialMs: 3 }, ts)).toBe('-x---(w|)', {
        x: { kind: 'write-retry', records: 1, attempt: 1, delayMs: 3, error: 'down' },
        w: { kind: 'batch-written', records: 1, clients: [{ client: 'acme', upserted: 1, deleted: 0, writeMs: 1 }] },
      });
    });
    expect(a.acked).toBe(1);
  });

  it('never completes on a never-ending source; unsubscribe reaches the source', () => {
    ts.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const src = hot<SourceRecord>('----');
      expectObservable(topologyBuilder({ records$: src }, deps((b) => cold('r|', { r: res(b) })), {}, ts), '^--!').toBe('---');
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
  });
});
