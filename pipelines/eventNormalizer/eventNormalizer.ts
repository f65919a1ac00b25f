import { asyncScheduler, Observable, SchedulerLike } from 'rxjs';
import { encodeNormalizedEvent } from '../../src/avro/normalizedCodec';
import { SourceRecord } from '../../src/kafka/record';
import { TenancyOptions } from '../../src/tenancy/resolveClient';
import { normalizeEvent } from '../../src/normalize/normalizeEvent';
import { rejected } from '../../src/normalize/result';
import {
  countNormalizerEffect,
  NORMALIZER_COUNTERS,
  NormalizerDeps,
  NormalizerEffect,
  normalizeRecords,
  Transform,
} from '../operators/normalizeRecords';
import { Progress, reportProgress } from '../operators/reportProgress';

/**
 * raw.k8s.events → events.normalized for one client: `{C}::event::{uid}` records become
 * `{C}::evt-{event_id}` with an Avro NormalizedEvent value; other clients' records are counted
 * as foreign; bad ones go to dlq.raw with the reason. Works per source batch: emits one effect
 * per batch (counts, and the dead-lettered records with their reasons) and progress reports.
 * Pure: never subscribes; time comes from `scheduler`.
 *
 * @example
 *   eventNormalizer({ batches$: source.batches$ }, { sendBatch: (o) => sink.sendBatch$(o) }, { clientId: 'acme', ... })
 */
export interface EventNormalizerConfig {
  clientId: string;
  /** events.normalized unless overridden. */
  outputTopic: string;
  /** Raw values above this size are dead-lettered. */
  maxValueBytes: number;
  /** Normalized messages are cut to this many characters. */
  maxMessageChars: number;
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

export const EVENT_NORMALIZER = 'event-normalizer';

export function eventTransform(maxMessageChars: number): Transform {
  return (text, ctx) => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return rejected(`invalid JSON: ${(err as Error).message}`);
    }
    const r = normalizeEvent(json, { fallbackTimestamp: ctx.timestamp, keyId: ctx.keyId, maxMessageChars });
    if (!r.ok) return r;
    return { ok: true, value: { id: r.value.event_id, value: encodeNormalizedEvent(r.value) } };
  };
}

export function eventNormalizer(
  sources: { batches$: Observable<SourceRecord[]> },
  deps: NormalizerDeps,
  config: EventNormalizerConfig,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<NormalizerEffect | Progress> {
  return normalizeRecords(
    sources.batches$,
    deps,
    {
      clientId: config.clientId,
      component: EVENT_NORMALIZER,
      keyTypes: ['event'],
      outputTopic: config.outputTopic,
      outputKind: 'evt',
      maxValueBytes: config.maxValueBytes,
      concurrency: config.concurrency,
      sendRetries: config.sendRetries,
      retryBaseMs: config.retryBaseMs,
      tenancy: config.tenancy,
    },
    eventTransform(config.maxMessageChars),
    scheduler,
  ).pipe(
    reportProgress(countNormalizerEffect, { everyRecords: config.progressEveryRecords, everyMs: config.progressIntervalMs }, NORMALIZER_COUNTERS, scheduler),
  );
}
