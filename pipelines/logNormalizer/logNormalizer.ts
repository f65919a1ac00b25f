import { asyncScheduler, Observable, SchedulerLike } from 'rxjs';
import { encodeNormalizedLog } from '../../src/avro/normalizedCodec';
import { SourceRecord } from '../../src/kafka/record';
import { normalizeLog } from '../../src/normalize/normalizeLog';
import { TemplateMiner } from '../../src/normalize/templateMiner';
import { TraceJoiner } from '../../src/normalize/traceJoiner';
import { normalizerComponent, NormalizerComponentConfig, NormalizerDeps, NormalizerEffect, Transform } from '../operators/normalizeRecords';
import { Progress } from '../operators/reportProgress';

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

export function logNormalizer(sources: { batches$: Observable<SourceRecord[]> }, deps: NormalizerDeps, config: LogNormalizerConfig, scheduler: SchedulerLike = asyncScheduler): Observable<NormalizerEffect | Progress<'normalizer'>> {
  const kind = { component: LOG_NORMALIZER, keyTypes: ['log'], outputKind: 'log' } as const;
  const miner = () => new TemplateMiner({ maxClusters: config.templateMaxClusters });
  return normalizerComponent(sources.batches$, deps, config, kind, () => logTransform(config.maxMessageChars, miner(), new TraceJoiner()), scheduler);
}
