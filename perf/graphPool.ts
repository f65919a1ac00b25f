/**
 * Pooled graph builder benchmark (issue 16: "50 clients ≤ 1.3× the CPU of 1 client", "idle worker"),
 * for the role the tenancy benchmark does not run: the graph builder, which holds the heaviest
 * per-client state. Prints a markdown section and writes perf/out/graphPool.json.
 *
 * 1. The same PERF_EVENTS normalized events (default 20,000; perf/k8sEvents normalizedEvent, 2,000
 *    pods split among the clients, so the same events per pod and causal pairs in every configuration) spread over 1, 10 and 50 clients (PERF_CLIENTS), written to each client's own
 *    events.normalized.{client} topic, then built into the graph
 *    - pooled: ONE `kgroot graph-builder-pool` process (GRAPH_POOL_TOPIC_PREFIX: the run's own topics);
 *    - per-client: one `kgroot graph-builder` process per client (PERF_PER_CLIENT_CLIENTS, default 1,10:
 *      50 processes of ~140 MB each do not fit this benchmark's budget);
 *    CPU = utime + stime of every graph-builder process from the moment all are assigned and idle to
 *    the last event stored (counted in Neo4j), and Neo4j's own CPU over the same span beside it.
 *    vsBaseline = the 1-client CPU of the same mode ÷ this CPU (the target 1.3× is vsBaseline ≥ 0.77).
 * 2. Idle: the pool serving 50 idle clients (each has written one event, so each client's pipeline
 *    runs inside the pool), one idle per-client graph builder, and an idle
 *    `node -e 'setInterval(()=>{},1e9)'`, the same PERF_IDLE_SECONDS (60): CPU share of a core and RSS.
 *
 * A warm-up configuration (pooled, 1 client, 4,000 events) runs first, untimed.
 *
 * Run: npm run build && node dist/perf/graphPool.js   (PERF_EVENTS, PERF_CLIENTS, PERF_PER_CLIENT_CLIENTS, PERF_IDLE_SECONDS, PERF_GRAPH_POOL_PARTS=idle,cpu)
 */
import { spawn } from 'node:child_process';
import neo4j, { Driver } from 'neo4j-driver';
import { encodeNormalizedEvent } from '../src/avro/normalizedCodec';
import { formatNormalizedKey } from '../src/domain/keys';
import { deleteTopic } from '../src/kafka/admin';
import { KafkaSink } from '../src/kafka/kafkaSink';
import { TOPICS } from '../src/kafka/topics';
import { componentLogger } from '../src/log/logger';
import { loadNeo4jConfig } from '../src/neo4j/neo4jConfig';
import { tenantTopic } from '../src/tenancy/tenantTopics';
import { graphPoolTopics } from '../src/commands/graph-builder-pool';
import { createTestTopic, testConnection, uniqueName } from '../test/support/kafkaTest';
import { normalizedEvent } from './k8sEvents';
import { PerfResult, Row, writeResult } from './perfResult';
import { cpuSeconds, neo4jPid, Proc, rssMb, startRole, stopAll } from './processes';

process.env.LOG_LEVEL ??= 'warn';
const log = componentLogger('perf-graph-pool');
const N = Number(process.env.PERF_EVENTS ?? 20_000);
const PODS = 2000;
const POOLED_COUNTS = (process.env.PERF_CLIENTS ?? '1,10,50').split(',').map(Number);
const PER_CLIENT_COUNTS = (process.env.PERF_PER_CLIENT_CLIENTS ?? '1,10').split(',').map(Number);
const IDLE_SECONDS = Number(process.env.PERF_IDLE_SECONDS ?? 60);
const IDLE_CLIENTS = 50;
/** PERF_GRAPH_POOL_PARTS: which parts run (idle, cpu; default both). */
const PARTS = new Set((process.env.PERF_GRAPH_POOL_PARTS ?? 'idle,cpu').split(','));

type Mode = 'pooled' | 'per-client';

interface Setup {
  clients: string[];
  /** Each client's events topic. */
  eventsTopic: (client: string) => string;
  topics: string[];
  start: () => Proc[];
}

/** The clients' topics (what the control plane creates at registration) and how to start the mode's processes. */
async function setup(mode: Mode, count: number, tag: string): Promise<Setup> {
  const run = uniqueName(tag).replace(/[^a-z0-9]/g, '');
  const clients = Array.from({ length: count }, (_, i) => `g${run}c${i}`);
  const topics: string[] = [];
  const create = async (t: string) => {
    await createTestTopic(t, 1);
    topics.push(t);
  };
  if (mode === 'pooled') {
    const prefix = `pgp-${run}-`;
    const pool = graphPoolTopics(prefix);
    for (const t of pool.shared) await create(t);
    for (const c of clients) for (const t of pool.bases) await create(tenantTopic(t, c));
    return { clients, topics, eventsTopic: (c) => pool.of(c).events, start: () => [startRole('graph-builder-pool', { TENANCY: 'routed', WORKER_MODE: 'pooled', GRAPH_POOL_TOPIC_PREFIX: prefix, CONSUMER_GROUP: `graph-builder-pool-${run}` })] };
  }
  for (const c of clients) for (const t of [TOPICS.eventsNormalized, TOPICS.logsNormalized, TOPICS.alertsRaw]) await create(tenantTopic(t.name, c));
  return { clients, topics, eventsTopic: (c) => tenantTopic(TOPICS.eventsNormalized.name, c), start: () => clients.map((c) => startRole('graph-builder', { TENANCY: 'routed', CLIENT_ID: c })) };
}

/** Each client's events over PODS / clients pods: the same events per pod (so the same causal pairs) however the traffic is spread. */
async function fill(s: Setup, perClientEvents: number, run: string): Promise<void> {
  const sink = await KafkaSink.connect({ connection: testConnection }, log);
  const pods = Math.max(1, Math.floor(PODS / s.clients.length));
  let pending: Promise<unknown>[] = [];
  for (let i = 0; i < perClientEvents; i++) {
    for (const c of s.clients) {
      const e = normalizedEvent(run, i, pods);
      pending.push(sink.send({ topic: s.eventsTopic(c), key: formatNormalizedKey(c, 'evt', e.event_id), value: encodeNormalizedEvent(e) }));
      if (pending.length >= 10_000) await Promise.all(pending.splice(0));
    }
  }
  await Promise.all(pending);
  await sink.close();
}

async function storedEvents(driver: Driver, clients: string[]): Promise<number> {
  const r = await driver.executeQuery('MATCH (e:Event) WHERE e.client IN $clients RETURN count(e) AS n', { clients });
  return Number(r.records[0].get('n'));
}

async function waitStored(driver: Driver, clients: string[], want: number, stallMs = 120_000): Promise<void> {
  let last = -1;
  let lastAt = Date.now();
  for (;;) {
    const have = await storedEvents(driver, clients);
    if (have >= want) return;
    if (have !== last) [last, lastAt] = [have, Date.now()];
    else if (Date.now() - lastAt > stallMs) throw new Error(`only ${have} of ${want} events stored, none new for ${stallMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function cleanup(driver: Driver, s: Setup): Promise<void> {
  // CALL … IN TRANSACTIONS runs only in an implicit (auto-commit) transaction: session.run.
  const session = driver.session();
  await session
    .run('MATCH (n) WHERE n.client IN $clients CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS', { clients: s.clients })
    .catch((err) => log.warn({ err }, 'clean-up of the run graph failed'))
    .finally(() => session.close());
  for (const t of s.topics) await deleteTopic(testConnection, t).catch(() => undefined);
}

interface RunResult {
  cpuS: number;
  neo4jCpuS: number;
  wallS: number;
  processes: number;
  rssMbMax: number;
}

async function runConfig(driver: Driver, mode: Mode, count: number, events = N): Promise<RunResult> {
  const s = await setup(mode, count, mode === 'pooled' ? 'p' : 'c');
  const per = Math.floor(events / count);
  const procs = s.start();
  const npid = neo4jPid();
  try {
    await Promise.all(procs.map((p) => p.ready));
    await new Promise((r) => setTimeout(r, 3000)); // start-up work settles: idle from here
    const cpu0 = procs.map((p) => cpuSeconds(p.child.pid!));
    const n0 = npid === null ? NaN : cpuSeconds(npid);
    const t0 = process.hrtime.bigint();
    await fill(s, per, 'e');
    await waitStored(driver, s.clients, per * count);
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpuS = procs.reduce((a, p, i) => a + cpuSeconds(p.child.pid!) - cpu0[i], 0);
    const neo4jCpuS = npid === null ? NaN : cpuSeconds(npid) - n0;
    const rssMbMax = Math.max(...procs.map((p) => rssMb(p.child.pid!)));
    log.warn({ mode, clients: count, cpuS, neo4jCpuS, wallS }, 'configuration measured');
    return { cpuS, neo4jCpuS, wallS, processes: procs.length, rssMbMax };
  } finally {
    await stopAll(procs);
    await cleanup(driver, s);
  }
}

/** The pool serving IDLE_CLIENTS idle clients, one idle per-client graph builder, an idle node: same span. */
async function idle(driver: Driver): Promise<Row[]> {
  const pooled = await setup('pooled', IDLE_CLIENTS, 'ip');
  const single = await setup('per-client', 1, 'ic');
  const procs = [...pooled.start(), ...single.start()];
  const node = spawn(process.execPath, ['-e', 'setInterval(()=>{},1e9)'], { stdio: 'ignore' });
  try {
    await Promise.all(procs.map((p) => p.ready));
    // One event per client: each client's pipeline (batches, memory, alerts.enriched publisher) runs.
    await fill(pooled, 1, 'i');
    await fill(single, 1, 'i');
    await waitStored(driver, [...pooled.clients, ...single.clients], IDLE_CLIENTS + 1);
    await new Promise((r) => setTimeout(r, 5000));
    const all = [
      { what: `idle graph-builder-pool serving ${IDLE_CLIENTS} idle clients`, pid: procs[0].child.pid! },
      { what: 'idle per-client graph-builder (1 client)', pid: procs[1].child.pid! },
      { what: "idle `node -e 'setInterval(()=>{},1e9)'` (baseline)", pid: node.pid! },
    ];
    const c0 = all.map((x) => cpuSeconds(x.pid));
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    return all.map((x, i) => {
      const pct = ((cpuSeconds(x.pid) - c0[i]) / IDLE_SECONDS) * 100;
      const perClient = i === 0 ? `; per client ${(pct / IDLE_CLIENTS).toFixed(3)} % and ${(rssMb(x.pid) / IDLE_CLIENTS).toFixed(1)} MB` : '';
      return { what: x.what, rssMb: rssMb(x.pid), note: `${pct.toFixed(2)} % of a core over ${IDLE_SECONDS} s${perClient}` };
    });
  } finally {
    node.kill();
    await stopAll(procs);
    await cleanup(driver, pooled);
    await cleanup(driver, single);
  }
}

async function main(): Promise<void> {
  const c = loadNeo4jConfig(process.env);
  const driver = neo4j.driver(c.uri, c.auth ? neo4j.auth.basic(c.auth.user, c.auth.password) : undefined);
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    if (PARTS.has('idle')) rows.push(...(await idle(driver)));
    // Warm-up, untimed: the first configuration of a run otherwise pays Neo4j's and the JIT's first use.
    if (PARTS.has('cpu')) await runConfig(driver, 'pooled', 1, Math.min(N, 4000));
    for (const mode of PARTS.has('cpu') ? (['pooled', 'per-client'] as const) : []) {
      const counts = mode === 'pooled' ? POOLED_COUNTS : PER_CLIENT_COUNTS;
      let base: RunResult | undefined;
      for (const n of counts) {
        const r = await runConfig(driver, mode, n);
        base ??= r;
        const isBase = r === base;
        rows.push({
          what: `${Math.floor(N / n) * n} events over ${n} client${n === 1 ? '' : 's'} — ${mode === 'pooled' ? 'one graph-builder-pool' : `${n} per-client graph-builder${n === 1 ? '' : 's'}`}${isBase ? ' (baseline of its mode)' : ''}`,
          msgsPerSec: Math.round((Math.floor(N / n) * n) / r.wallS),
          seconds: r.wallS,
          rssMb: r.rssMbMax,
          vsBaseline: isBase ? undefined : base.cpuS / r.cpuS,
          note: `${r.processes} process${r.processes === 1 ? '' : 'es'}, CPU ${r.cpuS.toFixed(1)} s${isBase ? '' : ` = ${(r.cpuS / base.cpuS).toFixed(2)}× the 1-client CPU`}; Neo4j CPU ${r.neo4jCpuS.toFixed(1)} s${isBase ? '' : ` (${(r.neo4jCpuS / base.neo4jCpuS).toFixed(2)}×)`}; max RSS per process`,
        });
      }
    }
    notes.push(
      `CPU = utime + stime of every graph-builder process from the moment all were assigned and idle to the last of the events stored in Neo4j (polled every 500 ms); Neo4j's CPU over the same span is beside it (fewer events per client make smaller transactions, which Neo4j pays for).`,
      'vsBaseline = the CPU of the same mode with one client ÷ this CPU (1.0 = the work does not grow with clients; the target is 50 clients ≤ 1.3× one client, vsBaseline ≥ 0.77).',
      `Events: perf/k8sEvents normalizedEvent, ${PODS} pods in all split among the clients (${PODS} for 1 client, ${PODS / 50} each for 50), so every configuration has the same events per pod and the same causal pairs; no topology (each event links to its pod; causal candidates are the pod's own earlier events).`,
      'The machine has 2 cores shared with other work: compare ratios within this run.',
    );
  } finally {
    await driver.close();
  }
  const result: PerfResult = { name: 'graphPool', title: `Pooled graph builder: ${N.toLocaleString('en')} events over 1, 10, 50 clients (one process vs one per client), and idle cost`, command: 'npm run build && node dist/perf/graphPool.js', rows, notes };
  writeResult(result);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
