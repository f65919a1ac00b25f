/**
 * HTTP API benchmark (issue 15). Prints a markdown section and writes perf/out/api.json.
 *
 * A day of one synthetic cluster in one client's graph (gridTopology: PERF_PODS pods behind
 * services on nodes): PERF_INCIDENTS incidents spread over 24 h — OOMKilled, BackOff, Unhealthy on
 * a pod and a KubePodCrashLooping alert on it a minute later — among PERF_NOISE normal events per
 * incident (Scheduled / Pulled / Started), all written through GraphStore.writeEvents$ (the graph
 * builder's writer, causal edges included).
 *
 * Then, sequentially over loopback, PERF_REQUESTS requests each (after a warm-up):
 * - GET /api/v1/clients/{c}/incidents/{fingerprint} (random incidents) through the real server
 *   (fastify, auth hook, the answer function, the subgraph read), beside a bare Cypher read of the
 *   same nodes: the incident's events by id and the POTENTIAL_CAUSE edges among them, one statement.
 * - GET /api/v1/clients/{c}/incidents (the 50 newest, each with its top cause), beside the bare
 *   incident-list statement (the same 50 alert nodes). Each alert first gets the summary the
 *   alerts.enriched publisher stores on it after a publication (answer → recordInto), as in the
 *   graph builder.
 *
 * Run: npm run perf -- api   (or: npx tsc -p tsconfig.json && node dist/perf/api.js)
 */
import { lastValueFrom } from 'rxjs';
import type { NormalizedEvent } from '../src/avro/normalizedCodec';
import { recordInto } from '../src/delivery/alertDelivery';
import { answerFor } from '../src/delivery/answerSource';
import { fingerprintOf } from '../src/graph/alert';
import { EventRow, eventRowOfAlert, eventRowOfNormalized } from '../src/graph/eventRows';
import { eventSubgraph, incidentsOf } from '../src/graph/readCypher';
import { incidentEventIds } from '../src/http/api/incidentView';
import { startHttpServer } from '../src/http/server';
import { componentLogger } from '../src/log/logger';
import { GraphStore } from '../src/neo4j/graphStore';
import { loadNeo4jConfig } from '../src/neo4j/neo4jConfig';
import { gridTopology } from '../src/simulator/gridTopology';
import { percentile, Row, writeResult } from './perfResult';

const INCIDENTS = Number(process.env.PERF_INCIDENTS ?? 500);
const NOISE = Number(process.env.PERF_NOISE ?? 40);
const PODS = Number(process.env.PERF_PODS ?? 400);
const REQUESTS = Number(process.env.PERF_REQUESTS ?? 300);
const DAY = 24 * 3600_000;
const T0 = Date.parse('2024-05-01T00:00:00Z');
const log = componentLogger('perf-api');

function event(id: string, reason: string, ts: number, pod: string, type: 'Normal' | 'Warning', abstract: string): NormalizedEvent {
  return {
    event_id: id, timestamp: ts, reason, message: `${reason} ${pod}`, type, severity: type === 'Warning' ? 'error' : 'info', event_type_abstract: abstract,
    object_kind: 'Pod', object_namespace: 'perf', object_name: pod, object_uid: `uid-${pod}`, pod, container: 'app', node: null, count: 1, reporting_component: 'kubelet', source_format: 'core/v1',
  };
}

/** The day's events, in time order, and the incidents' fingerprints. */
function day(): { rows: EventRow[]; fingerprints: string[] } {
  const rows: EventRow[] = [];
  const fingerprints: string[] = [];
  const apps = Math.max(1, Math.floor(PODS / 4));
  for (let i = 0; i < INCIDENTS; i++) {
    const t = T0 + Math.floor((i * DAY) / INCIDENTS);
    const p = (i * 7) % PODS;
    const pod = `app${p % apps}-${p}`;
    rows.push(eventRowOfNormalized(event(`oom-${i}`, 'OOMKilled', t, pod, 'Warning', 'container_oom')));
    rows.push(eventRowOfNormalized(event(`backoff-${i}`, 'BackOff', t + 10_000, pod, 'Warning', 'container_backoff')));
    rows.push(eventRowOfNormalized(event(`unhealthy-${i}`, 'Unhealthy', t + 20_000, pod, 'Warning', 'probe_failed')));
    const labels = { alertname: 'KubePodCrashLooping', namespace: 'perf', pod, severity: 'warning', incident: String(i) };
    const fingerprint = fingerprintOf(labels);
    fingerprints.push(fingerprint);
    rows.push(eventRowOfAlert({ status: i < INCIDENTS - 20 ? 'resolved' : 'firing', labels, annotations: { summary: `${pod} is crash looping` }, startsAt: new Date(t + 60_000).toISOString(), endsAt: new Date(t + 600_000).toISOString(), fingerprint }));
    for (let n = 0; n < NOISE; n++) {
      const q = (i * NOISE + n) % PODS;
      const reason = ['Scheduled', 'Pulled', 'Started'][n % 3];
      rows.push(eventRowOfNormalized(event(`noise-${i}-${n}`, reason, t + 30_000 + n * 1000, `app${q % apps}-${q}`, 'Normal', `container_${reason.toLowerCase()}`)));
    }
  }
  return { rows, fingerprints };
}

async function timed(n: number, next: (i: number) => Promise<void>): Promise<{ p50: number; p99: number; rate: number }> {
  const lat: number[] = [];
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await next(i);
    lat.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), rate: n / seconds };
}

async function main(): Promise<void> {
  const client = `perf-api-${Date.now().toString(36)}`;
  const store = await GraphStore.connect(loadNeo4jConfig(process.env), log);
  const database = await store.prepareClient(client);
  try {
    const topo = gridTopology({ namespace: 'perf', nodes: 20, apps: Math.max(1, Math.floor(PODS / 4)), pods: PODS });
    for (let i = 0; i < topo.length; i += 2000) await lastValueFrom(store.writeTopology$({ client, upserts: topo.slice(i, i + 2000), deletes: [] }));
    const { rows, fingerprints } = day();
    const writeStart = performance.now();
    for (let i = 0; i < rows.length; i += 2000) await lastValueFrom(store.writeEvents$({ client, rows: rows.slice(i, i + 2000) }));
    const writeS = (performance.now() - writeStart) / 1000;
    // What the alerts.enriched publisher does after each publication: the answer's summary on the alert node.
    const record = recordInto(store, client);
    for (const fp of fingerprints) {
      const a = await answerFor(store, client, fp);
      if (a) await record(a, 1);
    }
    const counts = await store.counts(client);
    log.warn({ ...counts, writeS }, 'day written');

    const server = await startHttpServer(
      { host: '127.0.0.1', port: 0, adminToken: undefined, clientTokens: new Map(), publicUrl: undefined, liveIntervalMs: 2000 },
      { clients: async () => ({ spawner: 'perf', workersAsOf: new Date().toISOString(), clients: [], rejected: {} }), health: () => ({ ok: true }), store: async () => store, answer: answerFor, log },
    );
    const pick = (i: number) => fingerprints[(i * 7919) % fingerprints.length];
    const getOk = async (path: string) => {
      const res = await fetch(`${server.url}${path}`);
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, any>;
    };
    // The nodes of each incident, for the bare read (same eids the API reads).
    const eidsOf = new Map<string, string[]>();
    for (const fp of new Set(Array.from({ length: REQUESTS }, (_, i) => pick(i)))) {
      const a = await answerFor(store, client, fp);
      if (!a) throw new Error(`no incident ${fp}`);
      eidsOf.set(fp, incidentEventIds(a));
    }
    const bare = async (s: { text: string; params: Record<string, unknown> }) => {
      await store.driver.executeQuery(s.text, s.params, { database, routing: 'READ' });
    };
    const warm = Math.min(30, REQUESTS);
    await timed(warm, async (i) => void (await getOk(`/api/v1/clients/${client}/incidents/${pick(i)}`)));
    await timed(warm, (i) => bare(eventSubgraph(client, eidsOf.get(pick(i)) as string[])));
    await timed(warm, async () => void (await getOk(`/api/v1/clients/${client}/incidents`)));
    await timed(warm, () => bare(incidentsOf(client, 50, null)));

    const detail = await getOk(`/api/v1/clients/${client}/incidents/${pick(0)}`);
    if (detail.causes[0]?.reason !== 'OOMKilled') throw new Error(`unexpected top cause ${JSON.stringify(detail.causes[0])}`);
    const list = await getOk(`/api/v1/clients/${client}/incidents`);
    if (list.incidents.length !== 50) throw new Error(`incident list has ${list.incidents.length} rows`);

    const apiRead = await timed(REQUESTS, async (i) => void (await getOk(`/api/v1/clients/${client}/incidents/${pick(i)}`)));
    const bareRead = await timed(REQUESTS, (i) => bare(eventSubgraph(client, eidsOf.get(pick(i)) as string[])));
    const apiList = await timed(REQUESTS, async () => void (await getOk(`/api/v1/clients/${client}/incidents`)));
    const bareList = await timed(REQUESTS, () => bare(incidentsOf(client, 50, null)));
    await server.close();

    const row = (what: string, r: { p50: number; p99: number; rate: number }, base?: { rate: number }, note?: string): Row => ({
      what, msgsPerSec: r.rate, p50Ms: r.p50, p99Ms: r.p99, ...(base ? { vsBaseline: r.rate / base.rate } : {}), ...(note ? { note } : {}),
    });
    writeResult({
      name: 'api',
      title: `HTTP API: incident read and incident list on a day of one cluster (${INCIDENTS} incidents, ${counts.events.toLocaleString('en')} events, ${counts.causes.toLocaleString('en')} causal edges)`,
      command: 'npm run perf -- api',
      rows: [
        row('GET /api/v1/clients/{c}/incidents/{fp} (requests/s)', apiRead, bareRead, 'answer (alert lookup, ranking, best paths) + alert node + subgraph, JSON over loopback HTTP'),
        row('baseline: bare Cypher read of the same nodes and edges', bareRead, undefined, 'one statement, same driver'),
        row('GET /api/v1/clients/{c}/incidents (50 newest, requests/s)', apiList, bareList, 'the list with each incident\'s top cause and fault type as the publisher stored them on the alert node'),
        row('baseline: bare Cypher read of the same 50 alert nodes', bareList, undefined, 'one statement'),
      ],
      notes: [
        `Sequential requests, ${REQUESTS} each after ${warm} warm-up; random incidents; Neo4j and the server on this machine's loopback; rates are requests per second.`,
        `Target (issue 15): incident read p99 < 100 ms and ≥ 0.5× the bare read's rate. Measured: p99 ${apiRead.p99.toFixed(1)} ms, ${(apiRead.rate / bareRead.rate).toFixed(2)}× the bare read.`,
        `The day was written in ${writeS.toFixed(1)} s through GraphStore.writeEvents$ (${rows.length.toLocaleString('en')} events).`,
        'The answers come from src/delivery/answerSource.ts (the adapter over the rootCauses statement); the ranking of issue 14 will replace it.',
      ],
    });
  } finally {
    // CALL … IN TRANSACTIONS needs an implicit (auto-commit) transaction: session.run.
    const session = store.driver.session({ database });
    await session.run('MATCH (n {client: $client}) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS', { client }).catch((err: Error) => log.warn({ err: err.message }, 'cleanup failed'));
    await session.close();
    await store.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`perf api failed: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
