/**
 * Benchmark of the event normalizer: 400-byte core/v1 events, one process, events/s beside a kcat
 * consume→produce passthrough on the same broker in the same run, and the read amplification of
 * 10 clients sharing raw.k8s.events-like topic (every per-client group reads every record).
 * Prints a markdown section and writes perf/out/normalizer.json.
 *
 *   node dist/perf/normalizer.js [--events 200000]
 * Child mode (used by the parent): node dist/perf/normalizer.js --child <topic> <clients> <expected>
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { filter, merge, take, tap } from 'rxjs';
import { eventNormalizer } from '../pipelines/eventNormalizer/eventNormalizer';
import { ensureTopics, deleteTopic } from '../src/kafka/admin';
import { loadKafkaConnection } from '../src/kafka/kafkaConfig';
import { KafkaSink } from '../src/kafka/kafkaSink';
import { KafkaSource } from '../src/kafka/kafkaSource';
import { componentLogger } from '../src/log/logger';
import { encodeNormalizedEvent } from '../src/avro/normalizedCodec';
import { normalizeEvent } from '../src/normalize/normalizeEvent';

// The markdown goes to stdout, as do pino's lines: keep them to warnings unless asked.
process.env.LOG_LEVEL ??= 'warn';
const connection = loadKafkaConnection(process.env, 'kgroot-perf-normalizer');
const log = componentLogger('perf-normalizer');
const PARTITIONS = 6;

function event(i: number): Buffer {
  const base = {
    metadata: { uid: `0f8e${(i + 0x10000000).toString(16)}-1c2d-4e5f-8a9b-${(i % 1e12).toString().padStart(12, '0')}`, namespace: 'shop' },
    involvedObject: { kind: 'Pod', namespace: 'shop', name: `api-${i % 500}`, fieldPath: 'spec.containers{api}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container api',
    type: 'Warning',
    lastTimestamp: '2024-06-10T12:00:00Z',
    count: 3,
    source: { component: 'kubelet', host: `node-${i % 7}` },
  };
  const json = JSON.stringify(base);
  base.message += ' '.repeat(Math.max(0, 400 - json.length));
  return Buffer.from(JSON.stringify(base));
}

function clientName(run: string, c: number): string {
  return `perf${run}c${c}`;
}

async function fill(sink: KafkaSink, topic: string, n: number, clients: number, run: string): Promise<number> {
  let bytes = 0;
  let batch: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const value = event(i);
    bytes += value.length;
    batch.push(sink.send({ topic, key: `${clientName(run, i % clients)}::event::e${i}`, value }));
    if (batch.length >= 20_000) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
  return bytes / n;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd}: ${err.message} ${stderr}`)) : resolve(stdout))),
  );
}

/** kcat consume → produce through a pipe: the baseline with no per-record work. */
function kcatPassthrough(input: string, output: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const consumer = spawn('kcat', ['-C', '-b', connection.brokers, '-t', input, '-o', 'beginning', '-e', '-q', '-f', '%k\t%s\n'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const producer = spawn('kcat', ['-P', '-b', connection.brokers, '-t', output, '-K', '\t', '-X', 'linger.ms=5', '-X', 'compression.type=lz4', '-X', 'enable.idempotence=true'], { stdio: ['pipe', 'inherit', 'inherit'] });
    consumer.stdout.pipe(producer.stdin);
    producer.on('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`kcat producer exited ${code}`))));
    consumer.on('exit', (code) => code !== 0 && reject(new Error(`kcat consumer exited ${code}`)));
  });
}

interface ChildResult {
  clients: number;
  records: number;
  outputs: number;
  /** From subscribe (group join included) to the last record handled, ms. */
  wallMs: number;
  /** From the first record to the last, ms. */
  streamMs: number;
  rssPeakMb: number;
}

/** In a child process: run `clients` normalizers (one group each) over `topic` until each has seen `expected` records. */
async function child(topic: string, clients: number, expected: number, run: string, output: string, groupTag: string): Promise<void> {
  const sink = await KafkaSink.connect({ connection }, log);
  let rssPeak = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
  const t0 = Date.now();
  let first = 0;
  let outputs = 0;
  const sources: KafkaSource[] = [];
  const pipelines = Array.from({ length: clients }, (_, c) => {
    const source = new KafkaSource({ connection, groupId: `perf-norm-${run}-${groupTag}-${topic}-${c}`, topics: [topic], maxInFlight: 5000 }, log);
    sources.push(source);
    let seen = 0;
    return eventNormalizer(
      { raw$: source.records$.pipe(tap(() => first === 0 && (first = Date.now()))) },
      { send: (o) => sink.send$(o) },
      { clientId: clientName(run, c), outputTopic: output, maxValueBytes: 1 << 20, maxMessageChars: 4096, progressEveryRecords: 1e9, progressIntervalMs: 3_600_000 },
    ).pipe(
      filter((e) => e.kind !== 'progress'),
      tap((e) => e.kind === 'normalized' && outputs++),
      filter(() => ++seen >= expected),
      take(1),
    );
  });
  await new Promise<void>((resolve, reject) => merge(...pipelines).subscribe({ error: reject, complete: resolve }));
  const end = Date.now();
  clearInterval(rssTimer);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  await Promise.all(sources.map((s) => s.closed));
  await sink.close();
  const result: ChildResult = { clients, records: expected * clients, outputs, wallMs: end - t0, streamMs: end - first, rssPeakMb: Math.round(rssPeak / 1024 / 1024) };
  process.stdout.write(JSON.stringify(result) + '\n');
}

function runChild(topic: string, clients: number, expected: number, runId: string, output: string, groupTag: string): Promise<ChildResult> {
  return run(process.execPath, [__filename, '--child', topic, String(clients), String(expected), runId, output, groupTag]).then((out) => JSON.parse(out.trim().split('\n').pop()!) as ChildResult);
}

/** CPU cost of parse + normalize + Avro encode alone, per event, µs. */
function cpuOnly(n: number): number {
  const values = Array.from({ length: 1000 }, (_, i) => event(i).toString('utf8'));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = normalizeEvent(JSON.parse(values[i % 1000]), { fallbackTimestamp: 0 });
    if (r.ok) encodeNormalizedEvent(r.value);
  }
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv[1], Number(argv[2]), Number(argv[3]), argv[4], argv[5], argv[6]);
  const n = argv[0] === '--events' ? Number(argv[1]) : 200_000;
  const runId = Date.now().toString(36);
  const in1 = `perf-norm-in1-${runId}`;
  const in10 = `perf-norm-in10-${runId}`;
  const out = `perf-norm-out-${runId}`;
  const kcatOut = `perf-norm-kcat-${runId}`;
  const topics = [in1, in10, out, kcatOut];
  await ensureTopics(connection, log, topics.map((name) => ({ name, key: '', compacted: false, retentionMs: 3_600_000, partitions: PARTITIONS })));
  const sink = await KafkaSink.connect({ connection }, log);
  const avgBytes = await fill(sink, in1, n, 1, runId);
  await fill(sink, in10, n, 10, runId);
  await sink.close();

  const kcatMs = await kcatPassthrough(in1, kcatOut);
  const one = await runChild(in1, 1, n, runId, out, 'one');
  // Ten normalizers, one per client, each reading the whole topic for its tenth.
  const ten = await runChild(in10, 10, n, runId, out, 'ten');
  const oneOfTen = await runChild(in10, 1, n, runId, out, 'oneoften');
  const cpuUs = cpuOnly(100_000);

  for (const t of topics) await deleteTopic(connection, t).catch(() => undefined);

  const rate = (records: number, ms: number) => Math.round((records * 1000) / ms);
  const result = {
    events: n,
    avgEventBytes: Math.round(avgBytes),
    partitions: PARTITIONS,
    kcatPassthrough: { ms: Math.round(kcatMs), eventsPerSec: rate(n, kcatMs) },
    oneClient: { ...one, eventsPerSec: rate(n, one.streamMs), eventsPerSecWithJoin: rate(n, one.wallMs) },
    tenClients: {
      ...ten,
      readsPerOutput: ten.records / n,
      usefulEventsPerSec: rate(n, ten.streamMs),
      readsPerSec: rate(ten.records, ten.streamMs),
    },
    oneOfTenClients: { ...oneOfTen, usefulEventsPerSec: rate(n / 10, oneOfTen.streamMs), readsPerSec: rate(n, oneOfTen.streamMs) },
    cpuOnlyMicrosPerEvent: Math.round(cpuUs * 100) / 100,
    ratioToKcat: Math.round((rate(n, one.streamMs) / rate(n, kcatMs)) * 100) / 100,
  };
  mkdirSync(join(process.cwd(), 'perf/out'), { recursive: true });
  writeFileSync(join(process.cwd(), 'perf/out/normalizer.json'), JSON.stringify(result, null, 2) + '\n');
  const md = [
    '## Event normalizer',
    '',
    `${n} core/v1 events of ~${result.avgEventBytes} bytes, ${PARTITIONS} partitions, one broker, same run. Rates from first record to last (group join excluded; with join in brackets).`,
    '',
    '| run | records read | outputs | events/s | RSS peak |',
    '|---|---|---|---|---|',
    `| kcat consume → produce passthrough | ${n} | ${n} | ${result.kcatPassthrough.eventsPerSec} | – |`,
    `| normalizer, 1 client | ${n} | ${one.outputs} | ${result.oneClient.eventsPerSec} (${result.oneClient.eventsPerSecWithJoin}) | ${one.rssPeakMb} MB |`,
    `| normalizer, 1 of 10 clients on the topic | ${n} | ${oneOfTen.outputs} | ${result.oneOfTenClients.usefulEventsPerSec} useful, ${result.oneOfTenClients.readsPerSec} read | ${oneOfTen.rssPeakMb} MB |`,
    `| 10 normalizers (10 groups, one process) | ${ten.records} | ${ten.outputs} | ${result.tenClients.usefulEventsPerSec} useful, ${result.tenClients.readsPerSec} read | ${ten.rssPeakMb} MB |`,
    '',
    `Load average during the run: ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} on ${os.cpus().length} cores. Normalizer / kcat: ${result.ratioToKcat}. Parse + normalize + Avro alone: ${result.cpuOnlyMicrosPerEvent} µs/event. ` +
      `With 10 clients sharing the topic every record is read ${result.tenClients.readsPerOutput} times (one per client group) for one output: the read amplification of per-client groups.`,
    '',
  ].join('\n');
  process.stdout.write(md);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`perf/normalizer failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
