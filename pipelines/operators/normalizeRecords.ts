import { isUtf8 } from 'node:buffer';
import { asyncScheduler, catchError, defer, forkJoin, map, mergeMap, Observable, ObservableInput, retry, SchedulerLike, timer } from 'rxjs';
import { clientPrefix, formatNormalizedKey, hasPrefix, NormalizedKind, parseKey } from '../../src/domain/keys';
import { deadLetter, DLQ_HEADERS } from '../../src/kafka/deadLetter';
import { Delivered, OutRecord, SourceRecord } from '../../src/kafka/record';
import { TOPICS } from '../../src/kafka/topics';
import { NormalizeResult } from '../../src/normalize/result';
import { isSafeId } from '../../src/normalize/stableId';
import { resolveClient, TenancyOptions } from '../../src/tenancy/resolveClient';
import { mergeMapWide } from './mergeMapWide';
import { Progress, reportProgress } from './reportProgress';
import { backoffMs } from '../../src/domain/backoff';

/**
 * The shared core of the per-client normalizers, one source batch at a time: every record is
 * classified synchronously — another client's key is foreign (counted), a bad key, size,
 * encoding or content is a dlq.raw record with the reason, a good one is the normalized output —
 * and all outputs of the batch go out in one `sendBatch`; the batch's effect, settling all its
 * records (the foreign ones too), is emitted once every delivery report arrived. Per-record Observables cost more CPU than the normalizing
 * itself, hence batches. A throwing transform is a DLQ reason, never the end of the stream. A
 * batch whose send fails is sent again record by record after a backoff, each with retries
 * (doubling, capped at 5 s); a DLQ write refused for good is retried once without the value
 * (keeping origin and reason) before the pipeline gives up (an infrastructure failure: a restart
 * resumes from the last committed offset; duplicates carry identical keys and values).
 *
 * @example normalizeRecords(source.batches$, { sendBatch: (o) => sink.sendBatch$(o) }, config, transform)
 */
export interface RecordNormalizerConfig {
  /** Only keys with the prefix `{clientId}::` are this worker's. */
  clientId: string;
  /** The `kg.component` DLQ header and log component: "event-normalizer" | "log-normalizer". */
  component: string;
  /** Accepted key types after alias mapping (events: ["event"]). */
  keyTypes: readonly string[];
  outputTopic: string;
  outputKind: NormalizedKind;
  /** Larger values go to the DLQ. */
  maxValueBytes: number;
  /** Batches awaiting their delivery reports at once (the source's maxInFlight bounds records too). */
  concurrency?: number;
  /** Retries of a failed send before giving up, and the first backoff, ms (doubling, capped at 5 s). */
  sendRetries?: number;
  retryBaseMs?: number;
  /** DEFAULT_CLIENT_ID: records naming no client (the agent's bare-uid events, null-key Vector logs) are its. */
  tenancy?: TenancyOptions;
  /**
   * What a record whose key names another client is: `skipped` (default: counted as foreign, for a
   * worker reading a shared topic, where other clients' records are others' to take) or
   * `dead-lettered` with the reason (a pooled worker reading the client's own topic, where such a
   * record can only be a producer writing into a topic that is not its client's).
   */
  foreign?: 'skipped' | 'dead-lettered';
}

export interface TransformContext {
  /** The id part of the raw key (the record's uid), or the bare key of a record naming no client; undefined for a null key. */
  keyId: string | undefined;
  /** The Kafka record timestamp (ms), for payloads without a time. */
  timestamp: number;
}

/** Normalizes one record's text into the output id and Avro value, or a reason. */
export type Transform = (text: string, ctx: TransformContext) => NormalizeResult<{ id: string; value: Buffer }>;

export type DeadLetterCause = 'key' | 'content';

export interface DeadLettered {
  cause: DeadLetterCause;
  reason: string;
  partition: number;
  offset: number;
}

/** One source batch, done: it settles every record of it (the runner acknowledges them). */
export interface NormalizedBatch {
  kind: 'normalizer/batch';
  /** Records in the batch (normalized + foreign + dead-lettered). */
  records: number;
  normalized: number;
  foreign: number;
  deadLettered: DeadLettered[];
  /** The batch's records, settled once every output's delivery report arrived (pipelines/operators/settlement.ts). */
  settles: SourceRecord[];
}

export type NormalizerEffect = NormalizedBatch;

export interface NormalizerDeps {
  /** Produces records; emits all deliveries once the last report arrived, errors if any send fails (KafkaSink.sendBatch$). */
  sendBatch: (out: OutRecord[]) => Observable<Delivered[]>;
}

const FOREIGN = 0;
const OUT = 1;
const DLQ = 2;

export function normalizeRecords(
  batches$: Observable<SourceRecord[]>,
  deps: NormalizerDeps,
  config: RecordNormalizerConfig,
  transform: Transform,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<NormalizerEffect> {
  const { concurrency = 64, sendRetries = 8, retryBaseMs = 100 } = config;
  const prefix = Buffer.from(clientPrefix(config.clientId));
  const dlqComponent = `${config.component}-${config.clientId}`;
  const keyTypes = config.keyTypes;
  const backoff = { initialMs: retryBaseMs, maxMs: 5000 };
  const withRetry = (send$: Observable<Delivered[]>) => send$.pipe(retry({ count: sendRetries, delay: (_err, n) => timer(backoffMs(n, backoff), scheduler) }));

  // Per record, the decision lands in these slots, so the hot path allocates no decision objects.
  let out: OutRecord | undefined;
  let dlqCause: DeadLetterCause = 'content';
  let dlqReason = '';
  const toDlq = (cause: DeadLetterCause, reason: string) => {
    dlqCause = cause;
    dlqReason = reason;
    return DLQ;
  };

  const tenancy = config.tenancy ?? {};
  const foreignDlq = config.foreign === 'dead-lettered';
  const decide = (rec: SourceRecord): number => {
    const key = rec.key;
    let keyId: string | undefined;
    if (key !== null && key.length > prefix.length && hasPrefix(key, prefix)) {
      const parsed = parseKey(key);
      if (!parsed.ok) return toDlq('key', parsed.reason);
      if (!keyTypes.includes(parsed.type)) {
        return toDlq('key', `wrong key type "${parsed.type}" for ${rec.topic}, expected ${keyTypes.join(' or ')}`);
      }
      keyId = parsed.id;
    } else {
      // Another client's record is foreign. One naming no (valid) client is not this worker's
      // either: counted as foreign here, dead-lettered once by the topology-builder process
      // (pipelines/tenancy/unresolvedRecords.ts), unless DEFAULT_CLIENT_ID makes it a client's.
      const who = resolveClient(rec.topic, key, null, tenancy);
      if (!who.ok || who.client !== config.clientId) {
        if (!foreignDlq) return FOREIGN;
        return toDlq('key', who.ok ? `foreign key: names client "${who.client}" on ${rec.topic}, a topic of client "${config.clientId}"` : `${who.reason} (on ${rec.topic}, a topic of client "${config.clientId}")`);
      }
      if (who.shape !== 'unkeyed') return toDlq('key', `malformed key: expected {client}::${keyTypes[0]}::{id}`);
      keyId = isSafeId(who.rest) ? who.rest : undefined;
    }
    const value = rec.value;
    if (value === null || value.length === 0) return toDlq('content', 'missing value');
    if (value.length > config.maxValueBytes) {
      return toDlq('content', `oversized value: ${value.length} bytes, limit ${config.maxValueBytes} (MAX_MESSAGE_BYTES)`);
    }
    if (!isUtf8(value)) return toDlq('content', 'invalid UTF-8');
    const result = transform(value.toString('utf8'), { keyId, timestamp: rec.timestamp });
    if (!result.ok) return toDlq('content', result.reason);
    out = { topic: config.outputTopic, key: formatNormalizedKey(config.clientId, config.outputKind, result.value.id), value: result.value.value };
    return OUT;
  };

  /** One output on its own, with retries; a DLQ write refused for good goes once more without its value. */
  const sendOne = (o: OutRecord, reason: string | undefined): Observable<unknown> => {
    const one$ = withRetry(deps.sendBatch([o]));
    if (reason === undefined) return one$;
    return one$.pipe(
      catchError((err: Error) =>
        withRetry(deps.sendBatch([{ ...o, value: null, headers: { ...o.headers, [DLQ_HEADERS.error]: `${reason}; value dropped, DLQ write failed: ${err.message}` } }])),
      ),
    );
  };

  const processBatch = (batch: SourceRecord[]): ObservableInput<NormalizerEffect> => {
    const outs: OutRecord[] = [];
    /** Per output, the DLQ reason (undefined for a normalized record). */
    const reasons: Array<string | undefined> = [];
    const deadLettered: DeadLettered[] = [];
    let normalized = 0;
    let foreign = 0;
    for (const rec of batch) {
      let d: number;
      try {
        d = decide(rec);
      } catch (err) {
        d = toDlq('content', `normalizer failed: ${(err as Error)?.message ?? String(err)}`);
      }
      if (d === FOREIGN) {
        foreign++;
      } else if (d === OUT) {
        outs.push(out!);
        reasons.push(undefined);
        normalized++;
        out = undefined;
      } else {
        outs.push(deadLetter(rec, dlqComponent, dlqReason, TOPICS.dlqRaw.name));
        reasons.push(dlqReason);
        deadLettered.push({ cause: dlqCause, reason: dlqReason, partition: rec.partition, offset: rec.offset });
      }
    }
    const effect: NormalizedBatch = { kind: 'normalizer/batch', records: batch.length, normalized, foreign, deadLettered, settles: batch };
    if (outs.length === 0) return [effect];
    return deps.sendBatch(outs).pipe(
      // The batch failed as a whole: after a backoff, each output on its own, so one record
      // refused for good (e.g. too large) neither blocks nor duplicates the others forever.
      catchError(() => timer(backoffMs(1, backoff), scheduler).pipe(mergeMap(() => forkJoin(outs.map((o, i) => sendOne(o, reasons[i])))))),
      map(() => effect),
    );
  };

  return batches$.pipe(mergeMapWide(processBatch, concurrency));
}

/** Counts a batch effect for reportProgress (processed, errors = bad content, foreign, deadLettered); returns its record count. */
export function countNormalizerEffect(e: NormalizerEffect, c: Record<string, number>): number {
  c.processed += e.normalized;
  c.foreign += e.foreign;
  c.deadLettered += e.deadLettered.length;
  for (const d of e.deadLettered) if (d.cause === 'content') c.errors++;
  return e.records;
}

export const NORMALIZER_COUNTERS = { processed: 0, errors: 0, foreign: 0, deadLettered: 0 };

/** What every normalizer component is configured with (the per-component settings are in its own config). */
export interface NormalizerComponentConfig {
  clientId: string;
  /** events.normalized / logs.normalized unless overridden. */
  outputTopic: string;
  /** Raw values above this size are dead-lettered. */
  maxValueBytes: number;
  /** A progress report every N records or T ms. */
  progressEveryRecords: number;
  progressIntervalMs: number;
  /** Batches awaiting delivery at once. */
  concurrency?: number;
  sendRetries?: number;
  retryBaseMs?: number;
  /** DEFAULT_CLIENT_ID: records naming no client are this client's when it is the default. */
  tenancy?: TenancyOptions;
}

/**
 * A normalizer component: {@link normalizeRecords} with `kind` (component name, accepted key
 * types, output key kind) and the transform `makeTransform()` builds per subscription (so its
 * state, e.g. a template miner, lives exactly as long as the run), plus the progress reports.
 * The event and log normalizers are each one call of it.
 */
export function normalizerComponent(
  batches$: Observable<SourceRecord[]>,
  deps: NormalizerDeps,
  config: NormalizerComponentConfig,
  kind: Pick<RecordNormalizerConfig, 'component' | 'keyTypes' | 'outputKind'>,
  makeTransform: () => Transform,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<NormalizerEffect | Progress<'normalizer'>> {
  const { clientId, outputTopic, maxValueBytes, concurrency, sendRetries, retryBaseMs, tenancy } = config;
  return defer(() =>
    normalizeRecords(batches$, deps, { clientId, ...kind, outputTopic, maxValueBytes, concurrency, sendRetries, retryBaseMs, tenancy }, makeTransform(), scheduler),
  ).pipe(reportProgress(countNormalizerEffect, { source: 'normalizer', everyRecords: config.progressEveryRecords, everyMs: config.progressIntervalMs }, NORMALIZER_COUNTERS, scheduler));
}
