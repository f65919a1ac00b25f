import { from, mergeMap, Observable, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { PartlyWritten, writeOrSplit, WriteOrSplitSpec } from '../../../pipelines/operators/writeOrSplit';
import { backoffMs } from '../../../src/domain/backoff';

type Effect = { kind: 'written'; items: string } | { kind: 'dead'; item: string; reason: string } | { kind: 'test/write-retry'; records: number; attempt: number; delayMs: number; error: string };

const transient = Object.assign(new Error('Could not perform discovery'), { code: 'ServiceUnavailable' });
const tooLarge = Object.assign(new Error('Property value is too large to index'), { code: 'Neo.DatabaseError.Statement.ExecutionFailed' });
const isTransient = (err: unknown) => (err as { code?: string })?.code === 'ServiceUnavailable';
const backoff = { initialMs: 10, maxMs: 40 };

describe('backoffMs', () => {
  it('doubles from the first wait and stops at the longest', () => {
    expect([1, 2, 3, 4, 5, 60, 1e6].map((n) => backoffMs(n, { initialMs: 500, maxMs: 10_000 }))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(backoffMs(0, { initialMs: 100, maxMs: 5000 })).toBe(100);
  });
});

describe('writeOrSplit', () => {
  let ts: TestScheduler;
  beforeEach(() => (ts = new TestScheduler((a, b) => expect(a).toEqual(b))));

  /** The spec with a write that answers by `answer(items)` (a cold marble); every write's items are recorded. */
  function spec(answer: (items: readonly string[]) => Observable<number>) {
    const writes: string[] = [];
    const s: WriteOrSplitSpec<string, number, Effect, 'test'> = {
      source: 'test',
      write: (items) => {
        writes.push(items.join(''));
        return answer(items);
      },
      written: (items) => ({ kind: 'written', items: items.join('') }),
      poisoned: (item, reason) => ts.createColdObservable<Effect>('-d|', { d: { kind: 'dead', item, reason } }),
      isTransient,
      backoff,
    };
    return { s, writes };
  }

  it('writes nothing for an empty batch and no batches', () => {
    ts.run(({ cold, expectObservable }) => {
      const { s, writes } = spec(() => cold('-r|', { r: 1 }));
      const op = writeOrSplit(s, ts);
      expectObservable(op([])).toBe('|');
      expectObservable(cold<string[]>('---|').pipe(mergeMap(op))).toBe('---|');
      ts.flush();
      expect(writes).toEqual([]);
    });
  });

  it('settles one batch and many batches as written, one write each', () => {
    ts.run(({ cold, expectObservable }) => {
      const { s, writes } = spec((items) => cold('--r|', { r: items.length }));
      const batches = cold<string[]>('a-b|', { a: ['a'], b: ['b', 'c', 'd'] });
      const expected = '--x-y|';
      expectObservable(batches.pipe(mergeMap(writeOrSplit(s, ts)))).toBe(expected, {
        x: { kind: 'written', items: 'a' },
        y: { kind: 'written', items: 'bcd' },
      });
      ts.flush();
      expect(writes).toEqual(['a', 'bcd']);
    });
  });

  it('retries a transient failure after the backoff, as effects, then settles', () => {
    ts.run(({ cold, expectObservable }) => {
      let n = 0;
      const { s, writes } = spec(() => (++n <= 2 ? cold('-#', undefined, transient) : cold('-r|', { r: 1 })));
      // fails at 1, waits 10; fails at 12, waits 20; written at 33.
      const expected = '-a 10ms b 20ms c|';
      expectObservable(writeOrSplit(s, ts)(['x', 'y'])).toBe(expected, {
        a: { kind: 'test/write-retry', records: 2, attempt: 1, delayMs: 10, error: transient.message },
        b: { kind: 'test/write-retry', records: 2, attempt: 2, delayMs: 20, error: transient.message },
        c: { kind: 'written', items: 'xy' },
      });
      ts.flush();
      expect(writes).toEqual(['xy', 'xy', 'xy']);
    });
  });

  it('isolates the poison item of a batch of 8, dead-letters it with the reason and writes the other 7', () => {
    ts.run(({ cold, expectObservable }) => {
      const { s, writes } = spec((items) => (items.includes('f') ? cold('-#', undefined, tooLarge) : cold('-r|', { r: items.length })));
      // abcdefgh fails (1) → abcd written (2) → efgh fails (4) → ef fails (5) → e written (6) → f fails (8), dead (9) → gh written (11).
      const expected = '--a---b--c-d|';
      expectObservable(writeOrSplit(s, ts)([...'abcdefgh'])).toBe(expected, {
        a: { kind: 'written', items: 'abcd' },
        b: { kind: 'written', items: 'e' },
        c: { kind: 'dead', item: 'f', reason: tooLarge.message },
        d: { kind: 'written', items: 'gh' },
      });
      ts.flush();
      expect(writes).toEqual(['abcdefgh', 'abcd', 'efgh', 'ef', 'e', 'f', 'gh']);
    });
  });

  it('emits nothing while a write never ends, and unsubscribing tears it down', () => {
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const hanging = cold<number>('-');
      const { s } = spec(() => hanging);
      expectObservable(writeOrSplit(s, ts)(['a']), '^ 50ms !').toBe('');
      expectSubscriptions(hanging.subscriptions).toBe('^ 50ms !');
    });
  });

  it('unsubscribing during the backoff cancels the retry', () => {
    ts.run(({ cold, expectObservable }) => {
      const { s, writes } = spec(() => cold('-#', undefined, transient));
      const sub = '     ^ 5ms !';
      const expected = '-a';
      expectObservable(writeOrSplit(s, ts)(['a']), sub).toBe(expected, {
        a: { kind: 'test/write-retry', records: 1, attempt: 1, delayMs: 10, error: transient.message },
      });
      ts.flush();
      expect(writes).toEqual(['a']);
    });
  });

  it('retries only the remainder of a write that committed its main part', () => {
    ts.run(({ cold, expectObservable }) => {
      let remainders = 0;
      const partly = (cause: unknown, then: Observable<number>): PartlyWritten<number> => ({ cause, partial: 7, remainder$: from([0]).pipe(mergeMap(() => (remainders++, then))) });
      const { s, writes } = spec(() => throwError(() => partly(transient, cold('-r|', { r: 9 }))));
      expectObservable(writeOrSplit(s, ts)(['a', 'b'])).toBe('a 9ms -b|', {
        a: { kind: 'test/write-retry', records: 2, attempt: 1, delayMs: 10, error: transient.message },
        b: { kind: 'written', items: 'ab' },
      });
      ts.flush();
      expect(writes).toEqual(['ab']);
      expect(remainders).toBe(1);
    });
  });

  it('settles a write whose remainder is refused for good with the partial result', () => {
    ts.run(({ cold, expectObservable }) => {
      const partly = (cause: unknown, then: Observable<number>): PartlyWritten<number> => ({ cause, partial: 7, remainder$: then });
      const refused = spec(() => throwError(() => partly(tooLarge, cold('-r|', { r: 9 }))));
      expectObservable(writeOrSplit(refused.s, ts)(['a', 'b'])).toBe('(b|)', { b: { kind: 'written', items: 'ab' } });
    });
  });
});
