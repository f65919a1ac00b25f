/**
 * Benchmark of the event normalizer: 400-byte core/v1 events, events/s and CPU µs/record for one
 * client in one process, beside a kcat consume → produce passthrough on the same broker in the
 * same run; and 10 clients sharing one topic as 10 processes (the deployment shape: the control
 * plane spawns one normalizer per client), which shows the read amplification of per-client
 * consumer groups. Writes perf/out/normalizer.{json,md} (perfResult's table).
 *
 *   npm run build && node dist/perf/normalizer.js [--events 200000]
 * Child mode (used by the parent): node dist/perf/normalizer.js --child <topic> <client> <expected> <output> <group>
 */
import { execFile, spawn } from 'node:child_process';
import os from 'node:os';
import { takeWhile, tap } from 'rxjs';
import { eventNormalizer } from '../pipelines/eventNormalizer/eventNormalizer';
import { encodeNormalizedEvent } from '../src/avro/normalizedCodec';
import { deleteTopic, ensureTopics } from '../src/kafka/admin';
import { loadKafkaConnection } from '../src/kafka/kafkaConfig';
import { KafkaSink } from '../src/kafka/kafkaSink';
import { KafkaSource } from '../src/kafka/kafkaSource';
import { componentLogger } from '../src/log/logger';
import { normalizeEvent } from '../src/normalize/normalizeEvent';
import { loadNormalizerSettings } from '../src/normalize/normalizerConfig';
import { PerfResult, Row, writeResult } from './perfResult';
import { event } from './k8sEvents';
import { settled } from '../src/runner/settle';

// The markdown goes to stdout, as do pino's lines: keep them to warnings unless asked.
process.env.LOG_LEVEL ??= 'warn';
const connection = loadKafkaConnection(process.env, 'kgroot-perf-normalizer');
const log = componentLogger('perf-normalizer');
const PARTITIONS = 6;
const TEN = 10;

const clientName = (run: string, c: number) => `perf${run}c${c}`;

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

interface KcatResult {
  wallMs: number;
  /** From the first consumed byte to the producer's exit, ms. */
  streamMs: number;
}

/** kcat consume → produce through a pipe: the baseline with no per-record work. */
function kcatPassthrough(input: string, output: string): Promise<KcatResult> {
  const t0 = process.hrtime.bigint();
  let first: bigint | undefined;
  return new Promise((resolve, reject) => {
    const consumer = spawn('kcat', ['-C', '-b', connection.brokers, '-t', input, '-o', 'beginning', '-e', '-q', '-K', '\t', '-f', '%k\t%s\n'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const producer = spawn('kcat', ['-P', '-b', connection.brokers, '-t', output, '-K', '\t', '-X', 'linger.ms=5', '-X', 'compression.type=lz4', '-X', 'enable.idempotence=true'], {
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    consumer.stdout.once('data', () => (first = process.hrtime.bigint()));
    consumer.stdout.pipe(producer.stdin);
    producer.on('exit', (code) => {
      const end = process.hrtime.bigint();
      if (code !== 0) return reject(new Error(`kcat producer exited ${code}`));
      resolve({ wallMs: Number(end - t0) / 1e6, streamMs: Number(end - (first ?? t0)) / 1e6 });
    });
    consumer.on('exit', (code) => code !== 0 && reject(new Error(`kcat consumer exited ${code}`)));
  });
}

interface ChildResult {
  records: number;
  outputs: number;
  /** From subscribe (group join included) to the last record acked, ms. */
  wallMs: number;
  /** From the first batch to the last record acked, ms. */
  streamMs: number;
  /** Process CPU (user + system, all threads: JS and librdkafka) over the stream, µs per record read. */
  cpuUsPerRecord: number;
  rssPeakMb: number;
}

/** In a child process: one normalizer with the command's default settings, until it has handled `expected` records. */
async function child(topic: string, client: string, expected: number, output: string, groupId: string): Promise<void> {
  // The command's own defaults (batch size, in-flight bound, prefetch, producer queue).
  const s = loadNormalizerSettings({ ...process.env, CLIENT_ID: client }, 'event-normalizer');
  const sink = await KafkaSink.connect({ connection, extra: { 'queue.buffering.max.kbytes': s.producerQueueKbytes } }, log);
  const source = new KafkaSource({ connection, groupId, topics: [topic], maxInFlight: s.maxInFlight, batchSize: s.batchSize, prefetchKbytes: s.prefetchKbytes, extra: { 'fetch.max.bytes': s.fetchMaxKbytes * 1024, 'fetch.queue.backoff.ms': s.fetchQueueBackoffMs } }, log);
  let rssPeak = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
  const t0 = Date.now();
  let first = 0;
  let cpu0 = process.cpuUsage();
  let seen = 0;
  let outputs = 0;
  const effects$ = eventNormalizer(
    {
      batches$: source.batches$.pipe(
        tap(() => {
          if (first === 0) {
            first = Date.now();
            cpu0 = process.cpuUsage();
          }
        }),
      ),
    },
    { sendBatch: (o) => sink.sendBatch$(o) },
    { clientId: s.clientId, outputTopic: output, maxValueBytes: s.maxValueBytes, maxMessageChars: s.maxMessageChars, progressEveryRecords: 1e9, progressIntervalMs: 3_600_000 },
  ).pipe(
    settled(),
    tap((e) => {
      if (e.kind === 'normalizer/batch') {
        seen += e.records;
        outputs += e.normalized;
      }
    }),
    takeWhile(() => seen < expected),
  );
  await new Promise<void>((resolve, reject) => effects$.subscribe({ error: reject, complete: resolve }));
  const end = Date.now();
  const cpu = process.cpuUsage(cpu0);
  clearInterval(rssTimer);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  await source.closed;
  await sink.close();
  const result: ChildResult = {
    records: seen,
    outputs,
    wallMs: end - t0,
    streamMs: end - first,
    cpuUsPerRecord: Math.round(((cpu.user + cpu.system) / seen) * 100) / 100,
    rssPeakMb: Math.round(rssPeak / 1024 / 1024),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

function runChild(topic: string, client: string, expected: number, output: string, groupId: string): Promise<ChildResult> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [__filename, '--child', topic, client, String(expected), output, groupId], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`child ${client}: ${err.message} ${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult),
    ),
  );
}

/** CPU cost of parse + normalize + Avro encode alone, per event, µs. */
function cpuOnly(n: number): number {
  const values = Array.from({ length: 1000 }, (_, i) => event(i).toString('utf8'));
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const r = normalizeEvent(JSON.parse(values[i % 1000]), { fallbackTimestamp: 0 });
    if (r.ok) encodeNormalizedEvent(r.value);
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv[1], argv[2], Number(argv[3]), argv[4], argv[5]);
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
  await fill(sink, in10, n, TEN, runId);
  await sink.close();

  const loads: number[] = [];
  const sampleLoad = setInterval(() => loads.push(os.loadavg()[0]), 1000);
  // Baseline right before and right after ours, so background load touches both alike.
  const kcat1 = await kcatPassthrough(in1, kcatOut);
  const one = await runChild(in1, clientName(runId, 0), n, out, `perf-norm-${runId}-one`);
  const kcat2 = await kcatPassthrough(in1, kcatOut);
  // Ten clients on one topic as ten processes, one group each, all at once: each reads every record for its tenth.
  const ten = await Promise.all(Array.from({ length: TEN }, (_, c) => runChild(in10, clientName(runId, c), n, out, `perf-norm-${runId}-ten-${c}`)));
  clearInterval(sampleLoad);
  const cpuUs = cpuOnly(100_000);
  for (const t of topics) await deleteTopic(connection, t).catch(() => undefined);

  const rate = (records: number, ms: number) => Math.round((records * 1000) / ms);
  const d = loadNormalizerSettings({ ...process.env, CLIENT_ID: clientName(runId, 0) }, 'event-normalizer');
  const kcat = kcat1.streamMs <= kcat2.streamMs ? kcat1 : kcat2;
  const kcatRate = rate(n, kcat.streamMs);
  const oneRate = rate(n, one.streamMs);
  const tenWallMs = Math.max(...ten.map((t) => t.streamMs));
  const tenOutputs = ten.reduce((a, t) => a + t.outputs, 0);
  const tenReads = ten.reduce((a, t) => a + t.records, 0);
  const tenCpu = ten.reduce((a, t) => a + t.cpuUsPerRecord * t.records, 0) / tenReads;
  const loadMax = Math.max(...loads, os.loadavg()[0]);
  const loadMean = loads.length ? loads.reduce((a, b) => a + b, 0) / loads.length : os.loadavg()[0];
  const rows: Row[] = [
    { what: 'kcat -C \\| kcat -P passthrough (baseline, better of 2)', msgsPerSec: kcatRate, seconds: kcat.streamMs / 1000, note: `with start-up ${rate(n, kcat.wallMs)}/s; runs: ${rate(n, kcat1.streamMs)}, ${rate(n, kcat2.streamMs)}/s` },
    {
      what: 'event normalizer, 1 client, 1 process',
      msgsPerSec: oneRate,
      seconds: one.streamMs / 1000,
      rssMb: one.rssPeakMb,
      vsBaseline: oneRate / kcatRate,
      note: `${one.outputs} outputs; ${one.cpuUsPerRecord} µs CPU/record (all threads); with group join ${rate(n, one.wallMs)}/s`,
    },
    {
      what: `${TEN} clients on one topic, ${TEN} processes (one each)`,
      msgsPerSec: rate(n, tenWallMs),
      seconds: tenWallMs / 1000,
      rssMb: Math.max(...ten.map((t) => t.rssPeakMb)),
      note: `useful events/s; ${rate(tenReads, tenWallMs)} reads/s (${tenReads / n}× read amplification), ${tenOutputs} outputs; RSS max per process (sum ${ten.reduce((a, t) => a + t.rssPeakMb, 0)} MB); ${tenCpu.toFixed(1)} µs CPU/read`,
    },
  ];
  const result: PerfResult = {
    name: 'normalizer',
    title: `Event normalizer: ${n.toLocaleString('en')} core/v1 events of ~${Math.round(avgBytes)} bytes, ${PARTITIONS} partitions`,
    command: 'npm run build && node dist/perf/normalizer.js',
    rows,
    notes: [
      'Rates run from the first record to the last one acked (kcat: first byte out of the consumer to the producer exit): group join and process start excluded.',
      `The normalizer works per source batch (KafkaSource.batches$ → one KafkaSink.sendBatch$ per batch, acked on delivery), with the command's settings: SOURCE_BATCH_SIZE ${d.batchSize}, SOURCE_MAX_IN_FLIGHT ${d.maxInFlight}, SOURCE_PREFETCH_KBYTES ${d.prefetchKbytes}, SOURCE_FETCH_MAX_KBYTES ${d.fetchMaxKbytes}, SOURCE_FETCH_QUEUE_BACKOFF_MS ${d.fetchQueueBackoffMs}, PRODUCER_QUEUE_KBYTES ${d.producerQueueKbytes}.`,
      `CPU µs/record is process.cpuUsage (user + system, JS and librdkafka threads) over the stream; parse + normalize + Avro encode alone cost ${cpuUs.toFixed(2)} µs/event.`,
      `The ${TEN}-client row is ${TEN} processes, the deployment shape (the control plane spawns one normalizer per client); every group reads the whole topic for its tenth.`,
      `Load average (1 min) during the runs: mean ${loadMean.toFixed(1)}, max ${loadMax.toFixed(1)} on ${os.cpus().length} cores (the machine is shared).`,
    ],
  };
  writeResult(result);
  if (one.outputs !== n) throw new Error(`one client: ${one.outputs} outputs of ${n}`);
  if (tenOutputs !== n) throw new Error(`ten clients: ${tenOutputs} outputs of ${n}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`perf/normalizer failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
