import { TestScheduler } from 'rxjs/testing';
import { Observable } from 'rxjs';
import { passthrough } from '../../../pipelines/passthrough/passthrough';
import { Delivered, OutRecord, SourceRecord } from '../../../src/kafka/record';

/** A record as the source hands it out. The pipeline never acknowledges it: the effects settle it (`settles`). */
function rec(offset: number): SourceRecord {
  const ack = () => {
    throw new Error('acknowledged by the pipeline');
  };
  return { topic: 'in', partition: 0, offset, key: Buffer.from('k'), value: Buffer.from(`v${offset}`), headers: {}, timestamp: 0, ack };
}

describe('passthrough (marbles)', () => {
  it('settles a batch only when its delivery arrives, and copies key, value and topic', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ hot, cold, expectObservable, flush }) => {
      const sent: OutRecord[][] = [];
      const [a, b] = [[rec(0), rec(1)], [rec(2)]];
      const batches$ = hot('-a--b|', { a, b });
      const sendBatch = (out: OutRecord[]): Observable<Delivered[]> => {
        sent.push(out);
        return cold('--(d|)', { d: out.map((_, i) => ({ topic: 'copy', partition: 0, offset: i })) });
      };
      const out$ = passthrough({ batches$ }, { sendBatch }, { to: 'copy', concurrency: 4 });
      // Each batch's deliveries come 2 frames after its send: its effect, settling it, then.
      const expected = '---x--(y|)';
      expectObservable(out$).toBe(expected, {
        x: { kind: 'passthrough/copied', count: 2, upTo: { 'in/0': 1 }, settles: a },
        y: { kind: 'passthrough/copied', count: 1, upTo: { 'in/0': 2 }, settles: b },
      });
      flush();
      expect(sent[0].map((o) => [o.topic, o.value!.toString()])).toEqual([['copy', 'v0'], ['copy', 'v1']]);
    });
  });

  it('a failed delivery errors the pipeline and settles nothing of that batch', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ hot, cold, expectObservable }) => {
      const batches$ = hot('-a', { a: [rec(7)] });
      const out$ = passthrough({ batches$ }, { sendBatch: () => cold('-#', undefined, new Error('broker said no')) }, { to: 'copy', concurrency: 1 });
      // No effect before the error: nothing settled.
      expectObservable(out$).toBe('--#', undefined, new Error('broker said no'));
    });
  });
});
