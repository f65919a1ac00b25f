import { asyncScheduler, defer, Observable, SchedulerLike } from 'rxjs';
import { encodeNormalizedLog } from '../../src/avro/normalizedCodec';
import { SourceRecord } from '../../src/kafka/record';
import { TenancyOptions } from '../../src/tenancy/resolveClient';
import { normalizeLog } from '../../src/normalize/normalizeLog';
import { TemplateMiner } from '../../src/normalize/templateMiner';
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
 * value; other clients' records are foreign; bad ones go to dlq.raw. The template miner is
 * created per subscription, so its state lives exactly as long as the pipeline run.
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
  /** DEFAULT_CLIENT_ID: records naming no client are this client's when it is the default. */
  tenancy?: TenancyOptions;
}

export const LOG_NORMALIZER = 'log-normalizer';

export function logTransform(maxMessageChars: number, miner: TemplateMiner): Transform {
  return (text, ctx) => {
    const r = normalizeLog(text, { fallbackTimestamp: ctx.timestamp, keyId: ctx.keyId, maxMessageChars, miner });
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
      tenancy: config.tenancy,
      },
      logTransform(config.maxMessageChars, new TemplateMiner({ maxClusters: config.templateMaxClusters })),
      scheduler,
    ),
  ).pipe(
    reportProgress(countNormalizerEffect, { everyRecords: config.progressEveryRecords, everyMs: config.progressIntervalMs }, NORMALIZER_COUNTERS, scheduler),
  );
}
