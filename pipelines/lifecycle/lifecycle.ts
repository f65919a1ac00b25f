import { asyncScheduler, catchError, defer, EMPTY, endWith, filter, ignoreElements, interval, map, merge, mergeMap, Observable, of, scan, SchedulerLike, share, Subject, take, takeUntil, timer } from 'rxjs';
import { Ackable, KafkaRecord } from '../../src/kafka/record';
import { Settleable } from '../operators/settlement';
import { LifecycleConfig } from './lifecycleConfig';
import { initialLifecycleState, LifecycleEvent, LifecycleInput, LifecycleStep } from './lifecycleTypes';
import { parseHeartbeatRecord, parseRegistryRecord } from './parseLifecycleRecord';
import { reduceLifecycle } from './reduceLifecycle';

export interface LifecycleSources {
  /** cluster.registry, read from the earliest offset at every start. */
  registry$: Observable<Ackable>;
  /** cluster.heartbeat. */
  heartbeat$: Observable<Ackable>;
  /** Clients owning labelled workers found at start (emits once); omit when there is nothing to reconcile. */
  workersFound$?: Observable<string[]>;
}

export interface LifecycleOptions {
  /**
   * Per registry partition, the end offset (high watermark) seen at start: records below it are
   * the replay. `{}` = nothing to replay (caught up at once).
   */
  replayEnd: Readonly<Record<number, number>>;
  /**
   * Per registry partition, the offset the registry group had committed before the start-up rewind:
   * invalid records below it were read, and dead-lettered, by an earlier run. `{}` = none.
   */
  processedBefore?: Readonly<Record<number, number>>;
  /**
   * Writes an invalid registry or heartbeat record to the dead-letter topic with the reason; the
   * record is acknowledged only once this emits (its offset is not committed before). Omitted:
   * invalid records are only counted and logged.
   */
  deadLetter?: (record: KafkaRecord, reason: string) => Observable<unknown>;
}

/**
 * Marks registry records produced before start as replay and emits `registry/caught-up` once
 * every partition's start-time end offset was reached (or after `replayTimeoutMs`).
 */
export function registryInputs(registry$: Observable<Ackable>, opts: LifecycleOptions, config: Pick<LifecycleConfig, 'replayTimeoutMs'>, scheduler: SchedulerLike): Observable<LifecycleInput> {
  return defer(() => {
    const remaining = new Map<number, number>(Object.entries(opts.replayEnd).filter(([, end]) => end > 0).map(([p, end]) => [Number(p), end]));
    let caughtUp = false;
    // Nexted only from the records path, so the timeout stops (and the stream can complete) once caught up.
    const caughtUpByRecords$ = new Subject<void>();
    const caughtUpInput = (): LifecycleInput => {
      caughtUp = true;
      return { kind: 'registry/caught-up', at: scheduler.now() };
    };
    const records$ = registry$.pipe(
      mergeMap((rec): Observable<LifecycleInput> => {
        const end = remaining.get(rec.partition);
        const replay = !caughtUp && end !== undefined && rec.offset < end;
        const parsed = parseRegistryRecord(rec, scheduler.now(), replay);
        const input: LifecycleInput =
          parsed.kind === 'input/invalid' ? { ...parsed, seenByEarlierRun: rec.offset < (opts.processedBefore?.[rec.partition] ?? 0) } : parsed;
        if (end !== undefined && rec.offset >= end - 1) remaining.delete(rec.partition);
        if (!caughtUp && remaining.size === 0) {
          const done = caughtUpInput();
          caughtUpByRecords$.next();
          return of(input, done);
        }
        return of(input);
      }),
    );
    const atOnce$ = remaining.size === 0 ? defer(() => of(caughtUpInput())) : EMPTY;
    const timeout$ =
      remaining.size === 0
        ? EMPTY
        : timer(config.replayTimeoutMs, scheduler).pipe(takeUntil(caughtUpByRecords$), filter(() => !caughtUp), map(() => caughtUpInput()));
    return merge(atOnce$, records$, timeout$);
  });
}

/**
 * lifecycle$ = merge(registry$, heartbeat$, tick$) folded by `reduceLifecycle`. Emits one step
 * (input, new state, events) per input; each record is settled by the step that reduced it (the
 * registry is replayed at every start, so its state never depends on committed offsets), an
 * invalid one dead-lettered by a step of its own once its copy was delivered. Never acknowledges
 * a record itself: the subscriber settles the steps (src/runner/settle.ts).
 * Time is `scheduler.now()` at receipt: the server's clock, never the client's.
 *
 * @example lifecycleSteps$({ registry$, heartbeat$ }, { replayEnd: { 0: 42 } }, config).pipe(mergeMap((s) => s.events))
 */
export function lifecycleSteps$(
  sources: LifecycleSources,
  opts: LifecycleOptions,
  config: LifecycleConfig,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<LifecycleStep> {
  const tick$ = interval(config.checkIntervalMs, scheduler).pipe(map((): LifecycleInput => ({ kind: 'clock/tick', at: scheduler.now() })));
  const found$ = (sources.workersFound$ ?? EMPTY).pipe(take(1), map((clients): LifecycleInput => ({ kind: 'workers/found', clients, at: scheduler.now() })));
  const heartbeats$ = sources.heartbeat$.pipe(map((rec) => parseHeartbeatRecord(rec, scheduler.now())));
  // The clock stops when both topics' intake has ended (SIGTERM), so the pipeline completes.
  const kafka$ = merge(registryInputs(sources.registry$, opts, config, scheduler), heartbeats$).pipe(share());
  const intakeEnded$ = kafka$.pipe(ignoreElements(), endWith(true));
  const seed: LifecycleStep = { input: { kind: 'clock/tick', at: 0 }, state: initialLifecycleState, events: [], settles: [] };
  return defer(() => {
    /** The last step emitted: a dead-letter step carries its state. */
    let latest = seed;
    return merge(kafka$, found$, tick$.pipe(takeUntil(intakeEnded$))).pipe(
      scan(
        (prev: LifecycleStep, input: LifecycleInput): LifecycleStep => {
          const r = reduceLifecycle(prev.state, input, config);
          return { input, state: r.state, events: r.events, settles: [] };
        },
        seed,
      ),
      mergeMap((step) => {
        latest = step;
        const input = step.input;
        const record: Settleable[] = 'ack' in input && input.ack ? [{ ack: input.ack }] : [];
        if (input.kind === 'input/invalid' && opts.deadLetter && input.record && !input.seenByEarlierRun) {
          // The step goes on at once; the record is settled once its dead-letter copy is delivered,
          // by a step without events carrying the state of then.
          const dead$ = opts.deadLetter(input.record, `${input.source}: ${input.reason}`).pipe(
            take(1),
            map((): LifecycleStep => ({ input, state: latest.state, events: [], settles: record })),
            // Not settled: the record is read again after a restart (the caller logs the failure).
            catchError(() => EMPTY),
          );
          return merge(of(step), dead$);
        }
        return of(record.length > 0 ? { ...step, settles: record } : step);
      }),
    );
  });
}

/** The events alone: what the effects stage and the logs consume. */
export function lifecycle$(sources: LifecycleSources, opts: LifecycleOptions, config: LifecycleConfig, scheduler: SchedulerLike = asyncScheduler): Observable<LifecycleEvent> {
  return lifecycleSteps$(sources, opts, config, scheduler).pipe(mergeMap((s) => s.events));
}
