import { TestScheduler } from 'rxjs/testing';
import { mergeMapWide } from '../../../pipelines/operators/mergeMapWide';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('mergeMapWide (marbles)', () => {
  it('empty source completes at once', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('|').pipe(mergeMapWide(() => cold('a|')))).toBe('|');
    });
  });

  it('one value maps through its inner', () => {
    scheduler().run(({ hot, cold, expectObservable }) => {
      const src = hot('--a--|');
      expectObservable(src.pipe(mergeMapWide((v) => cold('-x|', { x: v + '!' })))).toBe('---x-|', { x: 'a!' });
    });
  });

  it('many values run concurrently up to the bound; the rest wait in order', () => {
    scheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const src = hot('abc|');
      const inner = cold('--x|');
      const out = src.pipe(mergeMapWide((v) => inner.pipe(), 2));
      expectObservable(out).toBe('--xx-x|');
      expectSubscriptions(inner.subscriptions).toBe(['^--!', '-^--!', '---^--!']);
    });
  });

  it('inners finishing out of order emit in completion order', () => {
    scheduler().run(({ hot, cold, expectObservable }) => {
      const src = hot('ab|');
      const inners: Record<string, ReturnType<typeof cold>> = { a: cold('----(A|)'), b: cold('-(B|)') };
      expectObservable(src.pipe(mergeMapWide((v) => inners[v]))).toBe('--B-(A|)');
    });
  });

  it('an inner error errors the result and tears the source down', () => {
    scheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const src = hot('a-b-c');
      const out = src.pipe(mergeMapWide((v) => (v === 'b' ? cold('#', undefined, new Error('boom')) : cold('x|'))));
      expectObservable(out).toBe('x-#', { x: 'x' }, new Error('boom'));
      expectSubscriptions(src.subscriptions).toBe('^-!');
    });
  });

  it('a project that throws errors the result', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const out = hot('-a').pipe(
        mergeMapWide(() => {
          throw new Error('bad');
        }),
      );
      expectObservable(out).toBe('-#', undefined, new Error('bad'));
    });
  });

  it('a never-ending source never completes; unsubscribing reaches the source and every inner', () => {
    scheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const src = hot('-a-b----');
      const inner = cold('-------x|');
      expectObservable(src.pipe(mergeMapWide(() => inner)), '^-----!').toBe('------');
      expectSubscriptions(src.subscriptions).toBe('^-----!');
      expectSubscriptions(inner.subscriptions).toBe(['-^----!', '---^--!']);
    });
  });
});
