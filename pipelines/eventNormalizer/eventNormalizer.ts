import { asyncScheduler, Observable, SchedulerLike } from 'rxjs';
import { encodeNormalizedEvent } from '../../src/avro/normalizedCodec';
import { SourceRecord } from '../../src/kafka/record';
import { normalizeEvent } from '../../src/normalize/normalizeEvent';
import { rejected } from '../../src/normalize/result';
import { normalizerComponent, NormalizerComponentConfig, NormalizerDeps, NormalizerEffect, Transform } from '../operators/normalizeRecords';
import { Progress } from '../operators/reportProgress';
import { PooledBatch, pooledNormalizer, PooledNormalizerDeps, PooledSettings } from '../pool/pooledNormalizer';

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
export interface EventNormalizerConfig extends NormalizerComponentConfig {
  /** Normalized messages are cut to this many characters. */
  maxMessageChars: number;
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

const EVENT_KIND = { component: EVENT_NORMALIZER, keyTypes: ['event'], outputKind: 'evt' } as const;

export function eventNormalizer(sources: { batches$: Observable<SourceRecord[]> }, deps: NormalizerDeps, config: EventNormalizerConfig, scheduler: SchedulerLike = asyncScheduler): Observable<NormalizerEffect | Progress<'normalizer'>> {
  return normalizerComponent(sources.batches$, deps, config, EVENT_KIND, () => eventTransform(config.maxMessageChars), scheduler);
}

/**
 * The same for every client at once (WORKER_MODE=pooled): `raw.k8s.events.{C}` → `events.normalized.{C}`
 * from one consumer's batches (pipelines/pool/pooledNormalizer.ts).
 */
export function pooledEventNormalizer(sources: { batches$: Observable<SourceRecord[]> }, deps: PooledNormalizerDeps, config: PooledSettings & { maxMessageChars: number }, scheduler: SchedulerLike = asyncScheduler): Observable<PooledBatch | Progress<'normalizer'>> {
  const transform = eventTransform(config.maxMessageChars);
  return pooledNormalizer(sources.batches$, deps, { ...config, ...EVENT_KIND }, () => transform, scheduler);
}
