import { OffsetTracker } from '../../../src/kafka/offsetTracker';

describe('OffsetTracker', () => {
  it('commits nothing until the first fetched offset is done', () => {
    const t = new OffsetTracker();
    [10, 11, 12].forEach((o) => t.fetched(o));
    expect(t.done(12)).toBeUndefined();
    expect(t.done(11)).toBeUndefined();
    expect(t.committable).toBeUndefined();
    expect(t.done(10)).toBe(13);
    expect(t.open).toBe(0);
  });

  it('moves only over a contiguous finished prefix when records finish out of order', () => {
    const t = new OffsetTracker();
    [0, 1, 2, 3, 4].forEach((o) => t.fetched(o));
    expect(t.done(0)).toBe(1);
    expect(t.done(2)).toBeUndefined();
    expect(t.committable).toBe(1);
    expect(t.done(1)).toBe(3);
    expect(t.done(4)).toBeUndefined();
    expect(t.committable).toBe(3);
    expect(t.open).toBe(2);
  });

  it('handles gaps in offsets (compacted topics, transaction markers)', () => {
    const t = new OffsetTracker();
    [5, 9, 20].forEach((o) => t.fetched(o));
    expect(t.done(9)).toBeUndefined();
    expect(t.done(5)).toBe(10);
    expect(t.done(20)).toBe(21);
  });

  it('never passes an unfinished offset in a long random run, and keeps memory to the open window', () => {
    const t = new OffsetTracker();
    const n = 20_000;
    for (let i = 0; i < n; i++) t.fetched(i);
    const order = Array.from({ length: n }, (_, i) => i);
    let seed = 7;
    for (let i = n - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const j = seed % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const finished = new Set<number>();
    for (const o of order) {
      t.done(o);
      finished.add(o);
      const c = t.committable ?? 0;
      // Every offset below the commit point is finished, and the commit point itself is not.
      if (c > 0) expect(finished.has(c - 1)).toBe(true);
      if (c < n) expect(finished.has(c)).toBe(false);
    }
    expect(t.committable).toBe(n);
    expect(t.open).toBe(0);
  });
});
