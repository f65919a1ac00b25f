/**
 * Tracks, for one partition, which fetched offsets are finished, and the highest offset that
 * can be committed: one past the longest finished prefix. Records may finish out of order;
 * the commit point only moves over a contiguous run, so no unfinished record is ever skipped.
 *
 * @example
 *   const t = new OffsetTracker();
 *   t.fetched(5); t.fetched(6); t.fetched(7);
 *   t.done(6);   // undefined: 5 is still open
 *   t.done(5);   // 7: offsets 5 and 6 are finished, commit 7
 */
export class OffsetTracker {
  private pending: number[] = [];
  private head = 0;
  private readonly finished = new Set<number>();
  /** Next offset to commit (one past the finished prefix); undefined before anything finished. */
  committable: number | undefined;

  /** Records a fetched offset. Offsets of one partition arrive in increasing order. */
  fetched(offset: number): void {
    this.pending.push(offset);
  }

  /** Marks an offset finished; returns the new commit point if it moved. */
  done(offset: number): number | undefined {
    this.finished.add(offset);
    let moved: number | undefined;
    while (this.head < this.pending.length && this.finished.has(this.pending[this.head])) {
      const o = this.pending[this.head];
      this.finished.delete(o);
      this.head++;
      moved = o + 1;
    }
    if (moved !== undefined) {
      this.committable = moved;
      // Drop the consumed prefix now and then, so memory follows the open window only.
      if (this.head > 1024 && this.head * 2 > this.pending.length) {
        this.pending = this.pending.slice(this.head);
        this.head = 0;
      }
    }
    return moved;
  }

  /** Offsets fetched and not yet part of the committed prefix. */
  get open(): number {
    return this.pending.length - this.head;
  }
}
