import { isUtf8 } from 'node:buffer';
import { asyncScheduler, catchError, map, mergeMap, Observable, retry, SchedulerLike, timer } from 'rxjs';
import { clientOfKey, clientPrefix, formatNormalizedKey, keyToString, NormalizedKind, parseKey } from '../../src/domain/keys';
import { deadLetter, DLQ_HEADERS } from '../../src/kafka/deadLetter';
import { Delivered, OutRecord, SourceRecord } from '../../src/kafka/record';
import { TOPICS } from '../../src/kafka/topics';
import { NormalizeResult } from '../../src/normalize/result';

/**
 * The shared core of the per-client normalizers: key-prefix filter (others' records are counted
 * as foreign and acked at once), key/size/UTF-8 checks, the format-specific `transform`, and one
 * produce per record — to the output topic, or to dlq.raw with the reason. A record is acked only
 * when its output or DLQ write is delivered. A throwing transform is a DLQ reason, never the end
 * of the stream; a failing send is retried with backoff and, for a DLQ write, retried once
 * without the value before the pipeline gives up (an infrastructure failure: restart resumes).
 *
 * @example normalizeRecords(raw$, { send: (o) => sink.send$(o) }, config, transform)
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
  /** Sends in flight at most (the source's maxInFlight bounds it too). */
  concurrency?: number;
  /** Retries of a failed send before giving up, and the first backoff, ms (doubling, capped at 5 s). */
  sendRetries?: number;
  retryBaseMs?: number;
}

export interface TransformContext {
  /** The id part of the raw key (the record's uid). */
  keyId: string;
  /** The Kafka record timestamp (ms), for payloads without a time. */
  timestamp: number;
}

/** Normalizes one record's text into the output id and Avro value, or a reason. */
export type Transform = (text: string, ctx: TransformContext) => NormalizeResult<{ id: string; value: Buffer }>;

export type DeadLetterCause = 'key' | 'content';

export type NormalizerEffect =
  | { kind: 'normalized'; key: string; partition: number; offset: number }
  | { kind: 'dead-lettered'; cause: DeadLetterCause; reason: string; partition: number; offset: number }
  | { kind: 'foreign' };

export interface NormalizerDeps {
  /** Produces a record; emits once delivered (KafkaSink.send$). */
  send: (out: OutRecord) => Observable<Delivered>;
}

type Decision =
  | { kind: 'foreign' }
  | { kind: 'out'; out: OutRecord; key: string }
  | { kind: 'dlq'; cause: DeadLetterCause; reason: string };

const FOREIGN: NormalizerEffect = { kind: 'foreign' };
const FOREIGN_DECISION: Decision = { kind: 'foreign' };

export function normalizeRecords(
  raw$: Observable<SourceRecord>,
  deps: NormalizerDeps,
  config: RecordNormalizerConfig,
  transform: Transform,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<NormalizerEffect> {
  const { concurrency = 5000, sendRetries = 8, retryBaseMs = 100 } = config;
  const prefix = Buffer.from(clientPrefix(config.clientId));
  const component = config.component;
  const dlqComponent = `${component}-${config.clientId}`;
  const withRetry = (send$: Observable<Delivered>) =>
    send$.pipe(retry({ count: sendRetries, delay: (_err, n) => timer(Math.min(retryBaseMs * 2 ** (n - 1), 5000), scheduler) }));

  const decide = (rec: SourceRecord): Decision => {
    const key = rec.key;
    if (key === null || key.length === 0) return { kind: 'dlq', cause: 'key', reason: 'missing key' };
    if (key.length <= prefix.length || key.compare(prefix, 0, prefix.length, 0, prefix.length) !== 0) {
      // Another client's record is foreign; a key that names no valid client belongs to nobody.
      const owner = clientOfKey(keyToString(key));
      return owner.ok ? FOREIGN_DECISION : { kind: 'dlq', cause: 'key', reason: `malformed key: ${owner.reason}` };
    }
    const parsed = parseKey(key);
    if (!parsed.ok) return { kind: 'dlq', cause: 'key', reason: parsed.reason };
    if (!config.keyTypes.includes(parsed.type)) {
      return { kind: 'dlq', cause: 'key', reason: `wrong key type "${parsed.type}" for ${rec.topic}, expected ${config.keyTypes.join(' or ')}` };
    }
    const value = rec.value;
    if (value === null || value.length === 0) return { kind: 'dlq', cause: 'content', reason: 'missing value' };
    if (value.length > config.maxValueBytes) {
      return { kind: 'dlq', cause: 'content', reason: `oversized value: ${value.length} bytes, limit ${config.maxValueBytes} (MAX_MESSAGE_BYTES)` };
    }
    if (!isUtf8(value)) return { kind: 'dlq', cause: 'content', reason: 'invalid UTF-8' };
    let result: ReturnType<Transform>;
    try {
      result = transform(value.toString('utf8'), { keyId: parsed.id, timestamp: rec.timestamp });
    } catch (err) {
      return { kind: 'dlq', cause: 'content', reason: `normalizer failed: ${(err as Error)?.message ?? String(err)}` };
    }
    if (!result.ok) return { kind: 'dlq', cause: 'content', reason: result.reason };
    const outKey = formatNormalizedKey(config.clientId, config.outputKind, result.value.id);
    return { kind: 'out', key: outKey, out: { topic: config.outputTopic, key: outKey, value: result.value.value } };
  };

  const toDlq = (rec: SourceRecord, cause: DeadLetterCause, reason: string): Observable<NormalizerEffect> => {
    const dlq = deadLetter(rec, dlqComponent, reason, TOPICS.dlqRaw.name);
    return withRetry(deps.send(dlq)).pipe(
      // A DLQ write the broker refuses for good (e.g. too large with headers): keep the origin and reason.
      catchError((err: Error) =>
        withRetry(
          deps.send({
            ...dlq,
            value: null,
            headers: { ...dlq.headers, [DLQ_HEADERS.error]: `${reason}; value dropped, DLQ write failed: ${err.message}` },
          }),
        ),
      ),
      map(() => {
        rec.ack();
        return { kind: 'dead-lettered', cause, reason, partition: rec.partition, offset: rec.offset } as NormalizerEffect;
      }),
    );
  };

  return raw$.pipe(
    mergeMap((rec): Observable<NormalizerEffect> | NormalizerEffect[] => {
      const d = decide(rec);
      if (d.kind === 'foreign') {
        rec.ack();
        return [FOREIGN];
      }
      if (d.kind === 'dlq') return toDlq(rec, d.cause, d.reason);
      return withRetry(deps.send(d.out)).pipe(
        map(() => {
          rec.ack();
          return { kind: 'normalized', key: d.key, partition: rec.partition, offset: rec.offset } as NormalizerEffect;
        }),
      );
    }, concurrency),
  );
}

/** Counts effects for reportProgress: processed, errors (bad content), foreign, deadLettered. */
export function countNormalizerEffect(e: NormalizerEffect, c: Record<string, number>): void {
  switch (e.kind) {
    case 'normalized':
      c.processed++;
      break;
    case 'foreign':
      c.foreign++;
      break;
    case 'dead-lettered':
      c.deadLettered++;
      if (e.cause === 'content') c.errors++;
      break;
  }
}

export const NORMALIZER_COUNTERS = { processed: 0, errors: 0, foreign: 0, deadLettered: 0 };
