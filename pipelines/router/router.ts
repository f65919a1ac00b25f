import { asyncScheduler, catchError, concat, connect, defer, EMPTY, filter, finalize, from, groupBy, map, merge, mergeMap, Observable, of, SchedulerLike, switchMap, timer } from 'rxjs';
import { deadLetter } from '../../src/kafka/deadLetter';
import { Delivered, OutRecord, SourceRecord } from '../../src/kafka/record';
import { TOPICS } from '../../src/kafka/topics';
import { Route } from '../../src/tenancy/routeOf';
import { tenantTopic } from '../../src/tenancy/tenantTopics';
import { GO, orderedLane } from './orderedLane';

export const ROUTER = 'router';

/** How long a client's ordered lane outlives its last record (beyond the grace), ms. */
const GROUP_IDLE_MS = 10 * 60_000;

export interface RouterConfig {
  /** Longest a record of a client without topics (not registered yet) is held before it is dead-lettered, ms. */
  unregisteredGraceMs: number;
  /** How often a held client's topics are looked for again, ms. */
  recheckMs?: number;
  /** First and longest wait between retries of a produce that failed, ms. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Chunks of one client sent and awaiting their delivery reports at once (64); the source's in-flight bound caps the total. */
  depth?: number;
}

export interface RouterDeps {
  /** The client of a record (from its key; a default client when configured). */
  route: (rec: SourceRecord) => Route;
  /** True when the client's topics exist (the control plane created them at registration). Cold; may error (broker away). */
  clientReady: (client: string) => Observable<boolean>;
  /** Produces records; emits once with every delivery report. */
  sendBatch: (out: OutRecord[]) => Observable<Delivered[]>;
}

/** What the router did; `settles` are the source records the runner may now acknowledge. */
export type RouterEffect =
  | { kind: 'router/routed'; client: string; count: number; settles: SourceRecord[] }
  | { kind: 'router/dead-lettered'; client: string | null; reason: string; settles: SourceRecord[] }
  | { kind: 'router/waiting'; client: string; records: number }
  | { kind: 'router/retry'; client: string; records: number; attempt: number; delayMs: number; error: string };

type Chunk = { client: string | null; reason: string | null; recs: SourceRecord[]; at: number };

/**
 * The router: reads the shared raw topics once and writes each record, key, value and headers
 * unchanged, to its client's own topic (`{topic}.{client}`), so a worker reads only its client's
 * records. Per client, records keep their order: chunks are sent in order, up to `depth` of them
 * awaiting their delivery reports at once (the idempotent producer keeps the order of in-flight sends
 * per partition), and their effects come out in order ({@link orderedLane}); clients proceed
 * independently. A record whose client cannot be named is dead-lettered once, with the reason; a
 * record of a valid client whose topics do not exist yet waits (re-checked every `recheckMs`) up to
 * `unregisteredGraceMs`, then is dead-lettered — so a made-up client id never creates a topic. A
 * record settles only after its copy's (or its dead letter's) delivery report: at least once.
 *
 * @example router({ batches$: source.batches$ }, { route: (r) => routeOf(r.key, null), clientReady, sendBatch }, { unregisteredGraceMs: 120_000 })
 */
export function router(
  sources: { batches$: Observable<SourceRecord[]> },
  deps: RouterDeps,
  config: RouterConfig,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<RouterEffect> {
  const { unregisteredGraceMs, recheckMs = 1000, retryInitialMs = 200, retryMaxMs = 10_000, depth = 64 } = config;
  const names = new TopicNames();

  const deadLetters$ = (chunk: Chunk, reason: string): Observable<RouterEffect> =>
    deps.sendBatch(chunk.recs.map((r) => deadLetter(r, ROUTER, reason, TOPICS.dlqRaw.name))).pipe(
      map((): RouterEffect => ({ kind: 'router/dead-lettered', client: chunk.client, reason, settles: chunk.recs })),
    );

  const check$ = (client: string) => defer(() => deps.clientReady(client)).pipe(catchError(() => of(false)));

  /** 'ready' once the client's topics exist, 'expired' when the grace ran out first; a check that errors counts as "not yet". */
  const waitReady$ = (chunk: Chunk, client: string): Observable<'ready' | 'expired'> =>
    check$(client).pipe(
      mergeMap((ok) => {
        if (ok) return of<'ready'>('ready');
        if (scheduler.now() - chunk.at >= unregisteredGraceMs) return of<'expired'>('expired');
        return timer(recheckMs, scheduler).pipe(mergeMap(() => waitReady$(chunk, client)));
      }),
    );

  const readiness$ = (chunk: Chunk, client: string): Observable<RouterEffect | 'ready' | 'expired'> =>
    check$(client).pipe(
      mergeMap((ok) =>
        ok ? of<'ready'>('ready') : concat(of<RouterEffect>({ kind: 'router/waiting', client, records: chunk.recs.length }), waitReady$(chunk, client)),
      ),
    );

  /** Before a chunk is sent: GO once its client's topics exist, or its dead letters when the grace ran out first. A retry's grace starts anew. */
  const gate$ = (first: Chunk, attempt: number): Observable<RouterEffect | typeof GO> => {
    const chunk = attempt > 0 ? { ...first, at: scheduler.now() } : first;
    const client = chunk.client as string;
    return readiness$(chunk, client).pipe(
      mergeMap((x) => {
        if (x === 'ready') return of(GO);
        if (x === 'expired') {
          const s = Math.round(unregisteredGraceMs / 1000);
          return deadLetters$(chunk, `client "${client}" has no topics (not registered) after ${s} s: nothing routed for it (ROUTER_UNREGISTERED_GRACE_SECONDS)`);
        }
        return of(x);
      }),
    );
  };

  const copy$ = (chunk: Chunk): Observable<RouterEffect> => {
    const client = chunk.client as string;
    return defer(() => deps.sendBatch(copies(chunk.recs, client, names))).pipe(
      map((): RouterEffect => ({ kind: 'router/routed', client, count: chunk.recs.length, settles: chunk.recs })),
    );
  };

  const failed = (chunk: Chunk, err: unknown, attempt: number) => {
    const delayMs = Math.min(retryMaxMs, retryInitialMs * 2 ** attempt);
    const error = (err as Error)?.message ?? String(err);
    // The topics may have gone (deleted by a deregistration): the gate looks again before the retry.
    const effect: RouterEffect = { kind: 'router/retry', client: chunk.client as string, records: chunk.recs.length, attempt: attempt + 1, delayMs, error };
    return { effect, delayMs };
  };

  return sources.batches$.pipe(
    mergeMap((batch) => from(chunksOf(batch, deps.route, scheduler.now()))),
    connect((chunks$) =>
      merge(
        // Unroutable records need no order among themselves.
        chunks$.pipe(mergeMap((c) => (c.client === null ? deadLetters$(c, c.reason ?? 'no client') : EMPTY), 16)),
        chunks$.pipe(
          filter((c) => c.client !== null),
          // One client at a time in order; a client's group ends after a long quiet spell (made-up ids
          // do not pile up), longer than any wait of its own, so no two groups of a client overlap.
          groupBy((c) => c.client as string, { duration: (g$) => g$.pipe(switchMap(() => timer(unregisteredGraceMs + GROUP_IDLE_MS, scheduler))) }),
          // Within a client: gates in order, sends pipelined (up to `depth` awaiting delivery), effects in order.
          mergeMap((perClient$) =>
            perClient$.pipe(
              orderedLane<Chunk, RouterEffect>({ gate: gate$, send: copy$, failed }, depth, scheduler),
              finalize(() => names.forget(perClient$.key)),
            ),
          ),
        ),
      ),
    ),
  );
}

/** The client's copies of its records: key, value and headers unchanged, to `{topic}.{client}`. */
function copies(recs: readonly SourceRecord[], client: string, names: TopicNames): OutRecord[] {
  const out = new Array<OutRecord>(recs.length);
  let base = '';
  let topic = '';
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i];
    if (r.topic !== base) {
      base = r.topic;
      topic = names.of(base, client);
    }
    out[i] = { topic, key: r.key, value: r.value, headers: r.headers };
  }
  return out;
}

/**
 * `{topic}.{client}` names, each built once: the producer gets the same string object every time
 * (a name built per chunk is a new concatenated string that native code flattens again).
 */
class TopicNames {
  private readonly byClient = new Map<string, Map<string, string>>();
  of(base: string, client: string): string {
    let m = this.byClient.get(client);
    if (!m) this.byClient.set(client, (m = new Map()));
    let name = m.get(base);
    if (name === undefined) m.set(base, (name = tenantTopic(base, client)));
    return name;
  }
  forget(client: string): void {
    this.byClient.delete(client);
  }
}

/** A batch cut into runs of one client (keeping order), and unroutable records grouped by reason. */
export function chunksOf(batch: readonly SourceRecord[], route: (r: SourceRecord) => Route, at: number): Chunk[] {
  const byClient = new Map<string, SourceRecord[]>();
  const byReason = new Map<string, SourceRecord[]>();
  for (const r of batch) {
    const x = route(r);
    const [m, k] = x.ok ? [byClient, x.client] : [byReason, x.reason];
    const list = m.get(k) ?? [];
    list.push(r);
    m.set(k, list);
  }
  return [
    ...[...byClient].map(([client, recs]) => ({ client, reason: null, recs, at })),
    ...[...byReason].map(([reason, recs]) => ({ client: null, reason, recs, at })),
  ];
}
