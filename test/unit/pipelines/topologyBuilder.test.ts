import { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { batchesOfChanges, topologyBuilder, TopologyBuilderDeps, TopologyBuilderEffect } from '../../../pipelines/topologyBuilder/topologyBuilder';
import { decodeTopologyRecord } from '../../../pipelines/topologyBuilder/decodeTopologyRecord';
import { SourceRecord } from '../../../src/kafka/record';
import type { TopologyBatch, TopologyWriteResult } from '../../../src/neo4j/graphStore';
import { decodeNormalizedEvent } from '../../../src/avro/normalizedCodec';
import { OutRecord } from '../../../src/kafka/record';
import { OBJECTS } from '../../fixtures/graph/incident';

const T = { resources: 'state.k8s.resource', topology: 'state.k8s.topology' };
/** A record as the source hands it out. The pipeline never acknowledges it: the effects settle it (`settles`). */
function record(offset: number, key: string, value: unknown, topic = T.resources): SourceRecord {
  const ack = () => {
    throw new Error('acknowledged by the pipeline');
  };
  return { topic, partition: 0, offset, key: Buffer.from(key), value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), headers: {}, timestamp: 0, ack };
}
const acme = { client: 'acme', upserted: 1, deleted: 0, writeMs: 1 };
/** The effect of a committed batch: it settles exactly these records. */
const written = (clients: TopologyWriteResult[], evidence: number, ...settles: SourceRecord[]): TopologyBuilderEffect => ({ kind: 'topology/batch-written', records: settles.length, clients, evidence, settles });
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
  it('groups per client and keeps the last change of each resource; one created and deleted in the batch is written, then deleted', () => {
    const changes = [
      decodeTopologyRecord(record(0, 'acme::Pod::shop/web-7d9-abc', pod.object), T),
      decodeTopologyRecord(record(1, 'beta::Service::shop/web', svc.object), T),
      decodeTopologyRecord(record(2, 'acme::Pod::shop/web-7d9-abc', null), T),
      decodeTopologyRecord(record(3, 'beta::Service::shop/web', null), T),
      decodeTopologyRecord(record(4, 'beta::Service::shop/web', { ...svc.object, metadata: { ...(svc.object.metadata as object), labels: { app: 'web', v: '2' } } }), T),
    ].map((d) => (d.kind === 'change' ? d.change : (null as never)));
    expect(batchesOfChanges(changes)).toEqual([
      // The pod's tombstone keeps the node, owner and claims its events need (the store writes upserts, then deletes).
      { client: 'acme', upserts: [expect.objectContaining({ rid: 'Pod/shop/web-7d9-abc', runsOn: 'Node//n1' })], deletes: ['Pod/shop/web-7d9-abc'] },
      // Deleted, then created again: only the last upsert.
      { client: 'beta', upserts: [expect.objectContaining({ rid: 'Service/shop/web', labels: expect.arrayContaining(['v=2']) })], deletes: [] },
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

  it('writes one transaction per client of a batch, in order, and settles after all committed', () => {
    const a = record(0, 'acme::Pod::shop/web-7d9-abc', pod.object);
    const b = record(1, 'beta::Service::shop/web', svc.object);
    let clients: string[] = [];
    ts.run(({ hot, cold, expectObservable }) => {
      const d = deps((x) => (clients.push(x.client), cold('--r|', { r: res(x) })));
      const src = hot('       (ab)---|', { a, b });
      // Cut at 2; acme commits at 5, then beta at 8: one effect, settling both, at 8.
      const expected = '      --------(w|)';
      expectObservable(topologyBuilder({ records$: src }, d, { maxBatchMs: 2 }, ts)).toBe(expected, {
        w: written([acme, { ...acme, client: 'beta' }], 0, a, b),
      });
    });
    expect(clients).toEqual(['acme', 'beta']);
  });

  it('dead-letters a bad record to dlq.raw and goes on', () => {
    const bad = record(3, 'acme::Pod::shop/x', '{nope');
    ts.run(({ hot, cold, expectObservable }) => {
      const src = hot('       a|', { a: bad });
      const expected = '      -d|';
      expectObservable(topologyBuilder({ records$: src }, deps((b) => cold('r|', { r: res(b) })), {}, ts)).toBe(expected, {
        d: { kind: 'topology/dead-lettered', reason: expect.stringMatching(/invalid JSON/), topic: T.resources, partition: 0, offset: 3, settles: [bad] },
      });
    });
  });

  it('retries a transient failure; only the write that committed settles', () => {
    const a = record(0, 'acme::Pod::shop/web-7d9-abc', pod.object);
    ts.run(({ hot, cold, expectObservable }) => {
      let n = 0;
      const d = deps((b) => (n++ === 0 ? cold('#', undefined, new Error('down')) : cold('r|', { r: res(b) })));
      const src = hot('       a|', { a });
      const expected = '      -x---(w|)';
      expectObservable(topologyBuilder({ records$: src }, d, { maxBatchMs: 1, retryInitialMs: 3 }, ts)).toBe(expected, {
        x: { kind: 'topology/write-retry', records: 1, attempt: 1, delayMs: 3, error: 'down' },
        w: written([acme], 0, a),
      });
    });
  });

  it('never completes on a never-ending source; unsubscribe reaches the source', () => {
    ts.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const src = hot<SourceRecord>('----');
      expectObservable(topologyBuilder({ records$: src }, deps((b) => cold('r|', { r: res(b) })), {}, ts), '^--!').toBe('---');
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
  });

  it('produces the evidence of an object snapshot to the events topic once, and settles after it was delivered', () => {
    const crashing = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'api-1', namespace: 'shop', uid: 'u-api-1' },
      spec: { nodeName: 'n1' },
      status: { phase: 'Running', containerStatuses: [{ name: 'api', restartCount: 1, state: { running: { startedAt: '2026-12-01T09:00:05Z' } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-12-01T09:00:04Z' } } }] },
    };
    // The same snapshot three times: first sight, a resync in the same batch, a resync in a later batch.
    const a = record(0, 'acme::Pod::shop/api-1', crashing);
    const b = record(1, 'acme::Pod::shop/api-1', crashing);
    const c = record(2, 'acme::Pod::shop/api-1', crashing);
    const sent: OutRecord[] = [];
    ts.run(({ hot, cold, expectObservable }) => {
      const d = deps((x) => cold('r|', { r: res(x) }));
      d.send = (o) => {
        sent.push(o);
        return cold('--d|', { d: { topic: o.topic, partition: 0, offset: 0 } });
      };
      const src = hot('       (ab)----c|', { a, b, c });
      // The batch (a, b) is written first, then its evidence is delivered: the effect settling a and b comes after both, at 5.
      const expected = '      -----w----(v|)';
      expectObservable(topologyBuilder({ records$: src }, d, { maxBatchMs: 1, eventsTopic: 'events.test' }, ts)).toBe(expected, {
        w: written([acme], 2, a, b),
        v: written([acme], 0, c),
      });
    });
    expect(sent.map((o) => [o.topic, String(o.key).replace(/state:[0-9a-f]{32}/, 'state:ID')])).toEqual([
      ['events.test', 'acme::evt-state:ID'],
      ['events.test', 'acme::evt-state:ID'],
    ]);
    expect(sent.map((o) => decodeNormalizedEvent(o.value as Buffer).reason)).toEqual(['OOMKilled', 'Restarted']);
    expect(decodeNormalizedEvent(sent[0].value as Buffer)).toMatchObject({ object_kind: 'Pod', object_name: 'api-1', timestamp: Date.parse('2026-12-01T09:00:04Z'), source_format: 'state' });
  });
});
