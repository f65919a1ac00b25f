/**
 * Tenancy benchmark: the same 200,000 raw events spread over 1, 10 and 50 clients, through the
 * real commands as processes — shared (one event normalizer per client, each reading the whole
 * topic) and routed (the router + one event normalizer per client, each reading its own topic) —
 * with the CPU seconds of every process of the server (router + workers) from the moment they are
 * all up and idle until every event is normalized; and the router's throughput beside our own
 * passthrough on the same broker and the same records. Event normalizers stand for the workers:
 * the read amplification is the same for each of the three roles. WORKER_MODE=pooled: the router +
 * ONE pooled event normalizer for every client (one consumer subscribed to all per-client topics);
 * its idle cost with 1 and with 50 idle clients, and the time from a new client's topics being
 * created (what the control plane does at registration) to its first record normalized.
 *
 *   npm run build && node dist/perf/tenancy.js     (PERF_EVENTS=200000, PERF_CLIENTS=1,10,50)
 *   PERF_TENANCY_PARTS=router node dist/perf/tenancy.js   only the router vs passthrough rows (written to perf/out/tenancy-router.*);
 *   PERF_TENANCY_PARTS=idle node dist/perf/tenancy.js   only the idle workers (written to perf/out/tenancy-idle.*);
 *   PERF_ROUTER_PAIRS=N alternates N passthrough/router runs instead of 2 (the machine is shared: more pairs, steadier ratio)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Kafka from 'node-rdkafka';
import { deleteTopic } from '../src/kafka/admin';
import { TOPICS } from '../src/kafka/topics';
import { tenantTopicSpecs } from '../src/tenancy/tenantTopics';
import { librdkafkaBase } from '../src/kafka/kafkaConfig';
import { KafkaSink } from '../src/kafka/kafkaSink';
import { componentLogger } from '../src/log/logger';
import { createTestTopic, testConnection, uniqueName } from '../test/support/kafkaTest';
import { event } from './k8sEvents';
import { PerfResult, Row, writeResult } from './perfResult';
import { cpuSeconds, Proc, rssMb, startRole as start, stopAll } from './processes';

process.env.LOG_LEVEL ??= 'warn';
const log = componentLogger('perf-tenancy');
const N = Number(process.env.PERF_EVENTS ?? 200_000);
const CLIENT_COUNTS = (process.env.PERF_CLIENTS ?? '1,10,50').split(',').map(Number);
const PARTITIONS = 6;
/** PERF_TENANCY_PARTS: which parts run, of idle, router (the router vs our passthrough), first, clients (default all). */
const PARTS_ALL = ['idle', 'router', 'first', 'clients'] as const;
const PARTS = new Set((process.env.PERF_TENANCY_PARTS ?? PARTS_ALL.join(',')).split(',').map((s) => s.trim()));
for (const p of PARTS) if (!(PARTS_ALL as readonly string[]).includes(p)) throw new Error(`PERF_TENANCY_PARTS: unknown part "${p}"; use some of ${PARTS_ALL.join(',')}`);
const ALL_PARTS = PARTS_ALL.every((p) => PARTS.has(p));
/** PERF_NODE_ARGS: node flags for the components started (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`; NODE_OPTIONS refuses --cpu-prof). */

/** Sum of the high watermarks of a topic's partitions: how many records it holds. */
function watermarks(consumer: Kafka.KafkaConsumer, topic: string, partitions: number): Promise<number> {
  return Promise.all(
    Array.from({ length: partitions }, (_, p) => new Promise<number>((resolve, reject) => consumer.queryWatermarkOffsets(topic, p, 10_000, (err, o) => (err ? reject(err) : resolve(o.highOffset))))),
  ).then((xs) => xs.reduce((a, b) => a + b, 0));
}

/** Waits until the topics hold `want` records; fails only when nothing new arrived for `stallMs`. */
async function waitForRecords(consumer: Kafka.KafkaConsumer, topics: Array<[string, number]>, want: number, stallMs: number): Promise<void> {
  let last = -1;
  let lastAt = Date.now();
  for (;;) {
    let have = 0;
    for (const [t, p] of topics) have += await watermarks(consumer, t, p);
    if (have >= want) return;
    if (have !== last) {
      last = have;
      lastAt = Date.now();
    } else if (Date.now() - lastAt > stallMs) throw new Error(`only ${have} of ${want} records, none new for ${stallMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function fill(topic: string, clients: string[]): Promise<void> {
  const sink = await KafkaSink.connect({ connection: testConnection }, log);
  let batch: Promise<unknown>[] = [];
  for (let i = 0; i < N; i++) {
    batch.push(sink.send({ topic, key: `${clients[i % clients.length]}::event::e${i}`, value: event(i) }));
    if (batch.length >= 20_000) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  await sink.close();
}

interface RunResult {
  cpuS: number;
  wallS: number;
  processes: number;
  rssMbMax: number;
}

type Mode = 'shared' | 'routed' | 'pooled';

/** A pooled event normalizer over `{input}.{client}` → `{output}.{client}`. */
function startPool(input: string, output: string, group: string, extra: Record<string, string> = {}): Proc {
  return start('event-normalizer-pool', { TENANCY: 'routed', WORKER_MODE: 'pooled', POOL_INPUT_BASE: input, POOL_OUTPUT_BASE: output, CONSUMER_GROUP: group, ...extra });
}

/** One configuration: start the server's processes, wait until all are idle and assigned, fill, time until every event is normalized. */
async function runConfig(mode: Mode, clientCount: number, consumer: Kafka.KafkaConsumer): Promise<RunResult> {
  const run = uniqueName('t').replace(/[^a-z0-9]/g, '');
  const clients = Array.from({ length: clientCount }, (_, i) => `pt${run}c${i}`);
  const input = `perf-ten-${run}`;
  const output = `perf-ten-out-${run}`;
  await createTestTopic(input, PARTITIONS);
  // Pooled: each client's own output topic (the pool writes {output}.{client}); else one shared output.
  const outputs: Array<[string, number]> = mode === 'pooled' ? clients.map((c) => [`${output}.${c}`, 1]) : [[output, PARTITIONS]];
  for (const [t, p] of outputs) await createTestTopic(t, p);
  if (mode !== 'shared') for (const c of clients) await createTestTopic(`${input}.${c}`, 1);
  const procs: Proc[] = [];
  try {
    if (mode !== 'shared') procs.push(start('router', { TENANCY: 'routed', ROUTER_TOPICS: input, ROUTER_GROUP: `router-${run}` }));
    if (mode === 'pooled') procs.push(startPool(input, output, `event-normalizer-pool-${run}`));
    for (const c of mode === 'pooled' ? [] : clients) {
      procs.push(
        start('event-normalizer', {
          CLIENT_ID: c,
          INPUT_TOPIC: mode === 'routed' ? `${input}.${c}` : input,
          OUTPUT_TOPIC: output,
          CONSUMER_GROUP: `event-normalizer-${c}`,
        }),
      );
    }
    await Promise.all(procs.map((p) => p.ready));
    await new Promise((r) => setTimeout(r, 2000)); // let start-up work settle: idle from here
    const cpu0 = procs.map((p) => cpuSeconds(p.child.pid!));
    const t0 = process.hrtime.bigint();
    await fill(input, clients);
    await waitForRecords(consumer, outputs, N, 120_000);
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpuS = procs.reduce((a, p, i) => a + cpuSeconds(p.child.pid!) - cpu0[i], 0);
    const rssMbMax = Math.max(...procs.map((p) => rssMb(p.child.pid!)));
    return { cpuS, wallS, processes: procs.length, rssMbMax };
  } finally {
    await stopAll(procs);
    for (const t of [input, ...outputs.map((o) => o[0]), ...(mode !== 'shared' ? clients.map((c) => `${input}.${c}`) : [])]) await deleteTopic(testConnection, t).catch(() => undefined);
  }
}

/** Per-client input and output topics of `count` clients under unique bases (what the control plane creates at registration). */
async function poolTopics(count: number, tag: string): Promise<{ input: string; output: string; topics: string[] }> {
  const run = uniqueName(tag).replace(/[^a-z0-9]/g, '');
  const input = `perf-pool-${run}`;
  const output = `perf-pool-out-${run}`;
  const topics: string[] = [];
  for (let i = 0; i < count; i++) {
    for (const t of [`${input}.p${run}c${i}`, `${output}.p${run}c${i}`]) {
      await createTestTopic(t, 1);
      topics.push(t);
    }
  }
  return { input, output, topics };
}

/**
 * A new client while the pool runs: its topics are created (as the control plane does at
 * registration), one record is written to its input topic at once, and the time until it is in its
 * output topic is taken (the pool's consumer finds the topic at its next metadata refresh,
 * POOL_TOPIC_REFRESH_MS, default 5 s, then the group rebalances incrementally). `times` clients, one after the other.
 */
async function timeToFirstRecord(times: number, consumer: Kafka.KafkaConsumer): Promise<number[]> {
  const { input, output, topics } = await poolTopics(1, 'f');
  const pool = startPool(input, output, uniqueName('pool-first'));
  const ms: number[] = [];
  try {
    await pool.ready;
    for (let i = 0; i < times; i++) {
      const c = `pf${uniqueName('n').replace(/[^a-z0-9]/g, '')}`;
      const t0 = Date.now();
      await createTestTopic(`${input}.${c}`, 1);
      await createTestTopic(`${output}.${c}`, 1);
      topics.push(`${input}.${c}`, `${output}.${c}`);
      const sink = await KafkaSink.connect({ connection: testConnection }, log);
      await sink.send({ topic: `${input}.${c}`, key: `${c}::event::first`, value: event(i) });
      await sink.close();
      await waitForRecords(consumer, [[`${output}.${c}`, 1]], 1, 60_000);
      ms.push(Date.now() - t0);
    }
    return ms;
  } finally {
    await stopAll([pool]);
    for (const t of topics) await deleteTopic(testConnection, t).catch(() => undefined);
  }
}

/** PERF_ROUTER_CLIENTS: how many clients the router-vs-passthrough records are spread over (10). */
const ROUTER_CLIENTS = Number(process.env.PERF_ROUTER_CLIENTS ?? 10);

/** The router against our passthrough: same records (PERF_ROUTER_CLIENTS clients, 10), same broker, processes timed from fill to the last copy. */
async function copyRate(kind: 'router' | 'passthrough', consumer: Kafka.KafkaConsumer): Promise<{ rate: number; cpuS: number; readyS: number }> {
  const run = uniqueName('r').replace(/[^a-z0-9]/g, '');
  const clients = Array.from({ length: ROUTER_CLIENTS }, (_, i) => `pr${run}c${i}`);
  const input = `perf-route-${run}`;
  const copy = `perf-copy-${run}`;
  await createTestTopic(input, PARTITIONS);
  const outs: Array<[string, number]> = kind === 'router' ? clients.map((c) => [`${input}.${c}`, 1]) : [[copy, PARTITIONS]];
  for (const [t, p] of outs) await createTestTopic(t, p);
  await fill(input, clients);
  const p =
    kind === 'router'
      ? start('router', { TENANCY: 'routed', ROUTER_TOPICS: input, ROUTER_GROUP: `router-${run}` })
      : start('passthrough', { PASSTHROUGH_FROM: input, PASSTHROUGH_TO: copy, PASSTHROUGH_GROUP: `pass-${run}` });
  try {
    const t0 = process.hrtime.bigint();
    await p.ready;
    const readyS = Number(process.hrtime.bigint() - t0) / 1e9;
    await waitForRecords(consumer, outs, N, 120_000);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    return { rate: N / s, cpuS: cpuSeconds(p.child.pid!), readyS };
  } finally {
    await stopAll([p]);
    for (const t of [input, ...outs.map((o) => o[0])]) await deleteTopic(testConnection, t).catch(() => undefined);
  }
}

/** An idle worker of each role beside an idle node process, same 60 s: CPU share of one core and RSS. */
async function idleWorkers(seconds: number): Promise<Row[]> {
  const run = uniqueName('i').replace(/[^a-z0-9]/g, '');
  const roles = ['event-normalizer', 'log-normalizer', 'graph-builder'] as const;
  const procs = roles.map((role) => ({ role: role as string, p: start(role, { CLIENT_ID: `pi${run}${role[0]}` }) }));
  // TENANCY=routed: each reads its client's own topics (created here, as the control plane does at registration) instead of the shared topics' history.
  const routedTopics: string[] = [];
  for (const role of roles) {
    const client = `pir${run}${role[0]}`;
    for (const t of tenantTopicSpecs(client, { partitions: 1, retentionHours: 1 })) {
      await createTestTopic(t.name, 1);
      routedTopics.push(t.name);
    }
    procs.push({ role: `${role} (TENANCY=routed, its own empty topics)`, p: start(role, { CLIENT_ID: client, TENANCY: 'routed' }) });
  }
  // WORKER_MODE=pooled: one pooled event normalizer serving 1 idle client, one serving 50.
  const pools = await Promise.all([1, 50].map(async (n) => ({ n, ...(await poolTopics(n, `i${n}`)) })));
  const poolProcs = pools.map((x) => ({ n: x.n, p: startPool(x.input, x.output, uniqueName(`pool-idle-${x.n}`)) }));
  const node = spawn(process.execPath, ['-e', 'setInterval(()=>{},1e9)'], { stdio: 'ignore' });
  // The floor: node with only the Kafka client library's consumer and producer (perf/idleFloor.ts).
  const floor = spawn(process.execPath, [join(__dirname, 'idleFloor.js'), testConnection.brokers, TOPICS.registry.name], { stdio: 'ignore' });
  try {
    await Promise.all([...procs.map((x) => x.p.ready), ...poolProcs.map((x) => x.p.ready)]);
    // Let start-up work (JIT, the first metadata and group joins of 12 processes on shared cores) settle: idle from here.
    await new Promise((r) => setTimeout(r, 10_000));
    const all = [
      ...procs.map((x) => ({ what: `idle ${x.role}`, pid: x.p.child.pid! })),
      ...poolProcs.map((x) => ({ what: `idle pooled event-normalizer serving ${x.n} idle client${x.n === 1 ? '' : 's'}`, pid: x.p.child.pid! })),
      { what: "idle `node -e 'setInterval(()=>{},1e9)'` (baseline)", pid: node.pid! },
      { what: 'idle node with one node-rdkafka consumer and producer, nothing else (the floor, perf/idleFloor.ts)', pid: floor.pid! },
    ];
    const c0 = all.map((x) => cpuSeconds(x.pid));
    await new Promise((r) => setTimeout(r, seconds * 1000));
    // RssAnon: the process's own memory; the rest of RSS is the node binary and libraries, shared between processes.
    return all.map((x, i) => ({ what: x.what, rssMb: rssMb(x.pid), note: `${(((cpuSeconds(x.pid) - c0[i]) / seconds) * 100).toFixed(2)} % of a core over ${seconds} s; RssAnon ${rssMb(x.pid, 'RssAnon').toFixed(0)} MB` }));
  } finally {
    node.kill();
    floor.kill();
    await stopAll([...procs.map((x) => x.p), ...poolProcs.map((x) => x.p)]);
    for (const t of [...pools.flatMap((x) => x.topics), ...routedTopics]) await deleteTopic(testConnection, t).catch(() => undefined);
  }
}

/** The router against our passthrough, alternated (baseline, subject, baseline, subject, …; PERF_ROUTER_PAIRS pairs, default 2): two rows, rates averaged. */
async function routerRows(consumer: Kafka.KafkaConsumer): Promise<Row[]> {
  const pairs = Number(process.env.PERF_ROUTER_PAIRS ?? 2);
  const pass: Array<Awaited<ReturnType<typeof copyRate>>> = [];
  const route: typeof pass = [];
  for (let i = 0; i < pairs; i++) {
    pass.push(await copyRate('passthrough', consumer));
    route.push(await copyRate('router', consumer));
  }
  const mean = (xs: typeof pass) => xs.reduce((a, x) => a + x.rate, 0) / xs.length;
  const list = (xs: typeof pass, f: (x: (typeof pass)[number]) => string) => xs.map(f).join(', ');
  const rates = (xs: typeof pass) => list(xs, (x) => String(Math.round(x.rate)));
  const cpu = (xs: typeof pass) => list(xs, (x) => x.cpuS.toFixed(1));
  const ready = (xs: typeof pass) => list(xs, (x) => x.readyS.toFixed(1));
  return [
    { what: `copy ${ROUTER_CLIENTS} clients' records — our passthrough (baseline)`, msgsPerSec: Math.round(mean(pass)), note: `runs ${rates(pass)}/s; start to assigned ${ready(pass)} s (counted)` },
    { what: `route ${ROUTER_CLIENTS} clients' records to their own topics — router`, msgsPerSec: Math.round(mean(route)), vsBaseline: mean(route) / mean(pass), note: `runs ${rates(route)}/s; router CPU ${cpu(route)} s vs passthrough ${cpu(pass)} s; start to assigned ${ready(route)} s (counted)` },
  ];
}

async function main(): Promise<void> {
  const consumer = new Kafka.KafkaConsumer({ ...librdkafkaBase(testConnection), 'group.id': uniqueName('perf-wm') } as never, {});
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve())));
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    if (PARTS.has('idle')) rows.push(...(await idleWorkers(Number(process.env.PERF_IDLE_SECONDS ?? 60))));
    if (PARTS.has('router')) rows.push(...(await routerRows(consumer)));
    if (PARTS.has('first')) {
      const first = await timeToFirstRecord(3, consumer);
      rows.push({
        what: 'pooled: a new client\'s topics created → its first record normalized (POOL_TOPIC_REFRESH_MS 5000)',
        seconds: Math.max(...first) / 1000,
        p50Ms: [...first].sort((a, b) => a - b)[1],
        note: `3 clients one after the other: ${first.map((x) => `${(x / 1000).toFixed(1)} s`).join(', ')} (seconds = the slowest)`,
      });
    }

    const base: Record<string, RunResult> = {};
    const results: Partial<Record<Mode, Record<number, RunResult>>> = {};
    const modes: Mode[] = (process.env.PERF_TENANCY_MODES ?? 'routed,pooled,shared').split(',') as Mode[];
    for (const k of PARTS.has('clients') ? CLIENT_COUNTS : []) {
      for (const mode of modes) {
        log.warn({ mode, clients: k }, 'running');
        let r: RunResult;
        try {
          r = await runConfig(mode, k, consumer);
        } catch (err) {
          rows.push({ what: `${N.toLocaleString('en')} events over ${k} clients — ${mode}`, note: `failed: ${(err as Error).message}` });
          continue;
        }
        log.warn({ mode, clients: k, cpuS: r.cpuS, wallS: r.wallS }, 'done');
        (results[mode] ??= {})[k] = r;
        const one = base[mode];
        const perClient = mode === 'pooled' ? results.routed?.[k] : undefined;
        if (k === CLIENT_COUNTS[0]) base[mode] = r;
        rows.push({
          what: `${N.toLocaleString('en')} events over ${k} client${k === 1 ? '' : 's'} — ${mode === 'pooled' ? 'routed, pooled' : mode === 'routed' ? 'routed, per-client' : mode}${k === CLIENT_COUNTS[0] ? ' (baseline of its mode)' : ''}`,
          msgsPerSec: Math.round(N / r.wallS),
          seconds: r.wallS,
          rssMb: r.rssMbMax,
          ...(one ? { vsBaseline: one.cpuS / r.cpuS } : {}),
          note: `${r.processes} processes, CPU ${r.cpuS.toFixed(1)} s${one ? ` = ${(r.cpuS / one.cpuS).toFixed(2)}× the ${CLIENT_COUNTS[0]}-client CPU` : ''}${perClient ? `; ${(r.cpuS / perClient.cpuS).toFixed(2)}× the per-client CPU at ${k}` : ''}; max RSS per process`,
        });
      }
    }
    notes.push('CPU = utime + stime of every process of the server (router and normalizers) from the moment all were assigned and idle to the last normalized event; start-up is not counted.');
    notes.push('vsBaseline on the client rows = the CPU of the same mode with one client ÷ this CPU (1.0 = the work does not grow with clients; the target is 50 clients ≤ 1.3× one client, i.e. vsBaseline ≥ 0.77).');
    notes.push('Event normalizers stand for the three worker roles: each role reads its input the same way, so the read amplification of shared mode is the same for each.');
    notes.push('routed, per-client = the router + one event normalizer process per client (WORKER_MODE=per-client); routed, pooled = the router + ONE pooled event normalizer for every client (WORKER_MODE=pooled: one consumer subscribed by regex to all per-client topics, each client normalized to its own output topic).');
    notes.push('The machine has 2 cores shared with other work running at the same time: compare the ratios within this run, not the absolute seconds across runs.');
  } finally {
    consumer.disconnect();
  }
  const result: PerfResult = {
    // Only some parts: written beside the whole run's result, not over it.
    name: ALL_PARTS ? 'tenancy' : `tenancy-${[...PARTS].join('-')}`,
    title: `Tenancy: ${N.toLocaleString('en')} raw events over ${CLIENT_COUNTS.join(', ')} clients, shared vs routed (per-client and pooled workers), and the router vs a passthrough`,
    command: 'npm run build && PERF_EVENTS=100000 node dist/perf/tenancy.js',
    rows,
    notes,
  };
  writeResult(result);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
