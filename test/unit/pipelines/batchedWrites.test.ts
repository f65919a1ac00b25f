import { map, Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { batchedWrites } from '../../../pipelines/operators/batchedWrites';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('batchedWrites', () => {
  it('idle: a batch is cut maxMs after its first item, or at once when full', () => {
    scheduler().run(({ hot, cold, expectObservable }) => {
      const src = hot('a-b------cde-|');
      const write = (b: string[]): Observable<string> => cold('(w|)', { w: b.join('') });
      // ab: first item at 0, cut at 5; cde: full (3) at 11; completion flushes nothing more.
      expectObservable(src.pipe(batchedWrites(write, { maxSize: 3, maxMs: 5, concurrency: 1 }))).toBe('-----x-----y-|', { x: 'ab', y: 'cde' });
    });
  });

  it('busy: items that arrive during a write wait for it and go as one batch, not one per maxMs', () => {
    const sizes: number[] = [];
    scheduler().run(({ hot, cold, expectObservable }) => {
      const src = hot('a-bcdefgh------|');
      // Each write takes 6 frames.
      const write = (b: string[]) => (sizes.push(b.length), cold('------(w|)', { w: b.join('') }));
      // 'a' is written 1..7; b–g arrived meanwhile and go as one batch (7..13); h arrived during that one.
      expectObservable(src.pipe(batchedWrites(write, { maxSize: 100, maxMs: 1, concurrency: 1 }))).toBe('-------x-----y-----(z|)', { x: 'a', y: 'bcdefg', z: 'h' });
      // bufferTime(1) + mergeMap(…, 1) writes one batch per record here: 8 transactions instead of 3.
    });
    expect(sizes).toEqual([1, 6, 1]);
  });

  it('never more than `concurrency` writes at once; full batches are cut by size', () => {
    let active = 0;
    let most = 0;
    scheduler().run(({ hot, cold, expectObservable }) => {
      const write = (b: string[]) =>
        new Observable<string>((s) => {
          active++;
          most = Math.max(most, active);
          const inner = cold('-----(w|)', { w: b.join('') }).subscribe(s);
          return () => (active--, inner.unsubscribe());
        });
      // Writes take 5 frames: ab (1..6) and cd (4..9) overlap; ef is full at 7, when ab's slot is free again.
      const src = hot('ab-cd-ef|');
      expectObservable(src.pipe(batchedWrites(write, { maxSize: 2, maxMs: 100, concurrency: 2 }))).toBe('------x--y--(z|)', { x: 'ab', y: 'cd', z: 'ef' });
    });
    expect(most).toBe(2);
  });

  it('the source completing flushes a partial batch and completes after the last write', () => {
    scheduler().run(({ hot, cold, expectObservable }) => {
      const src = hot('ab|');
      expectObservable(src.pipe(batchedWrites((b: string[]) => cold('--(w|)', { w: b.join('') }), { maxSize: 10, maxMs: 100, concurrency: 1 }))).toBe('----(x|)', { x: 'ab' });
    });
  });

  it('a failing write errors the result; unsubscribing reaches the source and the write', () => {
    scheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      expectObservable(hot('a|').pipe(batchedWrites(() => cold('-#', undefined, new Error('neo4j')), { maxSize: 1, maxMs: 1, concurrency: 1 }))).toBe('-#', undefined, new Error('neo4j'));
      const src = hot('a---');
      const w = cold('------w');
      expectObservable(src.pipe(batchedWrites(() => w, { maxSize: 1, maxMs: 1, concurrency: 1 })), '^--!').toBe('---');
      expectSubscriptions(src.subscriptions).toBe('^--!');
      expectSubscriptions(w.subscriptions).toBe('^--!');
    });
  });

  it('the same sizes as bufferTime when the writer keeps up', () => {
    scheduler().run(({ hot, cold, expectObservable }) => {
      const src = hot('abc---de---f|');
      expectObservable(src.pipe(batchedWrites((b: string[]) => cold('(w|)', { w: b.length }), { maxSize: 10, maxMs: 3, concurrency: 1 }), map(String))).toBe('---x-----y--(z|)', { x: '3', y: '2', z: '1' });
    });
  });
});
