import { concat, defer, filter, from, map, merge, Observable, share, Subject, tap } from 'rxjs';
import type { EventBatch, EventWriteResult, GraphStore } from '../neo4j/graphStore';
import { alertEnricher, AlertEnricherConfig, AlertEnricherEffect, ALERT_ENRICHER, WrittenBatch } from '../../pipelines/alertEnricher/alertEnricher';
import { Notification, notifier, NotifierEffect, NOTIFIER, PostError } from '../../pipelines/notifier/notifier';
import { enrichedOfAnswer, encodeEnrichedAlert } from '../avro/enrichedCodec';
import { ConfigError, Env, readEnum, readInt, readOptional } from '../config/env';
import { validateClientId } from '../domain/clientId';
import { formatKey } from '../domain/keys';
import { EventRow } from '../graph/eventRows';
import { DLQ_HEADERS } from '../kafka/deadLetter';
import { Delivered, OutRecord } from '../kafka/record';
import { TOPICS } from '../kafka/topics';
import { Logger } from '../log/logger';
import { alertEnrichedSeconds, enrichedTotal } from '../metrics/metrics';
import { AnswerFunction, GraphReader, RcaAnswer } from './answer';
import { incidentUrl, notificationBody, NotifyFormat } from './notifyBody';

/**
 * alerts.enriched and notifications of one client, run inside its graph builder process: fed by
 * the batches the graph builder committed (a Subject pushed from the write's result, so nothing
 * here holds up a write), answering through the answer function on the same GraphStore.
 */
export interface DeliveryConfig {
  enricher: AlertEnricherConfig;
  /** The UI's address, for incident links. */
  publicUrl: string;
  /** The client's outbound webhook (NOTIFY_WEBHOOK_URLS), if any. */
  webhookUrl: string | undefined;
  format: NotifyFormat;
  maxAttempts: number;
  timeoutMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

/** `client=url,client2=url2`: the first `=` separates (URLs may hold more). */
export function parseWebhookUrls(text: string, variable: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const client = entry.slice(0, Math.max(0, eq)).trim();
    const url = entry.slice(eq + 1).trim();
    if (eq <= 0) throw new ConfigError(variable, `entry ${JSON.stringify(entry.slice(0, 60))} is not client=url`, 'Write each entry as client=https://...');
    const check = validateClientId(client);
    if (!check.ok) throw new ConfigError(variable, `client ${JSON.stringify(client)}: ${check.reason}`, 'Use valid client ids');
    if (!/^https?:\/\/\S+$/.test(url)) throw new ConfigError(variable, `the URL of ${client} is not http(s): ${JSON.stringify(url.slice(0, 60))}`, 'Give each client an http:// or https:// URL');
    out.set(client, url);
  }
  return out;
}

export function loadDeliveryConfig(env: Env, client: string): DeliveryConfig {
  const host = readOptional(env, 'CONTROL_PLANE_HOST') ?? '127.0.0.1';
  const port = readOptional(env, 'CONTROL_PLANE_PORT') ?? '7070';
  return {
    enricher: {
      debounceMs: readInt(env, 'ENRICH_DEBOUNCE_MS', 2000, { min: 10 }),
      stopAfterResolvedMs: readInt(env, 'ENRICH_STOP_AFTER_RESOLVED_MINUTES', 10, { min: 0 }) * 60_000,
      maxFiringMs: readInt(env, 'ENRICH_MAX_FIRING_HOURS', 6, { min: 1 }) * 3_600_000,
      maxTracked: readInt(env, 'ENRICH_MAX_ALERTS', 1000, { min: 1 }),
    },
    publicUrl: (readOptional(env, 'PUBLIC_URL') ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`).replace(/\/+$/, ''),
    webhookUrl: parseWebhookUrls(readOptional(env, 'NOTIFY_WEBHOOK_URLS') ?? '', 'NOTIFY_WEBHOOK_URLS').get(client),
    format: readEnum(env, 'NOTIFY_FORMAT', ['generic', 'slack'] as const, 'generic'),
    maxAttempts: readInt(env, 'NOTIFY_MAX_ATTEMPTS', 5, { min: 1, max: 20 }),
    timeoutMs: readInt(env, 'NOTIFY_TIMEOUT_MS', 10_000, { min: 100 }),
    initialBackoffMs: readInt(env, 'NOTIFY_BACKOFF_MS', 500, { min: 1 }),
    maxBackoffMs: readInt(env, 'NOTIFY_MAX_BACKOFF_MS', 30_000, { min: 1 }),
  };
}

/** The alerts of a written batch, as the enricher follows them. */
export function writtenBatch(at: number, rows: readonly EventRow[]): WrittenBatch {
  return {
    at,
    rows: rows.length,
    alerts: rows.filter((r) => r.source === 'alert').map((r) => ({ fingerprint: r.eid.split(':')[1], eid: r.eid, status: r.detail ?? 'firing' })),
  };
}

/** Wraps the graph write so each committed batch is reported to `written` (after the commit; the write never waits). */
export function reportingWrites(write: (b: EventBatch) => Observable<EventWriteResult>, written: Subject<WrittenBatch>): (b: EventBatch) => Observable<EventWriteResult> {
  return (b) => {
    const at = Date.now();
    return write(b).pipe(tap(() => written.next(writtenBatch(at, b.rows))));
  };
}

/** POSTs JSON with a timeout; 2xx ok, 408/429/5xx and network errors retried, other answers permanent. */
export function postJson(url: string, body: Record<string, unknown>, timeoutMs: number): Observable<number> {
  return defer(async () => {
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'kgroot-notifier' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      throw { message: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message) } satisfies PostError;
    }
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return res.status;
    throw { message: `HTTP ${res.status}`, permanent: res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429 } satisfies PostError;
  });
}

export interface DeliveryDeps {
  client: string;
  reader: GraphReader;
  /** Stores a published answer's summary on the alert node (GraphStore.recordAnswer), for the incident list. */
  record?(answer: RcaAnswer, revision: number): Promise<void>;
  answer: AnswerFunction;
  send(record: OutRecord): Observable<Delivered>;
  log: Logger;
  /** Topic overrides (tests). */
  topics?: { enriched?: string; dlq?: string };
}

export type DeliveryEffect = AlertEnricherEffect | NotifierEffect;

/** The enricher, then (when the client has a webhook) the notifier on what it published; logged and measured. */
export function alertDelivery$(written$: Observable<WrittenBatch>, deps: DeliveryDeps, config: DeliveryConfig): Observable<DeliveryEffect> {
  const { client, log } = deps;
  const enrichedTopic = deps.topics?.enriched ?? TOPICS.alertsEnriched.name;
  const dlqTopic = deps.topics?.dlq ?? TOPICS.dlqNormalized.name;
  const key = (fp: string) => formatKey(client, 'alert', fp);
  const url = (fp: string) => incidentUrl(config.publicUrl, client, fp);
  const enriched$ = alertEnricher(
    { written$ },
    {
      answer: (fp) => from(deps.answer(deps.reader, client, fp)),
      publish: (a, revision) =>
        concat(
          deps.send({ topic: enrichedTopic, key: key(a.alert.fingerprint), value: encodeEnrichedAlert(enrichedOfAnswer(a, revision, Date.now())), headers: { 'kg.component': ALERT_ENRICHER } }),
          defer(() => (deps.record ? deps.record(a, revision) : Promise.resolve())),
        ),
    },
    config.enricher,
  ).pipe(
    tap((e) => {
      switch (e.kind) {
        case 'published':
          enrichedTotal.labels(client, 'published').inc();
          if (e.latencyMs !== null) alertEnrichedSeconds.labels(client).observe(e.latencyMs / 1000);
          log.info({ fingerprint: e.fingerprint, revision: e.revision, status: e.status, why: e.why, latencyMs: e.latencyMs, topCause: e.answer.causes[0]?.eid ?? null, faultType: e.answer.faultType }, 'alert enriched');
          return;
        case 'unchanged':
          enrichedTotal.labels(client, 'unchanged').inc();
          return;
        case 'stopped':
          log.info({ fingerprint: e.fingerprint, why: e.why }, 'alert no longer followed');
          return;
        case 'failed':
          enrichedTotal.labels(client, `${e.stage}_error`).inc();
          log.warn({ fingerprint: e.fingerprint, stage: e.stage, err: e.error }, 'alert enrichment failed; the next evidence tries again');
      }
    }),
    share(),
  );
  const webhook = config.webhookUrl;
  if (!webhook) return enriched$;
  const notifications$ = enriched$.pipe(
    filter((e): e is Extract<AlertEnricherEffect, { kind: 'published' }> => e.kind === 'published'),
    map((e): Notification => ({ fingerprint: e.fingerprint, revision: e.revision, body: notificationBody(config.format, client, e.answer, e.revision, url(e.fingerprint)) })),
  );
  const notified$ = notifier(
    { notifications$ },
    {
      post: (body) => postJson(webhook, body, config.timeoutMs),
      deadLetter: (n, reason) =>
        deps.send({
          topic: dlqTopic,
          key: key(n.fingerprint),
          value: Buffer.from(JSON.stringify(n.body)),
          headers: { 'content-type': 'application/json', [DLQ_HEADERS.sourceTopic]: enrichedTopic, [DLQ_HEADERS.component]: NOTIFIER, [DLQ_HEADERS.error]: reason, [DLQ_HEADERS.failedAt]: new Date().toISOString(), 'kg.revision': String(n.revision) },
        }),
    },
    { maxAttempts: config.maxAttempts, initialBackoffMs: config.initialBackoffMs, maxBackoffMs: config.maxBackoffMs },
  ).pipe(
    tap((e) => {
      if (e.kind === 'notified') {
        enrichedTotal.labels(client, 'notified').inc();
        log.info({ fingerprint: e.fingerprint, revision: e.revision, attempts: e.attempts, format: config.format }, 'notification delivered');
      } else if (e.kind === 'notify-retry') {
        enrichedTotal.labels(client, 'notify_retry').inc();
        log.warn({ fingerprint: e.fingerprint, attempt: e.attempt, delayMs: e.delayMs, err: e.error }, 'notification failed; retrying');
      } else {
        enrichedTotal.labels(client, e.kind === 'notify-dead-lettered' ? 'notify_dead_lettered' : 'notify_lost').inc();
        log.error({ fingerprint: e.fingerprint, revision: e.revision, reason: e.reason }, e.kind === 'notify-dead-lettered' ? 'notification dead-lettered' : 'notification lost');
      }
    }),
  );
  return merge(enriched$, notified$);
}

/** DeliveryDeps.record on a GraphStore: the published answer's summary (state, fault type, top cause) onto its alert node. */
export function recordInto(store: Pick<GraphStore, 'recordAnswer'>, client: string): (a: RcaAnswer, revision: number) => Promise<void> {
  return (a, revision) => {
    const t = a.causes[0];
    const top = t ? { eid: t.eid, reason: t.reason, rid: t.resource, score: t.score, ts: t.at === null ? null : Date.parse(t.at) } : null;
    return store.recordAnswer(client, a.alert.eid, revision, a.alert.status, a.faultType, top);
  };
}
