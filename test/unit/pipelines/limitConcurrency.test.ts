import { TestScheduler } from 'rxjs/testing';
import { merge } from 'rxjs';
import { limitConcurrency } from '../../../pipelines/operators/limitConcurrency';

describe('limitConcurrency (marbles)', () => {
  it('runs at most n at once and starts the waiting ones in order as running ones end', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable, expectSubscriptions }) => {
      const gate = limitConcurrency(2);
      const x = cold('--a|');
      const y = cold('----b|');
      const z = cold('--c|');
      expectObservable(merge(gate(x), gate(y), gate(z))).toBe('--a-bc|');
      expectSubscriptions(x.subscriptions).toBe('^--!');
      expectSubscriptions(y.subscriptions).toBe('^----!');
      expectSubscriptions(z.subscriptions).toBe('---^--!');
    });
  });

  it('an error frees its place, and an unsubscribed waiter never starts', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable, expectSubscriptions }) => {
      const gate = limitConcurrency(1);
      const failing = cold('-#');
      const waiter = cold('a|');
      const last = cold('b|');
      expectObservable(gate(failing)).toBe('-#');
      expectObservable(gate(waiter), '(^!)').toBe('');
      expectObservable(gate(last)).toBe('-b|');
      expectSubscriptions(waiter.subscriptions).toBe([]);
      expectSubscriptions(last.subscriptions).toBe('-^!');
    });
  });
});
