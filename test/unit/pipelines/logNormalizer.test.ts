import { TestScheduler } from 'rxjs/testing';
import { logNormalizer } from '../../../pipelines/logNormalizer/logNormalizer';
import { decodeNormalizedLog } from '../../../src/avro/normalizedCodec';
import { Delivered, OutRecord, SourceRecord } from '../../../src/kafka/record';

const C = 'acme';
const config = { clientId: C, outputTopic: 'logs.normalized', maxValueBytes: 4096, maxMessageChars: 4096, progressEveryRecords: 1000, progressIntervalMs: 1000, templateMaxClusters: 100 };
const delivered: Delivered = { topic: 't', partition: 0, offset: 0 };

/** The pipeline never acknowledges a record: the batch effects settle them. */
function rec(offset: number, key: string, value: string): SourceRecord {
  const ack = () => {
    throw new Error('acknowledged by the pipeline');
  };
  return { topic: 'raw.k8s.logs', partition: 1, offset, key: Buffer.from(key), value: Buffer.from(value), headers: {}, timestamp: 5, ack };
}

describe('logNormalizer (marbles)', () => {
  it('mines one template across lines, skips foreign records, dead-letters unknown JSON, reports progress at the end', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ hot, cold, expectObservable, expectSubscriptions, flush }) => {
      const vector = (ip: string) => JSON.stringify({ message: `dial tcp ${ip}:5432: connect: connection refused`, stream: 'stderr', kubernetes: { pod_name: 'api', pod_namespace: 'shop' } });
      const recs = {
        a: rec(1, `${C}::log::l1`, vector('10.0.0.1')),
        b: rec(2, `zeta::log::l2`, vector('10.0.0.9')),
        c: rec(3, `${C}::log::l3`, vector('10.0.0.2')),
        d: rec(4, `${C}::log::l4`, '{"foo":1}'),
      };
      // The miner's state carries across batches: l1 in the first, l3 in the second.
      const batches$ = hot('x---y-|', { x: [recs.a, recs.b], y: [recs.c, recs.d] });
      const sent: OutRecord[] = [];
      const out$ = logNormalizer({ batches$ }, { sendBatch: (o) => (sent.push(...o), cold('-x|', { x: o.map(() => delivered) })) }, config);
      expectObservable(out$).toBe('-x---y(p|)', {
        x: { kind: 'normalizer/batch', records: 2, normalized: 1, foreign: 1, deadLettered: [], settles: [recs.a, recs.b] },
        y: {
          kind: 'normalizer/batch',
          records: 2,
          normalized: 1,
          foreign: 0,
          deadLettered: [{ cause: 'content', reason: expect.stringMatching(/^unknown log shape/), partition: 1, offset: 4 }],
          settles: [recs.c, recs.d],
        },
        p: expect.objectContaining({ kind: 'normalizer/progress', counters: { processed: 2, errors: 1, foreign: 1, deadLettered: 1 }, total: 4, final: true }),
      });
      expectSubscriptions(batches$.subscriptions).toBe('^-----!');
      flush();
      expect(sent.filter((o) => o.topic === 'logs.normalized').map((o) => o.key)).toEqual([`${C}::log-l1`, `${C}::log-l3`]);
      const logs = sent.filter((o) => o.topic === 'logs.normalized').map((o) => decodeNormalizedLog(o.value!));
      expect(logs.map((l) => [l.level, l.error_class, l.template])).toEqual([
        ['error', 'connection_refused', 'dial tcp <*> connect: connection refused'],
        ['error', 'connection_refused', 'dial tcp <*> connect: connection refused'],
      ]);
      expect(logs[0].template_id).toBe(logs[1].template_id);
      expect(sent.filter((o) => o.topic === 'dlq.raw')).toHaveLength(1);
    });
  });
});
