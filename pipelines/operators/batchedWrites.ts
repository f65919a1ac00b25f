import { asyncScheduler, from, Observable, ObservableInput, OperatorFunction, SchedulerLike, Subscription } from 'rxjs';

export interface BatchedWritesOptions {
  /** Most items in one batch. */
  maxSize: number;
  /** Longest the oldest waiting item waits for its batch while a write slot is free, ms. */
  maxMs: number;
  /** Writes at once. */
  concurrency: number;
}

/**
 * Batches for a writer with bounded concurrency. A batch is cut when a write slot is free and
 * it is full (`maxSize`), or its oldest item has waited `maxMs`, or the source completed. Items
 * that arrive while every slot is busy join the next batch rather than queueing up as many small
 * ones: `bufferTime(maxMs, null, maxSize)` + `mergeMap(write, n)` cuts a batch every `maxMs`
 * whatever the writer is doing, and at 2,000 records/s with 50 ms batches and one write at a
 * time the graph builder fell behind on 100-record transactions (latency grew 1.3 → 5.7 s in 15 s).
 * Emits what the writes emit; an error of the source or of a write errors the result;
 * unsubscribing tears down the source, the writes and the timer.
 *
 * @example records$.pipe(batchedWrites((batch) => store.write$(batch), { maxSize: 2000, maxMs: 250, concurrency: 1 }))
 */
export function batchedWrites<T, R>(
  write: (batch: T[]) => ObservableInput<R>,
  opts: BatchedWritesOptions,
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<T, R> {
  const { maxSize, maxMs, concurrency } = opts;
  if (maxSize < 1 || concurrency < 1) throw new Error('batchedWrites: maxSize and concurrency must be at least 1');
  return (source) =>
    new Observable<R>((subscriber) => {
      let queue: T[] = [];
      /** Arrival time of the oldest queued item. */
      let oldestAt = 0;
      let active = 0;
      let sourceDone = false;
      let timer: Subscription | undefined;
      const writes = new Set<Subscription>();

      const completeIfDone = () => {
        if (sourceDone && active === 0 && queue.length === 0) subscriber.complete();
      };

      const start = (batch: T[]) => {
        active++;
        const sub = new Subscription();
        writes.add(sub);
        sub.add(
          from(write(batch)).subscribe({
            next: (r) => subscriber.next(r),
            error: (err) => subscriber.error(err),
            complete: () => {
              active--;
              writes.delete(sub);
              pump();
            },
          }),
        );
      };

      const pump = (): void => {
        while (active < concurrency && queue.length > 0 && (queue.length >= maxSize || sourceDone || scheduler.now() - oldestAt >= maxMs)) {
          // The rest arrived later than oldestAt; keeping oldestAt makes them no later than due.
          const batch = queue.length <= maxSize ? queue : queue.slice(0, maxSize);
          queue = queue.length <= maxSize ? [] : queue.slice(maxSize);
          start(batch);
        }
        if (timer) {
          timer.unsubscribe();
          timer = undefined;
        }
        // Only an idle slot waits on the clock; a busy writer pumps again when a write completes.
        if (queue.length > 0 && active < concurrency && !sourceDone) {
          timer = scheduler.schedule(() => {
            timer = undefined;
            pump();
          }, Math.max(0, oldestAt + maxMs - scheduler.now()));
        }
        completeIfDone();
      };

      const sourceSub = source.subscribe({
        next: (item) => {
          if (queue.length === 0) oldestAt = scheduler.now();
          queue.push(item);
          if (queue.length >= maxSize || !timer) pump();
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          pump();
        },
      });

      return () => {
        sourceSub.unsubscribe();
        timer?.unsubscribe();
        for (const w of writes) w.unsubscribe();
        writes.clear();
      };
    });
}
