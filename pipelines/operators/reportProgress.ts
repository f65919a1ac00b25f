import { asyncScheduler, Observable, OperatorFunction, SchedulerAction, SchedulerLike } from 'rxjs';

/**
 * Passes every value through and interleaves progress reports: one after every `everyRecords`
 * records, one every `everyMs` of scheduler time, and a last one when the source completes.
 * `count` says how a value moves the counters and may return how many records the value stands
 * for (a batch; 1 when it returns nothing); the report carries the counters plus the rate
 * (records per second since the previous report).
 *
 * @example
 *   effects$.pipe(reportProgress((e, c) => c[e.kind]++, { source: 'normalizer', everyRecords: 100_000, everyMs: 10_000 }))
 *   batches$.pipe(reportProgress((b, c) => ((c.done += b.length), b.length), { source: 'copy', everyRecords: 100_000, everyMs: 10_000 }))
 */
export interface ProgressOptions<S extends string = string> {
  /** The namespace of the reports' kind (`normalizer` → `normalizer/progress`). */
  source: S;
  /** A report after this many records. */
  everyRecords: number;
  /** A report after this much time, ms. */
  everyMs: number;
}

export type Counters = Record<string, number>;

export interface Progress<S extends string = string> {
  kind: `${S}/progress`;
  counters: Counters;
  /** Records seen in all. */
  total: number;
  /** Records per second since the previous report. */
  ratePerSec: number;
  /** Scheduler time since the previous report, ms. */
  intervalMs: number;
  final: boolean;
}

export function reportProgress<T, S extends string>(
  count: (value: T, counters: Counters) => number | void,
  { source: ns, everyRecords, everyMs }: ProgressOptions<S>,
  initial: Counters = {},
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<T, T | Progress<S>> {
  const kind = `${ns}/progress` as const;
  return (source) =>
    new Observable<T | Progress<S>>((subscriber) => {
      const counters: Counters = { ...initial };
      let total = 0;
      let sinceReport = 0;
      let lastAt = scheduler.now();
      const report = (final: boolean) => {
        const now = scheduler.now();
        const intervalMs = now - lastAt;
        const ratePerSec = intervalMs > 0 ? Math.round((sinceReport * 1000) / intervalMs) : 0;
        lastAt = now;
        sinceReport = 0;
        subscriber.next({ kind, counters: { ...counters }, total, ratePerSec, intervalMs, final });
      };
      const timer = scheduler.schedule(function (this: SchedulerAction<unknown>) {
        report(false);
        this.schedule(undefined, everyMs);
      }, everyMs);
      const inner = source.subscribe({
        next: (v) => {
          subscriber.next(v);
          const n = count(v, counters) ?? 1;
          total += n;
          sinceReport += n;
          if (sinceReport >= everyRecords) report(false);
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          timer.unsubscribe();
          report(true);
          subscriber.complete();
        },
      });
      return () => {
        timer.unsubscribe();
        inner.unsubscribe();
      };
    });
}
