/**
 * Adapter benchmark: consume-only and consume → produce passthrough through KafkaSource /
 * KafkaSink, beside kcat doing the same on the same broker in the same run.
 *
 *   node dist/perf/adapter.js            (PERF_MESSAGES=500000 PERF_MESSAGE_BYTES=400 by default)
 *
 * Prints a markdown section and writes perf/out/adapter.{json,md}.
 */
import { execSync, spawn } from 'node:child_process';
import Kafka from 'node-rdkafka';
import { librdkafkaBase } from '../src/kafka/kafkaConfig';
import { lastValueFrom, take, takeWhile, tap, count } from 'rxjs';
import { KafkaSink } from '../src/kafka/kafkaSink';
import { KafkaSource } from '../src/kafka/kafkaSource';
import { deleteTopic } from '../src/kafka/admin';
import { componentLogger } from '../src/log/logger';
import { passthrough } from '../pipelines/passthrough/passthrough';
import { createTestTopic, testConnection, uniqueName } from '../test/support/kafkaTest';
import { PerfResult, Row, writeResult } from './perfResult';
import { settled } from '../src/runner/settle';

const N = Number(process.env.PERF_MESSAGES ?? 500_000);
const SIZE = Number(process.env.PERF_MESSAGE_BYTES ?? 400);
const PARTITIONS = 6;
const log = componentLogger('perf-adapter');
const brokers = testConnection.brokers;

async function fill(topic: string): Promise<void> {
  const sink = await KafkaSink.connect({ connection: testConnection }, log);
  const body = 'x'.repeat(SIZE);
  const batch: Promise<unknown>[] = [];
  for (let i = 0; i < N; i++) {
    batch.push(sink.send({ topic, key: `k${i % 1000}`, value: Buffer.from(`${i}:${body}`.slice(0, SIZE)) }));
    if (batch.length >= 50_000) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  await sink.close();
}

/** Runs a shell pipeline and returns its wall time in seconds. */
function timeShell(cmd: string): number {
  const t0 = process.hrtime.bigint();
  execSync(cmd, { stdio: ['ignore', 'ignore', 'inherit'], shell: '/bin/bash' });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function countMessages(topic: string): number {
  const out = execSync(`kcat -b ${brokers} -C -t ${topic} -o beginning -e -q -f 'x\\n' | wc -l`, { shell: '/bin/bash' }).toString();
  return Number(out.trim());
}

async function adapterConsume(topic: string): Promise<{ seconds: number; rssMb: number }> {
  const source = new KafkaSource({ connection: testConnection, groupId: uniqueName('perf-consume'), topics: [topic], maxInFlight: 10_000, batchSize: 2000 }, log);
  const t0 = process.hrtime.bigint();
  let rss = 0;
  let i = 0;
  await lastValueFrom(
    source.records$.pipe(
      tap((r) => {
        r.ack();
        if (++i % 50_000 === 0) rss = Math.max(rss, process.memoryUsage().rss);
      }),
      take(N),
      count(),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await source.closed;
  return { seconds, rssMb: rss / 1048576 };
}

/** `dedupeDeadLetters`: the sink of a worker that writes dead letters (it reads the DLQ ledger when it connects: `connectMs`). */
async function adapterPassthrough(from: string, to: string, dedupeDeadLetters = false): Promise<{ seconds: number; rssMb: number; connectMs: number }> {
  const source = new KafkaSource({ connection: testConnection, groupId: uniqueName('perf-pass'), topics: [from], maxInFlight: 10_000, batchSize: 2000 }, log);
  const c0 = process.hrtime.bigint();
  const sink = await KafkaSink.connect({ connection: testConnection, dedupeDeadLetters }, log);
  const connectMs = Number(process.hrtime.bigint() - c0) / 1e6;
  const t0 = process.hrtime.bigint();
  let rss = 0;
  let copied = 0;
  await lastValueFrom(
    passthrough({ batches$: source.batches$ }, { sendBatch: (o) => sink.sendBatch$(o) }, { to, concurrency: 64 }).pipe(
      settled(),
      tap((c) => {
        copied += c.count;
        rss = Math.max(rss, process.memoryUsage().rss);
      }),
      takeWhile(() => copied < N),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await source.closed;
  await sink.close();
  return { seconds, rssMb: rss / 1048576, connectMs };
}

const TX_BATCH = 500;

/**
 * Produce only, in batches of TX_BATCH records: the idempotent KafkaSink with up to 64 batches
 * awaiting their reports (as a normalizer runs), against the design this was weighed against for
 * exactly-once dead letters — a transactional producer, one transaction per batch
 * (begin, produce, commit; one producer holds one transaction at a time, so batches serialize).
 */
async function producePlain(topic: string, n: number): Promise<number> {
  const sink = await KafkaSink.connect({ connection: testConnection }, log);
  const body = Buffer.from('x'.repeat(SIZE));
  const t0 = process.hrtime.bigint();
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < n; i += TX_BATCH) {
    inFlight.push(lastValueFrom(sink.sendBatch$(Array.from({ length: Math.min(TX_BATCH, n - i) }, (_, j) => ({ topic, key: `k${(i + j) % 1000}`, value: body })))));
    if (inFlight.length >= 64) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await sink.close();
  return seconds;
}

async function produceTransactional(topic: string, n: number): Promise<number> {
  const producer = new Kafka.Producer({ ...librdkafkaBase(testConnection), 'transactional.id': uniqueName('perf-tx'), 'linger.ms': 5, 'compression.type': 'lz4', dr_cb: false } as Kafka.ProducerGlobalConfig);
  const cb = (f: (done: (err: unknown) => void) => void) => new Promise<void>((resolve, reject) => f((err) => (err ? reject(err) : resolve())));
  await cb((done) => producer.connect({}, (err) => done(err)));
  producer.setPollInterval(5);
  await cb((done) => producer.initTransactions(30_000, done));
  const body = Buffer.from('x'.repeat(SIZE));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i += TX_BATCH) {
    await cb((done) => producer.beginTransaction(done));
    for (let j = i; j < Math.min(i + TX_BATCH, n); j++) producer.produce(topic, null, body, `k${j % 1000}`);
    await cb((done) => producer.commitTransaction(30_000, done));
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  return seconds;
}

async function main(): Promise<void> {
  execSync('command -v kcat', { stdio: 'ignore' });
  const input = uniqueName('perf-adapter-in');
  const kcatOut = uniqueName('perf-adapter-kcat-out');
  const ourOut = uniqueName('perf-adapter-out');
  for (const t of [input, kcatOut, ourOut]) await createTestTopic(t, PARTITIONS);
  log.info({ messages: N, bytes: SIZE }, 'filling input topic');
  await fill(input);

  // Alternate baseline and subject so background load affects both alike.
  const kcatConsume = timeShell(`kcat -b ${brokers} -G ${uniqueName('perf-kcat')} -o beginning -e -q -f '%s\\n' ${input} | head -n ${N} > /dev/null`);
  const consume = await adapterConsume(input);
  const kcatPass = timeShell(
    `kcat -b ${brokers} -C -t ${input} -o beginning -e -q -K '\\t' -f '%k\\t%s\\n' | kcat -b ${brokers} -P -t ${kcatOut} -K '\\t' -X enable.idempotence=true`,
  );
  const pass = await adapterPassthrough(input, ourOut);
  const dedupeOut = uniqueName('perf-adapter-dedupe-out');
  await createTestTopic(dedupeOut, PARTITIONS);
  const dedupe = await adapterPassthrough(input, dedupeOut, true);
  const plainOut = uniqueName('perf-adapter-plain');
  const txOut = uniqueName('perf-adapter-tx');
  for (const t of [plainOut, txOut]) await createTestTopic(t, PARTITIONS);
  const plainSeconds = await producePlain(plainOut, N);
  const txSeconds = await produceTransactional(txOut, N);
  const plainProduced = countMessages(plainOut);
  const txProduced = countMessages(txOut);
  for (const t of [plainOut, txOut]) await deleteTopic(testConnection, t).catch(() => undefined);
  const kcatCopied = countMessages(kcatOut);
  const ourCopied = countMessages(ourOut);
  const dedupeCopied = countMessages(dedupeOut);
  for (const t of [input, kcatOut, ourOut, dedupeOut]) await deleteTopic(testConnection, t).catch(() => undefined);

  const rate = (s: number) => Math.round(N / s);
  const rows: Row[] = [
    { what: 'consume only — kcat (baseline)', msgsPerSec: rate(kcatConsume), seconds: kcatConsume },
    { what: 'consume only — KafkaSource', msgsPerSec: rate(consume.seconds), seconds: consume.seconds, rssMb: consume.rssMb, vsBaseline: kcatConsume / consume.seconds },
    { what: 'consume → produce — kcat \\| kcat (baseline)', msgsPerSec: rate(kcatPass), seconds: kcatPass, note: `${kcatCopied} copied` },
    { what: 'consume → produce — KafkaSource → passthrough → KafkaSink', msgsPerSec: rate(pass.seconds), seconds: pass.seconds, rssMb: pass.rssMb, vsBaseline: kcatPass / pass.seconds, note: `${ourCopied} copied, delivery-acked` },
    {
      what: 'consume → produce — the same, sink with dedupeDeadLetters (DLQ ledger)',
      msgsPerSec: rate(dedupe.seconds),
      seconds: dedupe.seconds,
      rssMb: dedupe.rssMb,
      vsBaseline: kcatPass / dedupe.seconds,
      note: `${dedupeCopied} copied; connect incl. reading the DLQ ledger ${Math.round(dedupe.connectMs)} ms (without: ${Math.round(pass.connectMs)} ms); ${(pass.seconds / dedupe.seconds).toFixed(2)}× the plain sink's rate`,
    },
    { what: `produce only — KafkaSink, batches of ${TX_BATCH}, 64 in flight (baseline)`, msgsPerSec: rate(plainSeconds), seconds: plainSeconds, note: `${plainProduced} produced` },
    {
      what: `produce only — transactional producer, one transaction per batch of ${TX_BATCH} (the alternative not chosen)`,
      msgsPerSec: rate(txSeconds),
      seconds: txSeconds,
      vsBaseline: plainSeconds / txSeconds,
      note: `${txProduced} produced (read_committed)`,
    },
  ];
  const result: PerfResult = {
    name: 'adapter',
    title: `Kafka adapter: ${N.toLocaleString('en')} messages of ${SIZE} bytes, ${PARTITIONS} partitions`,
    command: 'npm run build && node dist/perf/adapter.js',
    rows,
    notes: [
      'Wall time per run includes connecting and the group join; kcat runs the same work on the same broker right before each of ours.',
      'The kcat passthrough pipes `kcat -C` into `kcat -P` (idempotent producer); ours awaits a delivery report per record before acknowledging its offset.',
    ],
  };
  writeResult(result);
  if (ourCopied !== N) throw new Error(`passthrough copied ${ourCopied} of ${N}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
