import { TestScheduler } from 'rxjs/testing';
import { Observable } from 'rxjs';
import { passthrough } from '../../../pipelines/passthrough/passthrough';
import { Delivered, OutRecord, SourceRecord } from '../../../src/kafka/record';

function rec(offset: number, acks: number[]): SourceRecord {
  return { topic: 'in', partition: 0, offset, key: Buffer.from('k'), value: Buffer.from(`v${offset}`), headers: {}, timestamp: 0, ack: () => acks.push(offset) };
}

describe('passthrough (marbles)', () => {
  it('acknowledges a batch only when its delivery arrives, and copies key, value and topic', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ hot, cold, expectObservable, flush }) => {
      const acks: number[] = [];
      const sent: OutRecord[][] = [];
      const batches$ = hot('-a--b|', { a: [rec(0, acks), rec(1, acks)], b: [rec(2, acks)] });
      const sendBatch = (out: OutRecord[]): Observable<Delivered[]> => {
        sent.push(out);
        return cold('--(d|)', { d: out.map((_, i) => ({ topic: 'copy', partition: 0, offset: i })) });
      };
      const out$ = passthrough({ batches$ }, { sendBatch }, { to: 'copy', concurrency: 4 });
      expectObservable(out$).toBe('---x--(y|)', {
        x: { kind: 'passthrough/copied', count: 2, upTo: { 'in/0': 1 } },
        y: { kind: 'passthrough/copied', count: 1, upTo: { 'in/0': 2 } },
      });
      flush();
      expect(acks).toEqual([0, 1, 2]);
      expect(sent[0].map((o) => [o.topic, o.value!.toString()])).toEqual([['copy', 'v0'], ['copy', 'v1']]);
    });
  });

  it('a failed delivery errors the pipeline and acknowledges nothing of that batch', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ hot, cold, expectObservable, flush }) => {
      const acks: number[] = [];
      const batches$ = hot('-a', { a: [rec(7, acks)] });
      const out$ = passthrough({ batches$ }, { sendBatch: () => cold('-#', undefined, new Error('broker said no')) }, { to: 'copy', concurrency: 1 });
      expectObservable(out$).toBe('--#', undefined, new Error('broker said no'));
      flush();
      expect(acks).toEqual([]);
    });
  });
});
