import { asyncScheduler, Observable, SchedulerLike } from 'rxjs';
import { encodeNormalizedLog } from '../../src/avro/normalizedCodec';
import { SourceRecord } from '../../src/kafka/record';
import { normalizeLog } from '../../src/normalize/normalizeLog';
import { TemplateMiner } from '../../src/normalize/templateMiner';
import { TraceJoiner } from '../../src/normalize/traceJoiner';
import { normalizerComponent, NormalizerComponentConfig, NormalizerDeps, NormalizerEffect, Transform } from '../operators/normalizeRecords';
import { Progress } from '../operators/reportProgress';
import { PooledBatch, pooledNormalizer, PooledNormalizerDeps, PooledSettings } from '../pool/pooledNormalizer';

/**
 * raw.k8s.logs → logs.normalized for one client: `{C}::log::{uid}` records (Vector
 * kubernetes_logs, Fluent Bit, plain text) become `{C}::log-{log_id}` with an Avro NormalizedLog
 * value; other clients' records are foreign; bad ones go to dlq.raw. The template miner and the
 * trace joiner (lines of a multi-line trace take the class and template of its first line) are
 * created per subscription, so their state lives exactly as long as the pipeline run.
 *
 * @example
 *   logNormalizer({ batches$: source.batches$ }, { sendBatch: (o) => sink.sendBatch$(o) }, { clientId: 'acme', ... })
 */
export interface LogNormalizerConfig extends NormalizerComponentConfig {
  maxMessageChars: number;
  /** The template miner's cluster bound. */
  templateMaxClusters: number;
}

export const LOG_NORMALIZER = 'log-normalizer';

export function logTransform(maxMessageChars: number, miner: TemplateMiner, joiner?: TraceJoiner): Transform {
  return (text, ctx) => {
    const r = normalizeLog(text, { fallbackTimestamp: ctx.timestamp, keyId: ctx.keyId, maxMessageChars, miner, joiner });
    if (!r.ok) return r;
    return { ok: true, value: { id: r.value.log_id, value: encodeNormalizedLog(r.value) } };
  };
}

const LOG_KIND = { component: LOG_NORMALIZER, keyTypes: ['log'], outputKind: 'log' } as const;

/** A log transform with its own template miner and trace joiner (one per run, or per client in a pool). */
function freshLogTransform(config: { maxMessageChars: number; templateMaxClusters: number }): Transform {
  return logTransform(config.maxMessageChars, new TemplateMiner({ maxClusters: config.templateMaxClusters }), new TraceJoiner());
}

export function logNormalizer(sources: { batches$: Observable<SourceRecord[]> }, deps: NormalizerDeps, config: LogNormalizerConfig, scheduler: SchedulerLike = asyncScheduler): Observable<NormalizerEffect | Progress<'normalizer'>> {
  return normalizerComponent(sources.batches$, deps, config, LOG_KIND, () => freshLogTransform(config), scheduler);
}

/**
 * The same for every client at once (WORKER_MODE=pooled): `raw.k8s.logs.{C}` → `logs.normalized.{C}`
 * from one consumer's batches (pipelines/pool/pooledNormalizer.ts); each client has its own template
 * miner and trace joiner, so no client's templates shape another's.
 */
export function pooledLogNormalizer(
  sources: { batches$: Observable<SourceRecord[]> },
  deps: PooledNormalizerDeps,
  config: PooledSettings & { maxMessageChars: number; templateMaxClusters: number },
  scheduler: SchedulerLike = asyncScheduler,
): Observable<PooledBatch | Progress<'normalizer'>> {
  return pooledNormalizer(sources.batches$, deps, { ...config, ...LOG_KIND }, () => freshLogTransform(config), scheduler);
}
