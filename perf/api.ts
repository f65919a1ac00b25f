/**
 * HTTP API benchmark (issue 15). Prints a markdown section and writes perf/out/api.json.
 *
 * A day of one cluster: the held-out half of the RCA corpus (src/simulator/corpus, seed
 * PERF_API_SEED, as `npm run perf -- rca`) fed through the real stack in this process
 * (src/simulator/corpus/replay.ts: normalizers, topology builder, graph builder on the local Kafka
 * and Neo4j, topics and client unique to the run) at PERF_API_SPEEDUP × real time. Then what the
 * alerts.enriched publisher does once the evidence settled: every alert answered through the
 * delivery's answer function (src/delivery/answerSource answerFor: the src/rca ranking, the answer
 * stored on the alert node, src/delivery/storedAnswer.ts) — timed, as the per-change cost.
 *
 * Then, sequentially over loopback, PERF_REQUESTS requests each (after a warm-up):
 * - GET /api/v1/clients/{c}/incidents/{fingerprint} (random incidents) through the real server
 *   (fastify, auth hook, the stored answer, alert node and subgraph in one statement), beside a bare
 *   Cypher read of the same nodes: the incident's events by id and the POTENTIAL_CAUSE edges among
 *   them, one statement; and beside the floor of any HTTP answer: a bare fastify route on the same
 *   loopback returning the same JSON from memory.
 * - the ranking itself for the same incidents (what each GET computed before answers were stored).
 * - GET /api/v1/clients/{c}/incidents (the 50 newest, each with its top cause), beside a bare
 *   statement reading the same 50 alert nodes.
 *
 * Run: npm run perf -- api   (or: npm run build && node dist/perf/api.js)
 */
import Fastify from 'fastify';
import { rankedAnswer, answerFor } from '../src/delivery/answerSource';
import { answerEventIds, IN_FLIGHT_MARGIN_MS } from '../src/delivery/storedAnswer';
import { eventSubgraph } from '../src/graph/readCypher';
import { startHttpServer } from '../src/http/server';
import { componentLogger } from '../src/log/logger';
import { corpusSplit } from '../src/simulator/corpus';
import { StackReplay } from '../src/simulator/corpus/replay';
import { percentile, Row, writeResult } from './perfResult';

const SEED = Number(process.env.PERF_API_SEED ?? 7);
const SPEEDUP = Number(process.env.PERF_API_SPEEDUP ?? 1000);
const REQUESTS = Number(process.env.PERF_REQUESTS ?? 300);
const log = componentLogger('perf-api');

/** The 50 newest alert nodes, one per fingerprint, with the fields the list shows: the list without its stored answers. */
const BARE_LIST = `
MATCH (a:Event {client: $client, source: 'alert'})
WITH a, split(a.eid, ':')[1] AS fingerprint ORDER BY a.ts DESC
WITH fingerprint, collect(a)[0] AS a
RETURN fingerprint, a.eid AS eid, a.reason AS alertname, a.detail AS status, a.severity AS severity, a.ts AS startsAt,
       a.last_ts AS lastTs, a.rid AS resource, a.message AS summary, a.confirmed_cause AS confirmedCause
ORDER BY startsAt DESC, fingerprint ASC LIMIT 50`;

type Timing = { p50: number; p99: number; rate: number };

/** Timing of each of `fs`, their requests interleaved (f0(i), f1(i), … for each i) so all see the same load on this shared machine. */
async function interleaved(n: number, fs: ReadonlyArray<(i: number) => Promise<void>>): Promise<Timing[]> {
  const lat = fs.map(() => [] as number[]);
  const busy = fs.map(() => 0);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < fs.length; k++) {
      const t = performance.now();
      await fs[k](i);
      const ms = performance.now() - t;
      lat[k].push(ms);
      busy[k] += ms;
    }
  }
  return lat.map((l, k) => {
    l.sort((a, b) => a - b);
    return { p50: percentile(l, 50), p99: percentile(l, 99), rate: n / (busy[k] / 1000) };
  });
}

async function timed(n: number, next: (i: number) => Promise<void>): Promise<Timing> {
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
  const run = `a${Date.now().toString(36)}`;
  const client = `perfapi${run}`;
  const day = corpusSplit(SEED, { client }).heldOut;
  const replay = await StackReplay.start({ run, client, log, partitions: 3 });
  const store = replay.store;
  try {
    const feedStart = performance.now();
    await replay.feed(day, SPEEDUP);
    await replay.waitProcessed(20 * 60_000);
    const feedS = (performance.now() - feedStart) / 1000;
    const counts = await store.counts(client);
    const fingerprints = [...new Set((await store.incidents(client, 500, null)).map((r) => String(r.fingerprint)))];
    log.warn({ ...counts, alerts: fingerprints.length, feedS }, 'day fed');
    // The evidence settled: answered as the publisher answers after its last batch (answers stored).
    await new Promise((r) => setTimeout(r, IN_FLIGHT_MARGIN_MS + 1000));
    const computed = await timed(fingerprints.length, async (i) => void (await answerFor(store, client, fingerprints[i])));

    const server = await startHttpServer(
      { host: '127.0.0.1', port: 0, adminToken: undefined, clientTokens: new Map(), publicUrl: undefined, liveIntervalMs: 2000 },
      { clients: async () => ({ spawner: 'perf', workersAsOf: new Date().toISOString(), clients: [], rejected: {} }), health: () => ({ ok: true }), store: async () => store, answer: answerFor, log },
    );
    const pick = (i: number) => fingerprints[(i * 7919) % fingerprints.length];
    const getOk = async (url: string) => {
      const res = await fetch(url);
      if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, any>;
    };
    const detailUrl = (fp: string) => `${server.url}/api/v1/clients/${client}/incidents/${fp}`;
    // The nodes of each incident (same eids the API reads) and its page, for the bare read and the floor.
    const eidsOf = new Map<string, string[]>();
    const pages = new Map<string, unknown>();
    for (const fp of fingerprints) {
      const a = await rankedAnswer(store, client, fp);
      if (!a) throw new Error(`no incident ${fp}`);
      eidsOf.set(fp, answerEventIds(a));
      const page = await getOk(detailUrl(fp));
      if (JSON.stringify(page.causes) !== JSON.stringify(a.causes)) throw new Error(`stored answer of ${fp} differs from the ranking's`);
      pages.set(fp, page);
    }
    const floor = Fastify({ logger: false });
    floor.get('/floor/:fp', async (req) => pages.get((req.params as { fp: string }).fp));
    const floorUrl = await floor.listen({ host: '127.0.0.1', port: 0 });
    const database = await store.prepareClient(client);
    const bare = async (s: { text: string; params: Record<string, unknown> }) => {
      await store.driver.executeQuery(s.text, s.params, { database, routing: 'READ' });
    };
    const bareRead = (i: number) => bare(eventSubgraph(client, eidsOf.get(pick(i)) as string[]));
    const apiRead = async (i: number) => void (await getOk(detailUrl(pick(i))));
    const floorRead = async (i: number) => void (await getOk(`${floorUrl}/floor/${pick(i)}`));
    const rank = async (i: number) => void (await rankedAnswer(store, client, pick(i)));
    const listUrl = `${server.url}/api/v1/clients/${client}/incidents`;
    const apiList = async () => void (await getOk(listUrl));
    const bareList = () => bare({ text: BARE_LIST, params: { client } });
    const warm = Math.min(30, REQUESTS);
    for (const f of [apiRead, bareRead, floorRead, rank, apiList, bareList]) await timed(warm, f);

    const list = await getOk(listUrl);
    if (list.incidents.length !== Math.min(50, fingerprints.length)) throw new Error(`incident list has ${list.incidents.length} rows`);

    const [api, bareR, floorR] = await interleaved(REQUESTS, [apiRead, bareRead, floorRead]);
    const ranked = await timed(Math.min(REQUESTS, 100), rank);
    const [listR, bareL] = await interleaved(REQUESTS, [apiList, bareList]);
    await server.close();
    await floor.close();

    const row = (what: string, r: Timing, base?: Timing, note?: string): Row => ({
      what, msgsPerSec: r.rate, p50Ms: r.p50, p99Ms: r.p99, ...(base ? { vsBaseline: r.rate / base.rate } : {}), ...(note ? { note } : {}),
    });
    writeResult({
      name: 'api',
      title: `HTTP API: incident read and incident list on a day of one cluster (RCA corpus held-out half: ${fingerprints.length} alerts, ${counts.events.toLocaleString('en')} events, ${counts.causes.toLocaleString('en')} causal edges)`,
      command: 'npm run perf -- api',
      rows: [
        row('GET /api/v1/clients/{c}/incidents/{fp} (requests/s)', api, bareR, 'stored answer + alert node + subgraph in one statement, JSON over loopback HTTP'),
        row('baseline: bare Cypher read of the same nodes and edges', bareR, undefined, 'one statement, same driver'),
        row('floor: bare fastify route, the same JSON from memory', floorR, bareR, 'no graph read: what any HTTP answer of this size costs here'),
        row('the ranking per incident (what each GET computed before answers were stored)', ranked, bareR, `src/rca answerAlert via rankedAnswer, ${Math.min(REQUESTS, 100)} answers; computing and storing all ${fingerprints.length}: p50 ${computed.p50.toFixed(1)} ms, p99 ${computed.p99.toFixed(1)} ms`),
        row('GET /api/v1/clients/{c}/incidents (50 newest, requests/s)', listR, bareL, 'each incident with the top cause and fault type of its stored answer, freshness checked in the same statement'),
        row('baseline: bare Cypher read of the same 50 alert nodes', bareL, undefined, 'one statement'),
      ],
      notes: [
        `Sequential requests, ${REQUESTS} each after ${warm} warm-up, the subject's, the baseline's and the floor's interleaved one by one (the machine is shared: all three see the same load); random incidents; Neo4j and the server on this machine's loopback; rates are requests per second of time spent in that kind of request.`,
        `Target (issue 15): incident read p99 < 100 ms and ≥ 0.5× the bare read's rate. Measured: p99 ${api.p99.toFixed(1)} ms, ${(api.rate / bareR.rate).toFixed(2)}× the bare read (the floor, no graph read at all, is ${(floorR.rate / bareR.rate).toFixed(2)}×).`,
        `The day (corpus seed ${day.seed}, ${day.stats.records} records, ${day.truth.length} incidents) was fed at ${SPEEDUP}× real time through the real pipelines and processed in ${feedS.toFixed(0)} s.`,
        'Answers are computed when the alert or its evidence changes (the alerts.enriched publisher, or a read finding the stored one stale) and stored on the alert node (src/delivery/storedAnswer.ts); every incident page served here was checked equal to the ranking\'s answer computed in the same run.',
      ],
    });
  } finally {
    await replay.stop();
    await replay.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`perf api failed: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
