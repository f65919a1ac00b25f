/**
 * Graph builder benchmark (issue 4). Prints a markdown section and writes perf/out/graphBuilder.json.
 *
 * 1. Throughput with edges: N normalized events (a synthetic cluster: pods on nodes behind services,
 *    OOMKilled / BackOff / Unhealthy / normal events) produced to a fresh topic, then the graph
 *    builder pipeline (KafkaSource → decode → batch → Neo4j with ABOUT + POTENTIAL_CAUSE) from
 *    subscribe to the last ack; and the same batches written directly with GraphStore.writeEvents$.
 * 2. Baseline in the same run with the same driver: the same rows as a bare
 *    `UNWIND $rows AS row MERGE (e:Event {client, eid}) SET e += row`, same batch size and concurrency.
 * 3. Latency at a steady 2k events/s: events.normalized produced → transaction committed (node
 *    visible), p50/p99. Measured from events.normalized, not raw.k8s.events: the event normalizer
 *    is another component and runs as a separate process; its own latency adds on top.
 *
 * Run: npx tsc -p tsconfig.json && node dist/perf/graphBuilder.js   (PERF_EVENTS, PERF_BATCH)
 */
import { loadavg } from 'node:os';
import { lastValueFrom, mergeMap, from, tap, toArray } from 'rxjs';
import { graphBuilder, rowsOfInputs } from '../pipelines/graphBuilder/graphBuilder';
import { encodeNormalizedEvent, NormalizedEvent } from '../src/avro/normalizedCodec';
import { formatNormalizedKey } from '../src/domain/keys';
import { resourceOfObject, refOfResourceKey, ResourceRow } from '../src/graph/k8sObject';
import { deleteTopic, ensureTopics } from '../src/kafka/admin';
import { loadKafkaConnection } from '../src/kafka/kafkaConfig';
import { KafkaSink } from '../src/kafka/kafkaSink';
import { KafkaSource } from '../src/kafka/kafkaSource';
import { componentLogger } from '../src/log/logger';
import { GraphStore } from '../src/neo4j/graphStore';
import { loadNeo4jConfig } from '../src/neo4j/neo4jConfig';
import { isTransientGraphError } from '../src/neo4j/neo4jErrors';
import { percentile, writeResult } from './perfResult';

const N = Number(process.env.PERF_EVENTS ?? 40_000);
const BATCH = Number(process.env.PERF_BATCH ?? 2000);
const IN_FLIGHT = 2;
const PODS = 4000;
const NODES = 100;
const APPS = 400;
const REASONS: Array<[string, 'Warning' | 'Normal']> = [['OOMKilled', 'Warning'], ['Pulled', 'Normal'], ['BackOff', 'Warning'], ['Started', 'Normal'], ['Unhealthy', 'Warning']];
const log = componentLogger('perf-graph-builder');

function event(run: string, i: number): NormalizedEvent {
  const pod = i % PODS;
  const [reason, type] = REASONS[Math.floor(i / PODS) % REASONS.length];
  return {
    event_id: `${run}-${i}`, timestamp: 1_714_557_600_000 + i * 25, reason, message: `${reason} of pod ${pod}`, type, severity: type === 'Warning' ? 'warning' : 'info',
    event_type_abstract: reason.toLowerCase(), object_kind: 'Pod', object_namespace: 'perf', object_name: `app${pod % APPS}-${pod}`, object_uid: null,
    pod: `app${pod % APPS}-${pod}`, container: 'c', node: `node-${pod % NODES}`, count: 1, reporting_component: 'kubelet', source_format: 'core/v1',
  };
}

function topology(): ResourceRow[] {
  const rows: ResourceRow[] = [];
  const add = (kind: string, id: string, object: Record<string, unknown>) => {
    const r = resourceOfObject(object, refOfResourceKey(kind, id)!);
    if (!r.ok) throw new Error(r.reason);
    rows.push(r.value);
  };
  for (let n = 0; n < NODES; n++) add('Node', `node-${n}`, { kind: 'Node', metadata: { name: `node-${n}` } });
  for (let a = 0; a < APPS; a++) {
    add('Deployment', `perf/app${a}`, { kind: 'Deployment', metadata: { name: `app${a}`, namespace: 'perf' } });
    add('ReplicaSet', `perf/app${a}-rs`, { kind: 'ReplicaSet', metadata: { name: `app${a}-rs`, namespace: 'perf', ownerReferences: [{ kind: 'Deployment', name: `app${a}` }] } });
    add('Service', `perf/app${a}`, { kind: 'Service', metadata: { name: `app${a}`, namespace: 'perf' }, spec: { selector: { app: `app${a}` } } });
  }
  for (let p = 0; p < PODS; p++) {
    const a = p % APPS;
    add('Pod', `perf/app${a}-${p}`, { kind: 'Pod', metadata: { name: `app${a}-${p}`, namespace: 'perf', labels: { app: `app${a}` }, ownerReferences: [{ kind: 'ReplicaSet', name: `app${a}-rs` }] }, spec: { nodeName: `node-${p % NODES}` } });
  }
  return rows;
}

async function main(): Promise<void> {
  const run = `p${Date.now().toString(36)}`;
  const clients = { pipeline: `${run}-gb`, direct: `${run}-dw`, bare: `${run}-bare`, latency: `${run}-lat` };
  const connection = loadKafkaConnection(process.env, 'perf-graph-builder');
  const topic = `kgperf-${run}-events`;
  const latTopic = `kgperf-${run}-lat`;
  await ensureTopics(connection, log, [topic, latTopic].map((name) => ({ name, key: '', compacted: false, retentionMs: 3_600_000, partitions: 6 })));
  const store = await GraphStore.connect(loadNeo4jConfig(process.env), log);
  const sink = await KafkaSink.connect({ connection }, log);
  for (const c of Object.values(clients)) await store.prepareClient(c);
  const topo = topology();
  for (const c of [clients.pipeline, clients.direct, clients.latency]) {
    for (let i = 0; i < topo.length; i += 2000) await lastValueFrom(store.writeTopology$({ client: c, upserts: topo.slice(i, i + 2000), deletes: [] }));
  }

  const loadAtStart = loadavg();
  // 1a. pipeline from Kafka
  const events = Array.from({ length: N }, (_, i) => event(run, i));
  await Promise.all(events.map((e) => sink.send({ topic, key: formatNormalizedKey(clients.pipeline, 'evt', e.event_id), value: encodeNormalizedEvent(e) })));
  const source = new KafkaSource({ connection, groupId: `perf-${run}`, topics: [topic], maxInFlight: BATCH * (IN_FLIGHT + 2), batchSize: 1000 }, log);
  let edges = 0;
  let started = 0;
  // Timed from the first record consumed, so the consumer-group join is not counted.
  let t0 = 0;
  const cpu0 = process.cpuUsage();
  await new Promise<void>((resolve, reject) => {
    const sub = graphBuilder(
      { records$: source.records$.pipe(tap(() => { if (!t0) t0 = performance.now(); })) },
      { writeEvents: (b) => store.writeEvents$(b), send: (o) => sink.send$(o), isTransient: isTransientGraphError },
      { client: clients.pipeline, topics: { events: topic, logs: topic + '-none', alerts: topic + '-none' }, maxBatchSize: BATCH, maxBatchesInFlight: IN_FLIGHT, maxBatchMs: 100 },
    ).subscribe({
      next: (e) => {
        if (e.kind === 'batch-written') {
          if (!started) started = performance.now();
          edges += e.causalEdgesAdded;
        }
        if (source.stats().acked >= N) {
          sub.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
  const pipelineMs = performance.now() - t0;
  const pipelineCpu = process.cpuUsage(cpu0);
  await source.closed;

  // 1b. same batches, direct writer; 2. bare UNWIND MERGE baseline (same rows, driver, batch size, concurrency)
  const batches: NormalizedEvent[][] = [];
  for (let i = 0; i < N; i += BATCH) batches.push(events.slice(i, i + BATCH));
  const rowsOf = (b: NormalizedEvent[]) => rowsOfInputs(b.map((value) => ({ kind: 'event' as const, value })), 60_000);
  let cpu = process.cpuUsage();
  let t = performance.now();
  const direct = await lastValueFrom(from(batches).pipe(mergeMap((b) => store.writeEvents$({ client: clients.direct, rows: rowsOf(b) }), IN_FLIGHT), toArray()));
  const directMs = performance.now() - t;
  const directCpu = process.cpuUsage(cpu);
  const directEdges = direct.reduce((s, r) => s + r.causalEdgesAdded, 0);
  const bare = async (rows: unknown[]) => {
    const session = store.driver.session();
    try {
      await session.executeWrite((tx) => tx.run('UNWIND $rows AS row MERGE (e:Event {client: $client, eid: row.eid}) SET e += row', { client: clients.bare, rows }));
    } finally {
      await session.close();
    }
  };
  cpu = process.cpuUsage();
  t = performance.now();
  await lastValueFrom(from(batches).pipe(mergeMap((b) => from(bare(rowsOf(b))), IN_FLIGHT), toArray()));
  const bareMs = performance.now() - t;
  const bareCpu = process.cpuUsage(cpu);

  // 3. latency at a steady 2k/s
  const RATE = 2000;
  const SECONDS = Number(process.env.PERF_LATENCY_SECONDS ?? 15);
  const producedAt = new Map<string, number>();
  const visibleAt = new Map<string, number>();
  const latSource = new KafkaSource({ connection, groupId: `perf-${run}-lat`, topics: [latTopic], maxInFlight: BATCH * (IN_FLIGHT + 2) }, log);
  const latSub = graphBuilder(
    { records$: latSource.records$ },
    {
      writeEvents: (b) => store.writeEvents$(b).pipe(tap(() => { const now = performance.now(); for (const r of b.rows) visibleAt.set(r.eid, now); })),
      send: (o) => sink.send$(o),
      isTransient: isTransientGraphError,
    },
    { client: clients.latency, topics: { events: latTopic, logs: latTopic + '-none', alerts: latTopic + '-none' }, maxBatchSize: BATCH, maxBatchesInFlight: IN_FLIGHT, maxBatchMs: 50 },
  ).subscribe();
  await new Promise((r) => setTimeout(r, 5000)); // partition assignment
  const total = RATE * SECONDS;
  const startAt = performance.now();
  for (let i = 0; i < total; i++) {
    const due = startAt + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const e = event(`${run}l`, i);
    producedAt.set(`evt:${e.event_id}`, performance.now());
    void sink.send({ topic: latTopic, key: formatNormalizedKey(clients.latency, 'evt', e.event_id), value: encodeNormalizedEvent(e) });
  }
  const deadline = Date.now() + 60_000;
  while (visibleAt.size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  latSub.unsubscribe();
  await latSource.closed;
  const lat = [...visibleAt].map(([id, v]) => v - (producedAt.get(id) ?? v)).sort((a, b) => a - b);

  const cpuMs = (u: NodeJS.CpuUsage) => Math.round((u.user + u.system) / 1000);
  const rate = (ms: number) => Math.round(N / (ms / 1000));
  writeResult({
    name: 'graphBuilder',
    title: 'Graph builder (issue 4): events into Neo4j with ABOUT and POTENTIAL_CAUSE edges',
    command: 'npx tsc -p tsconfig.json && node dist/perf/graphBuilder.js',
    rows: [
      { what: 'bare `UNWIND $rows MERGE (e:Event {client, eid}) SET e += row` (baseline, same driver, same rows)', msgsPerSec: rate(bareMs), seconds: bareMs / 1000, note: `node CPU ${cpuMs(bareCpu)} ms` },
      { what: 'graph builder pipeline (Kafka → decode → batch → Neo4j, ABOUT + POTENTIAL_CAUSE)', msgsPerSec: rate(pipelineMs), seconds: pipelineMs / 1000, vsBaseline: +(bareMs / pipelineMs).toFixed(2), note: `${edges} causal edges; node CPU ${cpuMs(pipelineCpu)} ms` },
      { what: 'GraphStore.writeEvents$ direct, same batches', msgsPerSec: rate(directMs), seconds: directMs / 1000, vsBaseline: +(bareMs / directMs).toFixed(2), note: `${directEdges} causal edges; node CPU ${cpuMs(directCpu)} ms` },
      {
        what: `latency at a steady ${RATE} events/s for ${SECONDS} s: events.normalized produced → transaction committed`,
        p50Ms: percentile(lat, 50),
        p99Ms: percentile(lat, 99),
        note: `${lat.length}/${total} seen; max ${Math.round(lat[lat.length - 1] ?? NaN)} ms; not from raw.k8s.events (the event normalizer's latency adds on top)`,
      },
    ],
    notes: [
      `${N} normalized events on ${PODS} pods / ${NODES} nodes / ${APPS} services, batches of ${BATCH}, ${IN_FLIGHT} in flight, Neo4j Community (shared mode).`,
      `Load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}, at end ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2 cores shared with other test runs: wall rates vary run to run).`,
    ],
  });
  await sink.close();
  // Leave the benchmark graphs out of others' way.
  const session = store.driver.session();
  try {
    for (const c of Object.values(clients)) {
      for (const label of ['Event', 'Resource']) {
        await session.run(`MATCH (n:${label} {client: $c}) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS`, { c });
      }
    }
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'cleanup failed');
  } finally {
    await session.close();
  }
  await store.close();
  for (const t of [topic, latTopic]) await deleteTopic(connection, t).catch(() => undefined);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`perf failed: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
