import { asyncScheduler, catchError, concatMap, connect, defer, endWith, EMPTY, exhaustMap, filter, ignoreElements, interval, map, merge, mergeMap, Observable, of, SchedulerLike, takeUntil, takeWhile } from 'rxjs';
import type { RcaAnswer } from '../../src/domain/answer';

export const ALERT_ENRICHER = 'alert-enricher';

/** What one committed graph batch tells the enricher: when it was handed to the write, its rows, and the alerts in it. */
export interface WrittenBatch {
  /** ms (scheduler clock) when the batch was handed to the graph write. */
  at: number;
  rows: number;
  alerts: ReadonlyArray<{ fingerprint: string; eid: string; status: string }>;
}

export interface AlertEnricherConfig {
  /** Evidence arriving for a tracked alert is looked at once per this interval (debounce), ms. */
  debounceMs?: number;
  /** A resolved alert is followed this long after it resolved, then dropped, ms. */
  stopAfterResolvedMs?: number;
  /** A firing alert is followed at most this long, ms. */
  maxFiringMs?: number;
  /** Most alerts followed at once; beyond, the oldest is dropped. */
  maxTracked?: number;
  /** How many top causes decide whether the answer changed. */
  topCauses?: number;
}

export interface AlertEnricherDeps {
  /** The answer for the alert with this fingerprint (null: not in the graph). */
  answer(fingerprint: string): Observable<RcaAnswer | null>;
  /** Publishes one revision to alerts.enriched; emits once acknowledged. */
  publish(answer: RcaAnswer, revision: number): Observable<unknown>;
}

export type AlertEnricherEffect =
  | { kind: 'published'; fingerprint: string; revision: number; status: string; answer: RcaAnswer; why: 'alert' | 'evidence'; latencyMs: number | null }
  | { kind: 'unchanged'; fingerprint: string }
  | { kind: 'stopped'; fingerprint: string; why: 'resolved' | 'max-firing' | 'evicted' }
  | { kind: 'failed'; fingerprint: string; stage: 'answer' | 'publish'; error: string };

interface Tracked {
  eid: string;
  firstAt: number;
  resolvedAt: number | null;
  /** Batch time of this firing's first write while not yet published (the latency measure). */
  since: number | null;
  dirty: boolean;
}

interface Request {
  fingerprint: string;
  why: 'alert' | 'evidence';
}

/** The part of an answer whose change is worth a new revision: state, fault type, the top causes in order. */
export function answerSignature(a: RcaAnswer, top: number): string {
  return JSON.stringify([a.alert.eid, a.alert.status, a.faultType, a.causes.slice(0, top).map((c) => [c.eid, c.path.map((s) => s.eid)])]);
}

/**
 * One client's alerts.enriched publisher, fed by the graph builder's committed batches. An alert
 * written (new firing, or a state change) is answered and published at once; evidence written
 * afterwards (any later batch) marks every followed alert, and each marked one is answered again
 * at most once per `debounceMs`, published only when its top causes or state changed (revision + 1).
 * An alert is followed until `stopAfterResolvedMs` after it resolved (or `maxFiringMs`), at most
 * `maxTracked` at once. Answers and publications run one at a time, in order.
 *
 * @example
 *   alertEnricher({ written$ }, { answer: (fp) => from(answerFor(store, client, fp)), publish: (a, rev) => sink.send$(...) }, {})
 */
export function alertEnricher(
  sources: { written$: Observable<WrittenBatch> },
  deps: AlertEnricherDeps,
  config: AlertEnricherConfig = {},
  scheduler: SchedulerLike = asyncScheduler,
): Observable<AlertEnricherEffect> {
  const { debounceMs = 2000, stopAfterResolvedMs = 10 * 60_000, maxFiringMs = 6 * 3600_000, maxTracked = 1000, topCauses = 3 } = config;
  return defer(() => {
    const tracked = new Map<string, Tracked>();
    const published = new Map<string, { sig: string; revision: number }>();
    const stopped: AlertEnricherEffect[] = [];
    const stop = (fingerprint: string, why: 'resolved' | 'max-firing' | 'evicted') => {
      tracked.delete(fingerprint);
      published.delete(fingerprint);
      stopped.push({ kind: 'stopped', fingerprint, why });
    };

    const onBatch = (b: WrittenBatch): Request[] => {
      const now = scheduler.now();
      const out: Request[] = [];
      const inBatch = new Set<string>();
      for (const a of b.alerts) {
        inBatch.add(a.fingerprint);
        const t = tracked.get(a.fingerprint);
        const resolved = a.status === 'resolved';
        if (!t || t.eid !== a.eid) {
          // A new firing (another startsAt) starts again at revision 1.
          tracked.delete(a.fingerprint);
          published.delete(a.fingerprint);
          tracked.set(a.fingerprint, { eid: a.eid, firstAt: now, resolvedAt: resolved ? now : null, since: b.at, dirty: false });
        } else {
          if (resolved && t.resolvedAt === null) t.resolvedAt = now;
          if (!resolved) t.resolvedAt = null;
          t.dirty = false;
        }
        out.push({ fingerprint: a.fingerprint, why: 'alert' });
      }
      if (b.rows > b.alerts.length) for (const [fp, t] of tracked) if (!inBatch.has(fp)) t.dirty = true;
      // Map order is insertion order: the first entries are the oldest firings.
      for (const fp of tracked.keys()) {
        if (tracked.size <= maxTracked) break;
        stop(fp, 'evicted');
      }
      return out;
    };

    const onTick = (): Request[] => {
      const now = scheduler.now();
      const out: Request[] = [];
      for (const [fp, t] of [...tracked]) {
        if (t.resolvedAt !== null && now - t.resolvedAt >= stopAfterResolvedMs) stop(fp, 'resolved');
        else if (now - t.firstAt >= maxFiringMs) stop(fp, 'max-firing');
        else if (t.dirty) {
          t.dirty = false;
          out.push({ fingerprint: fp, why: 'evidence' });
        }
      }
      return out;
    };

    const evaluate = (r: Request): Observable<AlertEnricherEffect> =>
      defer(() => (tracked.has(r.fingerprint) ? deps.answer(r.fingerprint) : of(null))).pipe(
        mergeMap((answer): Observable<AlertEnricherEffect> => {
          const t = tracked.get(r.fingerprint);
          if (!answer || !t) return EMPTY;
          const sig = answerSignature(answer, topCauses);
          const last = published.get(r.fingerprint);
          if (last && last.sig === sig) return of({ kind: 'unchanged' as const, fingerprint: r.fingerprint });
          const revision = (last?.revision ?? 0) + 1;
          return deps.publish(answer, revision).pipe(
            ignoreElements(),
            endWith(null),
            map((): AlertEnricherEffect => {
              published.set(r.fingerprint, { sig, revision });
              const latencyMs = t.since === null ? null : scheduler.now() - t.since;
              t.since = null;
              return { kind: 'published', fingerprint: r.fingerprint, revision, status: answer.alert.status, answer, why: r.why, latencyMs };
            }),
            catchError((err: unknown) => of<AlertEnricherEffect>({ kind: 'failed', fingerprint: r.fingerprint, stage: 'publish', error: (err as Error)?.message ?? String(err) })),
          );
        }),
        catchError((err: unknown) => of<AlertEnricherEffect>({ kind: 'failed', fingerprint: r.fingerprint, stage: 'answer', error: (err as Error)?.message ?? String(err) })),
      );

    const drainStopped = (): AlertEnricherEffect[] => stopped.splice(0, stopped.length);

    return sources.written$.pipe(
      connect((w$) =>
        merge(
          w$.pipe(map((b) => ({ requests: onBatch(b), stops: drainStopped() }))),
          // The debounce ticks run only while an alert is followed (after the batch that made it so:
          // onBatch above sees each batch first), so a client without alerts sets no timer.
          w$.pipe(
            filter(() => tracked.size > 0),
            exhaustMap(() => interval(debounceMs, scheduler).pipe(takeWhile(() => tracked.size > 0))),
            takeUntil(w$.pipe(ignoreElements(), endWith(null))),
            map(() => ({ requests: onTick(), stops: drainStopped() })),
          ),
        ),
      ),
      concatMap(({ requests, stops }) => merge(of(...stops), of(...requests).pipe(concatMap(evaluate)))),
    );
  });
}
