import { Observable, OperatorFunction, SchedulerLike, Subscription, timer } from 'rxjs';

/** What a lane's gate ends with when its item may be sent. */
export const GO = Symbol('go');

export interface LaneSteps<T, E> {
  /**
   * Runs before an item is sent, one item at a time in order (the next item's gate starts only
   * once this one's completed): effects (a wait, a dead letter) and, last, {@link GO} when the item
   * is to be sent; completing without GO means the item is finished by its gate.
   */
  gate: (item: T, attempt: number) => Observable<E | typeof GO>;
  /** Sends an item: emits its effects once delivered and completes, or errors (then retried). */
  send: (item: T, attempt: number) => Observable<E>;
  /** The effect that reports a failed send, and how long to wait before the item goes through its gate again. */
  failed: (item: T, error: unknown, attempt: number) => { effect: E; delayMs: number };
}

type Phase = 'queued' | 'gating' | 'sending' | 'sent' | 'gated' | 'failed' | 'backoff';

interface Entry<T, E> {
  item: T;
  attempt: number;
  phase: Phase;
  /** Effects not emitted yet (an entry emits only once every earlier one has). */
  out: E[];
  sub?: Subscription;
  error?: unknown;
  /** Bumped whenever the entry starts over: callbacks of an abandoned gate or send are ignored. */
  run: number;
  /** Its gate was under way when a send ahead of it failed: let the gate finish (a dead letter is not cut off), but do not send. */
  holdBack?: boolean;
}

/**
 * One ordered lane whose sends are pipelined: items go through `gate` one at a time in order, and up
 * to `depth` items are sent and awaiting their delivery at once, so the sends start in input order
 * (an idempotent producer keeps that order per partition) while earlier deliveries are still out.
 * Effects are emitted in input order whatever order the deliveries complete in: nothing is settled
 * before everything ahead of it in the lane. When a send fails, the items sent after it are
 * abandoned and, once the failed one has gone through its gate and been sent again, sent again after
 * it, in order — as a restart from the failed record would: the output keeps the input's order from
 * the failure on (the earlier copies are duplicates, at least once). An item finished by its gate
 * (dead-lettered) is never redone, and a gate under way is not cut off (its dead letter is written
 * once); if it ends in GO, the item goes through its gate again after the redone send.
 *
 * @example chunks$.pipe(orderedLane({ gate: (c) => of(GO), send: (c) => sink.sendBatch$(c).pipe(map(() => routed(c))), failed: (c, e, n) => ({ effect: retry(c, e), delayMs: 100 * 2 ** n }) }, 64, scheduler))
 */
export function orderedLane<T, E>(steps: LaneSteps<T, E>, depth: number, scheduler: SchedulerLike): OperatorFunction<T, E> {
  return (source) =>
    new Observable<E>((subscriber) => {
      let entries: Entry<T, E>[] = [];
      let head = 0;
      let sourceDone = false;
      let pumping = false;
      let again = false;

      const inFlight = () => {
        let n = 0;
        for (let i = head; i < entries.length; i++) if (entries[i].phase === 'sending' || entries[i].phase === 'sent' || entries[i].phase === 'failed') n++;
        return n;
      };

      const emitFrom = (e: Entry<T, E>, value: E) => {
        if (entries[head] === e) subscriber.next(value);
        else e.out.push(value);
      };

      const startGate = (e: Entry<T, E>): Phase => {
        e.phase = 'gating';
        const run = ++e.run;
        let go = false;
        const sub = steps.gate(e.item, e.attempt).subscribe({
          next: (v) => {
            if (e.run !== run) return;
            if (v === GO) go = true;
            else emitFrom(e, v);
          },
          error: (err) => subscriber.error(err),
          complete: () => {
            if (e.run !== run) return;
            e.sub = undefined;
            if (go && e.holdBack) e.phase = 'queued'; // goes through its gate again after the redone send ahead of it
            else if (go) startSend(e);
            else e.phase = 'gated';
            e.holdBack = false;
            pump();
          },
        });
        if (e.run === run && e.phase === 'gating') e.sub = sub;
        return e.phase;
      };

      const startSend = (e: Entry<T, E>) => {
        e.phase = 'sending';
        const run = ++e.run;
        const sub = steps.send(e.item, e.attempt).subscribe({
          next: (v) => {
            if (e.run === run) emitFrom(e, v);
          },
          error: (err) => {
            if (e.run !== run) return;
            e.sub = undefined;
            e.phase = 'failed';
            e.error = err;
            pump();
          },
          complete: () => {
            if (e.run !== run) return;
            e.sub = undefined;
            e.phase = 'sent';
            pump();
          },
        });
        if (e.run === run && e.phase === 'sending') e.sub = sub;
      };

      /** The head failed: abandon what was sent after it, report, wait, then redo from the head. */
      const retryHead = (e: Entry<T, E>) => {
        for (let i = head + 1; i < entries.length; i++) {
          const later = entries[i];
          if (later.phase === 'gated') continue; // finished by its gate (a dead letter): never redone
          if (later.phase === 'gating') {
            later.holdBack = true;
            continue;
          }
          later.run++;
          later.sub?.unsubscribe();
          later.sub = undefined;
          later.out = [];
          later.phase = 'queued';
        }
        const { effect, delayMs } = steps.failed(e.item, e.error, e.attempt);
        e.phase = 'backoff';
        e.attempt++;
        e.error = undefined;
        subscriber.next(effect);
        e.sub = timer(delayMs, scheduler).subscribe(() => {
          e.sub = undefined;
          e.phase = 'queued';
          pump();
        });
      };

      const pump = () => {
        if (pumping) {
          again = true;
          return;
        }
        pumping = true;
        try {
          do {
            again = false;
            // Emit finished entries from the head, in order.
            while (head < entries.length && !subscriber.closed) {
              const e = entries[head];
              for (const v of e.out) subscriber.next(v);
              e.out = [];
              if (e.phase === 'sent' || e.phase === 'gated') {
                entries[head++] = undefined as never;
                continue;
              }
              if (e.phase === 'failed') retryHead(e);
              break;
            }
            if (head > 256 && head * 2 > entries.length) {
              entries = entries.slice(head);
              head = 0;
            }
            // Start the next item: only once every earlier one is past its gate, and within the depth.
            let n = inFlight();
            for (let i = head; i < entries.length && !subscriber.closed; i++) {
              const e = entries[i];
              if (e.phase === 'sending' || e.phase === 'sent' || e.phase === 'gated') continue;
              // A failed one (a restart from it is coming), a gate or a backoff under way, or the depth reached.
              if (e.phase !== 'queued' || n >= depth) break;
              const now = startGate(e);
              if (now === 'sending' || now === 'sent') n++;
              else if (now !== 'gated') break; // its gate waits (asynchronously), or its send failed at once: later items wait behind it
            }
          } while (again && !subscriber.closed);
        } finally {
          pumping = false;
        }
        if (sourceDone && head >= entries.length && !subscriber.closed) subscriber.complete();
      };

      const upstream = source.subscribe({
        next: (item) => {
          entries.push({ item, attempt: 0, phase: 'queued', out: [], run: 0 });
          pump();
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          pump();
        },
      });
      return () => {
        upstream.unsubscribe();
        for (let i = head; i < entries.length; i++) entries[i]?.sub?.unsubscribe();
        entries = [];
      };
    });
}
