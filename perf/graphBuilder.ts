/**
 * Graph builder benchmark (issue 4). Prints a markdown section and writes perf/out/graphBuilder.json.
 *
 * 1. Throughput with edges: N normalized events (a synthetic cluster: pods on nodes behind services,
 *    OOMKilled / BackOff / Unhealthy / normal events) produced to a fresh topic, then the graph
 *    builder pipeline (KafkaSource → decode → batch → Neo4j with ABOUT + POTENTIAL_CAUSE) from
 *    the first record consumed to the last ack; and the same batches written directly with
 *    GraphStore.writeEvents$. All with PERF_IN_FLIGHT batches in flight (default 2, the graph-builder
 *    command's GRAPH_BATCHES_IN_FLIGHT). The direct writer runs twice: with the candidates held in memory (the default) and searched in
 *    Neo4j every batch (CAUSAL_MEMORY_EVENTS=0).
 * 2. Baseline in the same run with the same driver: the same rows as a bare
 *    `UNWIND $rows AS row MERGE (e:Event {client, eid}) SET e += row`, same batch size and the same
 *    concurrency as the other rows. And a floor: only the writes the graph needs (events, ABOUT, the
 *    direct run's POTENTIAL_CAUSE edges) in plain statements, no search, no order between batches.
 *    A warm-up on a throwaway client plans every statement first (the pipeline runs first).
 * 3. End-to-end latency at a steady 2k events/s for 15 s (PERF_LATENCY_SECONDS): raw Kubernetes
 *    core/v1 Event JSON (~400 bytes, key `{client}::event::{uid}`) produced to a fresh raw topic →
 *    the real event normalizer as a child process (`node dist/src/cli.js event-normalizer`, INPUT_TOPIC /
 *    OUTPUT_TOPIC / CONSUMER_GROUP pointing at fresh topics and group) → a fresh normalized topic →
 *    the graph builder pipeline in this process (PERF_IN_FLIGHT batches in flight, 50 ms batches) →
 *    its write completed (node and its edges visible). Each event is mapped back by its uid, which
 *    the normalizer keeps as the event_id. p50/p99/max over the events seen; a warm-up event goes
 *    through the whole chain first, so consumer-group joins are not counted.
 *
 * Run: npx tsc -p tsconfig.json && node dist/perf/graphBuilder.js   (PERF_EVENTS, PERF_BATCH, PERF_IN_FLIGHT, PERF_PODS)
 */
import { ChildProcess, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ManagedTransaction } from 'neo4j-driver';
import { lastValueFrom, mergeMap, from, tap, toArray } from 'rxjs';
import { graphBuilder, rowsOfInputs } from '../pipelines/graphBuilder/graphBuilder';
import { encodeNormalizedEvent, NormalizedEvent } from '../src/avro/normalizedCodec';
import { formatKey, formatNormalizedKey, parseNormalizedKey } from '../src/domain/keys';
import { deleteTopic, ensureTopics } from '../src/kafka/admin';
import { loadKafkaConnection } from '../src/kafka/kafkaConfig';
import { KafkaSink } from '../src/kafka/kafkaSink';
import { KafkaSource } from '../src/kafka/kafkaSource';
import { componentLogger } from '../src/log/logger';
import { GraphStore } from '../src/neo4j/graphStore';
import { loadNeo4jConfig } from '../src/neo4j/neo4jConfig';
import { isTransientGraphError } from '../src/neo4j/neo4jErrors';
import { uid } from '../src/simulator/k8sShapes';
import { percentile, writeResult } from './perfResult';
import { normalizedEvent } from './k8sEvents';
import { gridTopology } from '../src/simulator/gridTopology';
import { settled } from '../src/runner/settle';

const N = Number(process.env.PERF_EVENTS ?? 40_000);
const BATCH = Number(process.env.PERF_BATCH ?? 2000);
/** Batches (transactions) in flight: the graph-builder command's default, GRAPH_BATCHES_IN_FLIGHT=2. */
const IN_FLIGHT = Number(process.env.PERF_IN_FLIGHT ?? 2);
const PODS = Number(process.env.PERF_PODS ?? 4000);
const NODES = 100;
const APPS = 400;
const REASONS: Array<[string, 'Warning' | 'Normal']> = [['OOMKilled', 'Warning'], ['Pulled', 'Normal'], ['BackOff', 'Warning'], ['Started', 'Normal'], ['Unhealthy', 'Warning']];
const log = componentLogger('perf-graph-builder');

const event = (run: string, i: number): NormalizedEvent => normalizedEvent(run, i, PODS);

/** A raw core/v1 Event as a cluster's exporter publishes it to raw.k8s.events, padded to ~400 bytes. */
function rawEvent(id: string, i: number, at: number): Buffer {
  const pod = i % PODS;
  const podName = `app${pod % APPS}-${pod}`;
  const [reason, type] = REASONS[Math.floor(i / PODS) % REASONS.length];
  const time = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const e = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${podName}.${id.slice(0, 8)}`, namespace: 'perf', uid: id },
    involvedObject: { kind: 'Pod', namespace: 'perf', name: podName, fieldPath: 'spec.containers{c}' },
    reason,
    message: `${reason} in ${podName}`,
    source: { component: 'kubelet', host: `node-${pod % NODES}` },
    lastTimestamp: time,
    count: 1,
    type,
  };
  e.message += ' '.repeat(Math.max(0, 400 - JSON.stringify(e).length));
  return Buffer.from(JSON.stringify(e));
}

/** The real event normalizer command as a child process; its log lines go to our stderr and are counted. */
function startNormalizer(env: Record<string, string>): { child: ChildProcess; logLines: string[]; exited: Promise<number | null> } {
  const cli = join(__dirname, '..', 'src', 'cli.js');
  const child = spawn(process.execPath, [cli, 'event-normalizer'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logLines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop()!;
      for (const l of lines.filter((x) => x.trim())) {
        logLines.push(l);
        process.stderr.write(`[event-normalizer] ${l}\n`);
      }
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, logLines, exited };
}

async function main(): Promise<void> {
  const run = `p${Date.now().toString(36)}`;
  const clients = { pipeline: `${run}-gb`, direct: `${run}-dw`, bare: `${run}-bare`, floor: `${run}-floor`, search: `${run}-search`, latency: `${run}-lat`, warm: `${run}-warm` };
  const connection = loadKafkaConnection(process.env, 'perf-graph-builder');
  const topic = `kgperf-${run}-events`;
  const rawTopic = `kgperf-${run}-raw`;
  const normTopic = `kgperf-${run}-norm`;
  await ensureTopics(connection, log, [topic, rawTopic, normTopic].map((name) => ({ name, key: '', compacted: false, retentionMs: 3_600_000, partitions: 6 })));
  const store = await GraphStore.connect(loadNeo4jConfig(process.env), log);
  const sink = await KafkaSink.connect({ connection }, log);
  for (const c of Object.values(clients)) await store.prepareClient(c);
  const topo = gridTopology({ namespace: 'perf', nodes: NODES, apps: APPS, pods: PODS });
  for (const c of [clients.pipeline, clients.direct, clients.latency]) {
    for (let i = 0; i < topo.length; i += 2000) await lastValueFrom(store.writeTopology$({ client: c, upserts: topo.slice(i, i + 2000), deletes: [] }));
  }

  const rowsOf = (b: NormalizedEvent[]) => rowsOfInputs(b.map((value) => ({ kind: 'event' as const, value })), 60_000);
  const bare = async (client: string, rows: unknown[]) => {
    const session = store.driver.session();
    try {
      await session.executeWrite((tx) => tx.run('UNWIND $rows AS row MERGE (e:Event {client: $client, eid: row.eid}) SET e += row', { client, rows }));
    } finally {
      await session.close();
    }
  };
  // Warm-up, not timed: the writer's and the bare statement on a throwaway client, so that whichever
  // subject runs first does not pay for query planning and a cold JIT (the pipeline runs first).
  const warm = Array.from({ length: 3 * BATCH }, (_, i) => event(`${run}w`, i));
  for (let i = 0; i < warm.length; i += BATCH) {
    await lastValueFrom(store.writeEvents$({ client: clients.warm, rows: rowsOf(warm.slice(i, i + BATCH)) }));
    await bare(clients.warm, rowsOf(warm.slice(i, i + BATCH)));
  }

  const loadAtStart = loadavg();
  // 1a. pipeline from Kafka
  const events = Array.from({ length: N }, (_, i) => event(run, i));
  await Promise.all(events.map((e) => sink.send({ topic, key: formatNormalizedKey(clients.pipeline, 'evt', e.event_id), value: encodeNormalizedEvent(e) })));
  const source = new KafkaSource({ connection, groupId: `perf-${run}`, topics: [topic], maxInFlight: BATCH * (IN_FLIGHT + 2), batchSize: 1000 }, log);
  let edges = 0;
  let started = 0;
  const pipelineBatches: Array<{ at: number; writeMs: number }> = [];
  // Timed from the first record consumed, so the consumer-group join is not counted.
  let t0 = 0;
  const cpu0 = process.cpuUsage();
  await new Promise<void>((resolve, reject) => {
    const sub = graphBuilder(
      { records$: source.records$.pipe(tap(() => { if (!t0) t0 = performance.now(); })) },
      { writeEvents: (b) => store.writeEvents$(b), send: (o) => sink.send$(o), isTransient: isTransientGraphError },
      { client: clients.pipeline, topics: { events: topic, logs: topic + '-none', alerts: topic + '-none' }, maxBatchSize: BATCH, maxBatchesInFlight: IN_FLIGHT, maxBatchMs: 100 },
    ).pipe(settled()).subscribe({
      next: (e) => {
        if (e.kind === 'graph/batch-written') {
          if (!started) started = performance.now();
          edges += e.causalEdgesAdded;
          pipelineBatches.push({ at: performance.now() - t0, writeMs: e.writeMs });
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
  let cpu = process.cpuUsage();
  let t = performance.now();
  const direct = await lastValueFrom(from(batches).pipe(mergeMap((b) => store.writeEvents$({ client: clients.direct, rows: rowsOf(b) }), IN_FLIGHT), toArray()));
  const directMs = performance.now() - t;
  const directCpu = process.cpuUsage(cpu);
  const directEdges = direct.reduce((s, r) => s + r.causalEdgesAdded, 0);
  // 1c. the same with the candidate search in Neo4j every batch (CAUSAL_MEMORY_EVENTS=0), as before the memory
  const searchStore = await GraphStore.connect(loadNeo4jConfig(process.env), log, { memoryEvents: 0 });
  await searchStore.prepareClient(clients.search);
  for (let i = 0; i < topo.length; i += 2000) await lastValueFrom(searchStore.writeTopology$({ client: clients.search, upserts: topo.slice(i, i + 2000), deletes: [] }));
  cpu = process.cpuUsage();
  t = performance.now();
  const searched = await lastValueFrom(from(batches).pipe(mergeMap((b) => searchStore.writeEvents$({ client: clients.search, rows: rowsOf(b) }), IN_FLIGHT), toArray()));
  const searchMs = performance.now() - t;
  const searchCpu = process.cpuUsage(cpu);
  await searchStore.close();
  cpu = process.cpuUsage();
  t = performance.now();
  await lastValueFrom(from(batches).pipe(mergeMap((b) => from(bare(clients.bare, rowsOf(b))), IN_FLIGHT), toArray()));
  const bareMs = performance.now() - t;
  const bareCpu = process.cpuUsage(cpu);

  // 2b. The floor: only the writes the graph needs (events, ABOUT to existing resources, the same
  // POTENTIAL_CAUSE edges the direct run found), in the simplest statements and without any search,
  // at the same concurrency — and without the dependency between batches that a streaming writer
  // has: all events and ABOUT edges first, then all causal edges, each pass IN_FLIGHT transactions
  // at a time. What no candidate search can go below.
  const found = await store.read(clients.direct, {
    text: 'MATCH (c:Event {client: $client})-[p:POTENTIAL_CAUSE]->(e:Event) RETURN c.eid AS cause, e.eid AS effect, p.confidence AS confidence, p.rule AS rule, p.lag_ms AS lag_ms, p.distance AS distance',
    params: { client: clients.direct },
  });
  await store.prepareClient(clients.floor);
  for (let i = 0; i < topo.length; i += 2000) await lastValueFrom(store.writeTopology$({ client: clients.floor, upserts: topo.slice(i, i + 2000), deletes: [] }));
  const refOf = new Map<string, string>();
  const inTx = async (work: (tx: ManagedTransaction) => Promise<void>) => {
    const session = store.driver.session();
    try {
      await session.executeWrite(work);
    } finally {
      await session.close();
    }
  };
  const floorEvents = (i: number) =>
    inTx(async (tx) => {
      const res = await tx.run(
        'UNWIND $rows AS row MERGE (e:Event {client: $client, eid: row.eid}) SET e += row WITH e, row MATCH (r:Resource {client: $client, rid: row.rid}) CREATE (e)-[:ABOUT {client: $client}]->(r) RETURN e.eid AS eid, elementId(e) AS ref',
        { client: clients.floor, rows: rowsOf(batches[i]).map(({ kind, namespace, name, ...row }) => row) },
      );
      for (const r of res.records) refOf.set(r.get('eid'), r.get('ref'));
    });
  const edgeBatches: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < found.length; i += BATCH) edgeBatches.push(found.slice(i, i + BATCH));
  const floorEdges = (edges: Array<Record<string, unknown>>) =>
    inTx(async (tx) => {
      await tx.run(
        'UNWIND $edges AS ed MATCH (c:Event) WHERE elementId(c) = ed.c MATCH (e:Event) WHERE elementId(e) = ed.e ' +
          'CREATE (c)-[:POTENTIAL_CAUSE {client: $client, confidence: ed.confidence, rule: ed.rule, lag_ms: ed.lag_ms, distance: ed.distance}]->(e)',
        { client: clients.floor, edges: edges.map((e) => ({ ...e, c: refOf.get(e.cause as string), e: refOf.get(e.effect as string) })) },
      );
    });
  cpu = process.cpuUsage();
  t = performance.now();
  await lastValueFrom(from(batches.map((_, i) => i)).pipe(mergeMap((i) => from(floorEvents(i)), IN_FLIGHT), toArray()));
  await lastValueFrom(from(edgeBatches).pipe(mergeMap((e) => from(floorEdges(e)), IN_FLIGHT), toArray()));
  const floorMs = performance.now() - t;
  const floorCpu = process.cpuUsage(cpu);
  const floorCounts = await store.counts(clients.floor);

  // 3. end-to-end latency at a steady 2k/s: raw produced → event normalizer (process) → graph builder → committed
  const RATE = 2000;
  const SECONDS = Number(process.env.PERF_LATENCY_SECONDS ?? 15);
  const total = RATE * SECONDS;
  const producedAt = new Map<string, number>();
  const visibleAt = new Map<string, number>();
  // Wall-clock times for the split at the normalized record's CreateTime (stamped by the normalizer's producer).
  const producedWall = new Map<string, number>();
  const normalizedAt = new Map<string, number>();
  let rawBytes = 0;
  const latSource = new KafkaSource({ connection, groupId: `perf-${run}-lat`, topics: [normTopic], maxInFlight: BATCH * (IN_FLIGHT + 2) }, log);
  let batchesWritten = 0;
  let latEdges = 0;
  const latSub = graphBuilder(
    {
      records$: latSource.records$.pipe(
        tap((rec) => {
          const k = parseNormalizedKey(rec.key);
          if (k.ok) normalizedAt.set(`evt:${k.id}`, rec.timestamp);
        }),
      ),
    },
    {
      // Visible when the batch's write (its transaction, and the edges to earlier batches' events) completed.
      writeEvents: (b) =>
        store.writeEvents$(b).pipe(
          tap(() => {
            const now = performance.now();
            for (const r of b.rows) if (!visibleAt.has(r.eid)) visibleAt.set(r.eid, now);
          }),
        ),
      send: (o) => sink.send$(o),
      isTransient: isTransientGraphError,
    },
    { client: clients.latency, topics: { events: normTopic, logs: normTopic + '-none', alerts: normTopic + '-none' }, maxBatchSize: BATCH, maxBatchesInFlight: IN_FLIGHT, maxBatchMs: 50 },
  ).pipe(settled()).subscribe({
    next: (e) => {
      if (e.kind === 'graph/dead-lettered') log.warn({ reason: e.reason }, 'latency record dead-lettered');
      if (e.kind !== 'graph/batch-written') return;
      batchesWritten++;
      latEdges += e.causalEdgesAdded;
    },
    error: (err) => log.error({ err: (err as Error).message }, 'latency graph builder failed'),
  });
  const normalizer = startNormalizer({
    CLIENT_ID: clients.latency,
    LOG_LEVEL: 'warn',
    INPUT_TOPIC: rawTopic,
    OUTPUT_TOPIC: normTopic,
    CONSUMER_GROUP: `perf-${run}-norm`,
    METRICS_PORT: '0',
  });
  let normalizerExit: number | null | undefined;
  void normalizer.exited.then((code) => (normalizerExit = code));
  const sendRaw = (id: string, i: number) => {
    const value = rawEvent(id, i, Date.now());
    rawBytes += value.length;
    producedAt.set(`evt:${id}`, performance.now());
    producedWall.set(`evt:${id}`, Date.now());
    return sink.send({ topic: rawTopic, key: formatKey(clients.latency, 'event', id), value });
  };
  let lat: number[] = [];
  let normHop: number[] = [];
  let bySlice: string[] = [];
  let warmups = 0;
  try {
    // Warm-up: one event at a time through the whole chain, until one is visible (group joins done).
    const warmDeadline = Date.now() + 90_000;
    const warmIds: string[] = [];
    while (!warmIds.some((id) => visibleAt.has(`evt:${id}`))) {
      if (normalizerExit !== undefined) throw new Error(`event normalizer exited ${normalizerExit} during warm-up`);
      if (Date.now() > warmDeadline) throw new Error('warm-up event not visible after 90 s');
      const id = uid(run, 'warm', String(warmups++));
      warmIds.push(id);
      void sendRaw(id, warmups);
      await new Promise((r) => setTimeout(r, 1000));
    }
    for (const id of warmIds) producedAt.delete(`evt:${id}`);
    rawBytes = 0;
    const ids = Array.from({ length: total }, (_, i) => uid(run, 'lat', String(i)));
    const startAt = performance.now();
    for (let i = 0; i < total; i++) {
      const due = startAt + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      void sendRaw(ids[i], i);
    }
    const seen = () => ids.reduce((n, id) => n + (visibleAt.has(`evt:${id}`) ? 1 : 0), 0);
    const deadline = Date.now() + 60_000;
    while (seen() < total && Date.now() < deadline && normalizerExit === undefined) await new Promise((r) => setTimeout(r, 200));
    lat = ids
      .filter((id) => visibleAt.has(`evt:${id}`))
      .map((id) => visibleAt.get(`evt:${id}`)! - producedAt.get(`evt:${id}`)!)
      .sort((a, b) => a - b);
    const seenIds = ids.filter((id) => visibleAt.has(`evt:${id}`) && normalizedAt.has(`evt:${id}`));
    normHop = seenIds.map((id) => normalizedAt.get(`evt:${id}`)! - producedWall.get(`evt:${id}`)!).sort((a, b) => a - b);
    // p50 per 5 s of producing: flat means steady state, rising means a growing backlog.
    for (let from = 0; from < total; from += RATE * 5) {
      const slice = ids.slice(from, from + RATE * 5).filter((id) => visibleAt.has(`evt:${id}`));
      bySlice.push(String(Math.round(percentile(slice.map((id) => visibleAt.get(`evt:${id}`)! - producedAt.get(`evt:${id}`)!).sort((a, b) => a - b), 50))));
    }
  } finally {
    if (normalizerExit === undefined) normalizer.child.kill('SIGTERM');
    const stopped = await Promise.race([normalizer.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 45_000))]);
    if (stopped === 'timeout') normalizer.child.kill('SIGKILL');
    latSub.unsubscribe();
    await latSource.closed;
  }
  const normalizerCode = await normalizer.exited;
  const normalizerLogs = normalizer.logLines.length;

  const cpuMs = (u: NodeJS.CpuUsage) => Math.round((u.user + u.system) / 1000);
  const rate = (ms: number) => Math.round(N / (ms / 1000));
  writeResult({
    name: 'graphBuilder',
    title: 'Graph builder (issue 4): events into Neo4j with ABOUT and POTENTIAL_CAUSE edges',
    command: 'npx tsc -p tsconfig.json && node dist/perf/graphBuilder.js',
    rows: [
      { what: 'bare `UNWIND $rows MERGE (e:Event {client, eid}) SET e += row` (baseline, same driver, same rows)', msgsPerSec: rate(bareMs), seconds: bareMs / 1000, note: `node CPU ${cpuMs(bareCpu)} ms` },
      { what: 'graph builder pipeline (Kafka → decode → batch → Neo4j, ABOUT + POTENTIAL_CAUSE; candidates in memory)', msgsPerSec: rate(pipelineMs), seconds: pipelineMs / 1000, vsBaseline: +(bareMs / pipelineMs).toFixed(2), note: `${edges} causal edges; node CPU ${cpuMs(pipelineCpu)} ms; ${pipelineBatches.length} transactions, first written ${Math.round(pipelineBatches[0]?.at ?? NaN)} ms after the first record, mean write ${Math.round(pipelineBatches.reduce((n, b) => n + b.writeMs, 0) / pipelineBatches.length)} ms` },
      {
        what: 'GraphStore.writeEvents$ direct, candidate search in Neo4j every batch (CAUSAL_MEMORY_EVENTS=0)',
        msgsPerSec: rate(searchMs),
        seconds: searchMs / 1000,
        vsBaseline: +(bareMs / searchMs).toFixed(2),
        note: `${searched.reduce((n, r) => n + r.causalEdgesAdded, 0)} causal edges; node CPU ${cpuMs(searchCpu)} ms`,
      },
      {
        what: 'floor: only the required writes (events MERGE + ABOUT, then the direct run\'s POTENTIAL_CAUSE edges), plain statements, no search, no order between batches',
        msgsPerSec: rate(floorMs),
        seconds: floorMs / 1000,
        vsBaseline: +(bareMs / floorMs).toFixed(2),
        note: `${floorCounts.causes} causal edges, ${floorCounts.about} ABOUT; node CPU ${cpuMs(floorCpu)} ms`,
      },
      {
        what: 'GraphStore.writeEvents$ direct, same batches (candidates in memory, the default)',
        msgsPerSec: rate(directMs),
        seconds: directMs / 1000,
        vsBaseline: +(bareMs / directMs).toFixed(2),
        note: `${directEdges} causal edges (${direct.reduce((n, r) => n + r.deferredEdges, 0)} to a batch still in flight, written after it); node CPU ${cpuMs(directCpu)} ms; mean write ${Math.round(direct.reduce((n, r) => n + r.writeMs, 0) / direct.length)} ms`,
      },
      {
        what: `end-to-end latency at a steady ${RATE} events/s for ${SECONDS} s: raw.k8s.events produced → event normalizer (process) → graph builder → transaction committed`,
        p50Ms: percentile(lat, 50),
        p99Ms: percentile(lat, 99),
        note:
          `${lat.length}/${total} produced events seen; max ${Math.round(lat[lat.length - 1] ?? NaN)} ms; raw core/v1 events of ${Math.round(rawBytes / total)} bytes; ` +
          `p50 per 5 s of producing ${bySlice.join(' / ')} ms; raw produced → normalized record stamped by the normalizer p50 ${Math.round(percentile(normHop, 50))} / p99 ${Math.round(percentile(normHop, 99))} ms (wall clock, ms resolution); ` +
          `graph builder ${IN_FLIGHT} batches in flight, 50 ms batches, ${batchesWritten} transactions, ${latEdges} causal edges; ` +
          `normalizer exit code ${normalizerCode} after SIGTERM, ${normalizerLogs} log lines at warn or above`,
      },
    ],
    notes: [
      `${N} normalized events on ${PODS} pods / ${NODES} nodes / ${APPS} services, batches of ${BATCH}, ${IN_FLIGHT} in flight (PERF_IN_FLIGHT; the graph-builder command's default GRAPH_BATCHES_IN_FLIGHT is 2), every row at the same concurrency; Neo4j Community (shared mode). A warm-up (3 batches of the writer and of the bare statement on a throwaway client) runs first, untimed.`,
      `Latency row: real event normalizer process (command defaults, fresh topics via INPUT_TOPIC / OUTPUT_TOPIC, fresh CONSUMER_GROUP) and the graph builder pipeline in this process; each event's produce time is taken at the send call, its visibility when the write of the batch holding it completed (its transaction, and the edges to events of an earlier batch that was still in flight).`,
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
  for (const t of [topic, rawTopic, normTopic]) await deleteTopic(connection, t).catch(() => undefined);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`perf failed: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
