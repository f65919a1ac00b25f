import { asyncScheduler, catchError, concat, concatWith, defer, EMPTY, filter, from, map, mergeMap, Observable, ObservableInput, of, SchedulerLike, throwError, timer } from 'rxjs';
import { Backoff, backoffMs } from '../../src/domain/backoff';

/** A write that failed and will be tried again after `delayMs` (it settles nothing); `kind` is namespaced by the writing component. */
export interface WriteRetryEffect<S extends string = string> {
  kind: `${S}/write-retry`;
  records: number;
  attempt: number;
  delayMs: number;
  error: string;
}

/**
 * A failure after the write committed its main part (e.g. GraphStore's deferred causal edges):
 * retrying means running `remainder$` (which emits the full result), not writing the batch again;
 * if the remainder is refused for good, `partial` is the result of what was stored.
 */
export interface PartlyWritten<R> {
  cause: unknown;
  partial: R;
  remainder$: Observable<R>;
}

export function isPartlyWritten<R>(err: unknown): err is PartlyWritten<R> {
  return typeof err === 'object' && err !== null && 'remainder$' in err && (err as { remainder$?: unknown }).remainder$ instanceof Observable;
}

export interface WriteOrSplitSpec<I, R, E, S extends string = string> {
  /** The namespace of the retry effects' kind (`graph` → `graph/write-retry`). */
  source: S;
  /** Writes the items (cold, one transaction or a few); its first value is the result (none: an error). */
  write: (items: readonly I[]) => ObservableInput<R>;
  /** The effect of items written (it settles them: see settlement.ts). */
  written: (items: readonly I[], result: R) => E;
  /** Dead-letters the one item a write refuses, with the write's error message; emits its effect (settling it) once stored. */
  poisoned: (item: I, reason: string) => Observable<E>;
  /** True when a failure goes away by itself (connectivity, leader switch, deadlock). */
  isTransient: (err: unknown) => boolean;
  /** Wait between retries of a transient failure. */
  backoff: Backoff;
}

/**
 * The one way a component writes a batch: a transient failure retries it after a bounded
 * exponential backoff (each retry an effect, so it is logged and counted, never hidden); a
 * permanent one splits the batch in halves, written one after the other, until the item that
 * is refused is alone — that one is dead-lettered with the reason and every other item is
 * written. A batch of N with one poison item costs about 2·log2(N) extra writes.
 * Returns the function to hand to {@link batchedWrites}; unsubscribing tears down a write or a
 * wait in progress. Transient failures are retried as long as they last (Neo4j down: nothing is
 * acked, the source stops at its in-flight bound); shutdown cuts the retrying.
 *
 * @example
 *   batchedWrites(writeOrSplit({ source: 'graph', write, written, poisoned, isTransient, backoff: { initialMs: 500, maxMs: 10_000 } }, scheduler), opts, scheduler)
 */
export function writeOrSplit<I, R, E, S extends string>(spec: WriteOrSplitSpec<I, R, E, S>, scheduler: SchedulerLike = asyncScheduler): (items: readonly I[]) => Observable<E | WriteRetryEffect<S>> {
  const retryKind = `${spec.source}/write-retry` as const;
  const attempt$ = (items: readonly I[], work$: Observable<R>, attempt: number): Observable<E | WriteRetryEffect<S>> =>
    firstResult(work$).pipe(
      map((result) => spec.written(items, result)),
      catchError((err: unknown) => {
        const partly = isPartlyWritten<R>(err) ? err : undefined;
        const cause = partly ? partly.cause : err;
        const error = (cause as Error)?.message ?? String(cause);
        if (spec.isTransient(cause)) {
          const delayMs = backoffMs(attempt + 1, spec.backoff);
          const again$ = partly ? partly.remainder$ : write$(items);
          return concat(
            of<WriteRetryEffect<S>>({ kind: retryKind, records: items.length, attempt: attempt + 1, delayMs, error }),
            timer(delayMs, scheduler).pipe(mergeMap(() => attempt$(items, again$, attempt + 1))),
          );
        }
        if (partly) return of(spec.written(items, partly.partial));
        if (items.length === 1) return spec.poisoned(items[0], error);
        const half = Math.ceil(items.length / 2);
        return concat(split$(items.slice(0, half)), split$(items.slice(half)));
      }),
    );
  const write$ = (items: readonly I[]) => defer(() => from(spec.write(items)));
  const split$ = (items: readonly I[]) => attempt$(items, write$(items), 0);
  return (items) => (items.length === 0 ? of() : split$(items));
}

/** The first value of a write, passed on when it comes; completes when the write does (none at all: an error). */
function firstResult<R>(work$: Observable<R>): Observable<R> {
  return defer(() => {
    let got = false;
    return work$.pipe(
      filter(() => !got && (got = true)),
      concatWith(defer(() => (got ? EMPTY : throwError(() => new Error('write completed without a result'))))),
    );
  });
}
