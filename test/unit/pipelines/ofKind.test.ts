import { Observable, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { byKind, ofKind } from '../../../pipelines/operators/ofKind';

type Effect =
  | { kind: 'graph/batch-written'; records: number }
  | { kind: 'graph/write-retry'; attempt: number }
  | { kind: 'graph-extra/thing'; n: number }
  | { kind: 'topology/unchanged' };

const values: Record<string, Effect> = {
  w: { kind: 'graph/batch-written', records: 2 },
  r: { kind: 'graph/write-retry', attempt: 1 },
  x: { kind: 'graph-extra/thing', n: 3 },
  u: { kind: 'topology/unchanged' },
};

describe('ofKind', () => {
  let ts: TestScheduler;
  beforeEach(() => (ts = new TestScheduler((a, b) => expect(a).toEqual(b))));

  it('passes every kind under a namespace, and only those (a namespace is the part before the slash)', () => {
    ts.run(({ cold, expectObservable }) => {
      const effects$: Observable<Effect> = cold('w r x u |', values);
      const graph$ = effects$.pipe(ofKind('graph/'));
      expectObservable(graph$).toBe('      w r - - |', values);
    });
  });

  it('passes the kinds listed, in their order of arrival, and narrows the type', () => {
    const records: number[] = [];
    ts.run(({ cold, expectObservable }) => {
      const effects$: Observable<Effect> = cold('w r u w |', values);
      // The narrowed type has `records`: this line would not compile if ofKind did not narrow.
      const written$ = effects$.pipe(ofKind(['graph/batch-written', 'topology/unchanged']), tap((e) => e.kind === 'graph/batch-written' && records.push(e.records)));
      expectObservable(written$).toBe('w - u w |', values);
    });
    expect(records).toEqual([2, 2]);
  });

  it('passes errors and completion through', () => {
    ts.run(({ cold, expectObservable }) => {
      const effects$: Observable<Effect> = cold('u r #', values, new Error('broker gone'));
      expectObservable(effects$.pipe(ofKind(['graph/write-retry']))).toBe('- r #', values, new Error('broker gone'));
    });
  });
});

describe('byKind', () => {
  it('calls the handler of each effect kind, ignores kinds without one', () => {
    const seen: string[] = [];
    const handle = byKind<Effect>({
      'graph/batch-written': (e) => seen.push(`written ${e.records}`),
      'graph/write-retry': (e) => seen.push(`retry ${e.attempt}`),
    });
    for (const e of [values.w, values.u, values.r, values.x]) handle(e);
    expect(seen).toEqual(['written 2', 'retry 1']);
  });
});
