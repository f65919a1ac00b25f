import { concatMap, from, ignoreElements, map, merge, mergeMap, of, tap } from 'rxjs';
import { ROUTER, router, RouterEffect } from '../../pipelines/router/router';
import { atLeastBatch, ConfigError, Env, readEnum, readInt, readList, readString } from '../config/env';
import { ensureTopics } from '../kafka/admin';
import { loadKafkaConnection } from '../kafka/kafkaConfig';
import { KafkaSink } from '../kafka/kafkaSink';
import { KafkaSource } from '../kafka/kafkaSource';
import { TOPICS } from '../kafka/topics';
import { componentLogger } from '../log/logger';
import { recordsTotal } from '../metrics/metrics';
import { runPipeline, sourced } from '../runner/runPipeline';
import { Route, routeOf } from '../tenancy/routeOf';
import { KEY_SEPARATOR } from '../domain/keys';
import { SourceRecord } from '../kafka/record';
import { loadTenancySettings, TenancySettings } from '../tenancy/tenancyConfig';
import { ROUTED_TOPICS } from '../tenancy/tenantTopics';
import { TopicDirectory } from '../tenancy/topicDirectory';
import { byKind } from '../../pipelines/operators/ofKind';

export const description = "shared router (TENANCY=routed): raw.k8s.events, raw.k8s.logs, alerts.raw, events.normalized, logs.normalized → each client's own topics ({topic}.{client}), read once";

export interface RouterCommandConfig {
  tenancy: TenancySettings;
  /** ROUTER_MAX_IN_FLIGHT: unacknowledged records at most (default 5000; a held unregistered client counts). */
  maxInFlight: number;
  /** ROUTER_BATCH_SIZE: records per pull and produce batch (default 1000, as the passthrough's; 500 routed about a fifth fewer records per second in perf/tenancy). */
  batchSize: number;
  /** ROUTER_TOPICS: the shared topics routed (default raw.k8s.events, raw.k8s.logs, alerts.raw); tests and benchmarks use their own. */
  topics: string[];
  /** ROUTER_GROUP: the consumer group (default `router`; scale by running more routers in it). */
  group: string;
  /** ROUTER_START: where a new group starts, `earliest` (default: nothing already written is lost) or `latest`. */
  start: 'earliest' | 'latest';
}

export function loadRouterConfig(env: Env): RouterCommandConfig {
  return validateRouterConfig({
    tenancy: loadTenancySettings(env),
    maxInFlight: readInt(env, 'ROUTER_MAX_IN_FLIGHT', 5000, { min: 1, max: 1_000_000 }),
    batchSize: readInt(env, 'ROUTER_BATCH_SIZE', 1000, { min: 1, max: 100_000 }),
    topics: readList(env, 'ROUTER_TOPICS', ROUTED_TOPICS.map((t) => t.name)),
    group: readString(env, 'ROUTER_GROUP', 'router'),
    start: readEnum(env, 'ROUTER_START', ['earliest', 'latest'] as const, 'earliest'),
  });
}

/** The router's cross-field check: ROUTER_MAX_IN_FLIGHT holds a batch of ROUTER_BATCH_SIZE (a ConfigError naming the variable and the fix). */
export function validateRouterConfig(c: RouterCommandConfig): RouterCommandConfig {
  atLeastBatch('ROUTER_MAX_IN_FLIGHT', c.maxInFlight, 'ROUTER_BATCH_SIZE', c.batchSize);
  if (c.topics.length === 0) throw new ConfigError('ROUTER_TOPICS', 'names no topic', 'List the shared topics to route, separated by commas, or unset it for the default');
  return c;
}

/** Counts and logs one line per thing that happened; routed records are counted, not logged one by one. */
function effectLogger(log: ReturnType<typeof componentLogger>): (e: RouterEffect) => void {
  const routedBy = new Map<string, number>();
  const outBy = new Map<string, ReturnType<typeof recordsTotal.labels>>();
  let lastLog = Date.now();
  return byKind<RouterEffect>({
    'router/routed': (e) => {
      let out = outBy.get(e.client);
      if (!out) outBy.set(e.client, (out = recordsTotal.labels(ROUTER, e.client, 'out')));
      out.inc(e.count);
      routedBy.set(e.client, (routedBy.get(e.client) ?? 0) + e.count);
      if (Date.now() - lastLog >= 10_000) {
        log.info({ routed: Object.fromEntries(routedBy) }, 'progress');
        routedBy.clear();
        lastLog = Date.now();
      }
    },
    'router/dead-lettered': (e) => {
      recordsTotal.labels(ROUTER, e.client ?? '', 'dead_lettered').inc(e.settles.length);
      log.warn({ client: e.client, records: e.settles.length, reason: e.reason }, 'dead-lettered');
    },
    'router/waiting': (e) => log.info({ client: e.client, records: e.records }, 'holding records of a client without topics (not registered yet)'),
    'router/retry': (e) => log.warn({ client: e.client, records: e.records, attempt: e.attempt, delayMs: e.delayMs, err: e.error }, 'produce failed; retrying'),
  });
}

export async function main(): Promise<number> {
  const config = loadRouterConfig(process.env);
  if (config.tenancy.mode !== 'routed') {
    // In shared mode no client has its own topics: every record would wait and be dead-lettered.
    throw new ConfigError('TENANCY', 'the router only runs with TENANCY=routed (it is "shared")', 'Set TENANCY=routed for the router, the control plane and the workers, or do not run the router');
  }
  const log = componentLogger(ROUTER);
  const connection = loadKafkaConnection(process.env, 'kg-router');
  await ensureTopics(connection, log, [...ROUTED_TOPICS, TOPICS.dlqRaw]);
  const bases = config.topics;
  // The metadata client and the producer (with its read of the dead-letter ledger) start while the
  // consumer joins its group; the first batch waits for both (in order), so nothing is sent before.
  const directoryStarted = TopicDirectory.connect(connection, log);
  const sink = KafkaSink.create({ connection, component: ROUTER, dedupeDeadLetters: true }, log);
  const started = Promise.all([directoryStarted, sink.start()]);
  let directory: TopicDirectory | undefined;
  directoryStarted.then((d) => (directory = d), () => undefined);
  const source = new KafkaSource(
    {
      connection,
      groupId: config.group,
      topics: bases,
      fromBeginning: config.start === 'earliest',
      maxInFlight: config.maxInFlight,
      batchSize: config.batchSize,
      metrics: { component: ROUTER, client: '' },
    },
    log,
  );
  const { defaultClient, unregisteredGraceMs } = config.tenancy;
  log.info({ topics: bases, defaultClient, unregisteredGraceMs }, 'starting');
  const ready$ = from(started);
  const routed$ = router(
    { batches$: source.batches$.pipe(concatMap((batch) => ready$.pipe(map(() => batch)))) },
    {
      route: rememberedRoute(defaultClient),
      // A client whose topics are known needs no broker call, nor a promise per chunk.
      clientReady: (c) => (directory?.knows(c, bases) ? of(true) : from(directoryStarted).pipe(mergeMap((d) => d.ready$(c, bases)))),
      sendBatch: (o) => sink.sendBatch$(o),
    },
    { unregisteredGraceMs },
  ).pipe(
    tap(effectLogger(log)),
    // The topics may have gone (deleted by a deregistration): looked up again before the retry. The runner acknowledges what the effects settle.
    tap(byKind<RouterEffect>({ 'router/retry': (e) => void directoryStarted.then((d) => d.forget(e.client, bases)) })),
  );
  // A start-up that fails (broker away, the ledger unreadable) fails the router at once, records or not.
  const effects$ = merge(ready$.pipe(ignoreElements()), routed$);
  return runPipeline(
    sourced(effects$, source, () => sink.shutdown(), () => directoryStarted.then((d) => d.close(), () => undefined)),
    log,
  );
}

const SEPARATOR = Buffer.from(KEY_SEPARATOR);

/**
 * routeOf, with the route of a `{client}::…` key remembered by its client prefix (up to `max`
 * prefixes; then forgotten and learnt again): per record a short string and a map lookup instead of
 * the whole key decoded and the client id validated. Only keys routed by their prefix are
 * remembered (a bad key's reason quotes the whole key); every other key goes to routeOf.
 */
export function rememberedRoute(defaultClient: string | null, max = 10_000): (r: SourceRecord) => Route {
  const known = new Map<string, Route>();
  return (r) => {
    const key = r.key;
    const sep = key === null ? -1 : key.indexOf(SEPARATOR);
    if (key === null || sep <= 0 || key.length <= sep + SEPARATOR.length) return routeOf(key, defaultClient);
    const prefix = key.toString('latin1', 0, sep); // one string per byte sequence: the same prefix bytes, the same route
    const hit = known.get(prefix);
    if (hit) return hit;
    const route = routeOf(key, defaultClient);
    if (route.ok && route.via === 'key') {
      if (known.size >= max) known.clear();
      known.set(prefix, route);
    }
    return route;
  };
}
