import { asyncScheduler, defer, Observable, SchedulerLike } from 'rxjs';
import { encodeNormalizedLog } from '../../src/avro/normalizedCodec';
import { SourceRecord } from '../../src/kafka/record';
import { normalizeLog } from '../../src/normalize/normalizeLog';
import { TemplateMiner } from '../../src/normalize/templateMiner';
import { TraceJoiner } from '../../src/normalize/traceJoiner';
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
 * raw.k8s.logs → logs.normalized for one client: `{C}::log::{uid}` records (Vector
 * kubernetes_logs, Fluent Bit, plain text) become `{C}::log-{log_id}` with an Avro NormalizedLog
 * value; other clients' records are foreign; bad ones go to dlq.raw. The template miner and the
 * trace joiner (lines of a multi-line trace take the class and template of its first line) are
 * created per subscription, so their state lives exactly as long as the pipeline run.
 *
 * @example
 *   logNormalizer({ batches$: source.batches$ }, { sendBatch: (o) => sink.sendBatch$(o) }, { clientId: 'acme', ... })
 */
export interface LogNormalizerConfig {
  clientId: string;
  outputTopic: string;
  maxValueBytes: number;
  maxMessageChars: number;
  progressEveryRecords: number;
  progressIntervalMs: number;
  /** The template miner's cluster bound. */
  templateMaxClusters: number;
  concurrency?: number;
  sendRetries?: number;
  retryBaseMs?: number;
}

export const LOG_NORMALIZER = 'log-normalizer';

export function logTransform(maxMessageChars: number, miner: TemplateMiner, joiner?: TraceJoiner): Transform {
  return (text, ctx) => {
    const r = normalizeLog(text, { fallbackTimestamp: ctx.timestamp, keyId: ctx.keyId, maxMessageChars, miner, joiner });
    if (!r.ok) return r;
    return { ok: true, value: { id: r.value.log_id, value: encodeNormalizedLog(r.value) } };
  };
}

export function logNormalizer(
  sources: { batches$: Observable<SourceRecord[]> },
  deps: NormalizerDeps,
  config: LogNormalizerConfig,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<NormalizerEffect | Progress> {
  return defer(() =>
    normalizeRecords(
      sources.batches$,
      deps,
      {
        clientId: config.clientId,
        component: LOG_NORMALIZER,
        keyTypes: ['log'],
        outputTopic: config.outputTopic,
        outputKind: 'log',
        maxValueBytes: config.maxValueBytes,
        concurrency: config.concurrency,
        sendRetries: config.sendRetries,
        retryBaseMs: config.retryBaseMs,
      },
      logTransform(config.maxMessageChars, new TemplateMiner({ maxClusters: config.templateMaxClusters }), new TraceJoiner()),
      scheduler,
    ),
  ).pipe(
    reportProgress(countNormalizerEffect, { everyRecords: config.progressEveryRecords, everyMs: config.progressIntervalMs }, NORMALIZER_COUNTERS, scheduler),
  );
}
