import { TestScheduler } from 'rxjs/testing';
import { logNormalizer } from '../../../pipelines/logNormalizer/logNormalizer';
import { decodeNormalizedLog } from '../../../src/avro/normalizedCodec';
import { Delivered, OutRecord, SourceRecord } from '../../../src/kafka/record';

const C = 'acme';
const config = { clientId: C, outputTopic: 'logs.normalized', maxValueBytes: 4096, maxMessageChars: 4096, progressEveryRecords: 1000, progressIntervalMs: 1000, templateMaxClusters: 100 };
const delivered: Delivered = { topic: 't', partition: 0, offset: 0 };

function rec(offset: number, key: string, value: string): SourceRecord & { ack: jest.Mock } {
  return { topic: 'raw.k8s.logs', partition: 1, offset, key: Buffer.from(key), value: Buffer.from(value), headers: {}, timestamp: 5, ack: jest.fn() };
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
      const raw$ = hot('a-b-c-d-|', recs);
      const sent: OutRecord[] = [];
      const out$ = logNormalizer({ raw$ }, { send: (o) => (sent.push(o), cold('-x|', { x: delivered })) }, config);
      expectObservable(out$).toBe('-ab--c-d(p|)', {
        a: { kind: 'normalized', key: `${C}::log-l1`, partition: 1, offset: 1 },
        b: { kind: 'foreign' },
        c: { kind: 'normalized', key: `${C}::log-l3`, partition: 1, offset: 3 },
        d: { kind: 'dead-lettered', cause: 'content', reason: expect.stringMatching(/^unknown log shape/), partition: 1, offset: 4 },
        p: expect.objectContaining({ kind: 'progress' }),
      });
      expectSubscriptions(raw$.subscriptions).toBe('^-------!');
      flush();
      const logs = sent.filter((o) => o.topic === 'logs.normalized').map((o) => decodeNormalizedLog(o.value!));
      expect(logs.map((l) => [l.level, l.error_class, l.template])).toEqual([
        ['error', 'connection_refused', 'dial tcp <*> connect: connection refused'],
        ['error', 'connection_refused', 'dial tcp <*> connect: connection refused'],
      ]);
      expect(logs[0].template_id).toBe(logs[1].template_id);
      expect(sent.filter((o) => o.topic === 'dlq.raw')).toHaveLength(1);
      for (const r of Object.values(recs)) expect(r.ack).toHaveBeenCalledTimes(1);
    });
  });
});
