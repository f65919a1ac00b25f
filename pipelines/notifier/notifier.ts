import { asyncScheduler, catchError, concat, defer, map, mergeMap, Observable, of, SchedulerLike, timer } from 'rxjs';

export const NOTIFIER = 'notifier';

/** One notification to deliver. */
export interface Notification {
  fingerprint: string;
  revision: number;
  body: Record<string, unknown>;
}

/** A failed post; `permanent` (e.g. HTTP 400/404) is not retried. */
export interface PostError {
  message: string;
  permanent?: boolean;
}

export interface NotifierDeps {
  /** POSTs the body to the client's webhook; emits on a 2xx answer, errors with a {@link PostError} otherwise. */
  post(body: Record<string, unknown>): Observable<unknown>;
  /** Writes the undeliverable notification with the reason to the dead-letter topic; emits once acknowledged. */
  deadLetter(n: Notification, reason: string): Observable<unknown>;
}

export interface NotifierConfig {
  /** Tries per notification (first one included). */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Notifications in flight at once. */
  concurrency?: number;
}

export type NotifierEffect =
  | { kind: 'notified'; fingerprint: string; revision: number; attempts: number }
  | { kind: 'notify-retry'; fingerprint: string; attempt: number; delayMs: number; error: string }
  | { kind: 'notify-dead-lettered'; fingerprint: string; revision: number; reason: string }
  | { kind: 'notify-lost'; fingerprint: string; revision: number; reason: string };

/**
 * Delivers notifications to a client's webhook: retries with backoff doubling from
 * `initialBackoffMs` to `maxBackoffMs`, at most `maxAttempts` tries; a permanent failure or the
 * last try failing dead-letters the notification with the reason (once). At most `concurrency` at once.
 */
export function notifier(sources: { notifications$: Observable<Notification> }, deps: NotifierDeps, config: NotifierConfig = {}, scheduler: SchedulerLike = asyncScheduler): Observable<NotifierEffect> {
  const { maxAttempts = 5, initialBackoffMs = 500, maxBackoffMs = 8000, concurrency = 4 } = config;

  const giveUp = (n: Notification, reason: string): Observable<NotifierEffect> =>
    deps.deadLetter(n, reason).pipe(
      map((): NotifierEffect => ({ kind: 'notify-dead-lettered', fingerprint: n.fingerprint, revision: n.revision, reason })),
      catchError((err: unknown) => of<NotifierEffect>({ kind: 'notify-lost', fingerprint: n.fingerprint, revision: n.revision, reason: `${reason}; dead-letter failed: ${(err as Error)?.message ?? String(err)}` })),
    );

  const attempt = (n: Notification, i: number): Observable<NotifierEffect> =>
    defer(() => deps.post(n.body)).pipe(
      map((): NotifierEffect => ({ kind: 'notified', fingerprint: n.fingerprint, revision: n.revision, attempts: i })),
      catchError((err: unknown) => {
        const e = err as PostError;
        const message = e?.message ?? String(err);
        if (e?.permanent) return giveUp(n, `webhook refused the notification: ${message}`);
        if (i >= maxAttempts) return giveUp(n, `webhook unreachable after ${i} attempts: ${message}`);
        const delayMs = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (i - 1));
        return concat(
          of<NotifierEffect>({ kind: 'notify-retry', fingerprint: n.fingerprint, attempt: i, delayMs, error: message }),
          timer(delayMs, scheduler).pipe(mergeMap(() => attempt(n, i + 1))),
        );
      }),
    );

  return sources.notifications$.pipe(mergeMap((n) => attempt(n, 1), concurrency));
}
