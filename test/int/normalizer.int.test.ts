import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import Kafka from 'node-rdkafka';
import { decodeNormalizedEvent, decodeNormalizedLog } from '../../src/avro/normalizedCodec';
import { ensureTopics, deleteTopic } from '../../src/kafka/admin';
import { loadKafkaConnection, librdkafkaBase } from '../../src/kafka/kafkaConfig';
import { DLQ_HEADERS } from '../../src/kafka/deadLetter';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { KafkaSource } from '../../src/kafka/kafkaSource';
import { KafkaRecord, OutRecord } from '../../src/kafka/record';
import { TOPICS } from '../../src/kafka/topics';
import { componentLogger } from '../../src/log/logger';

/**
 * The normalizers as real processes (`node dist/src/cli.js event-normalizer`, built first) on the
 * shared broker. Client ids are unique per run; outputs are filtered by this run's prefixes.
 */
const connection = loadKafkaConnection(process.env, 'kgroot-test-normalizer');
const log = componentLogger('test-normalizer');
const run = Date.now().toString(36);
const CLI = join(__dirname, '../../dist/src/cli.js');
const children: ChildProcess[] = [];

function startNormalizer(command: string, clientId: string, env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [CLI, command], {
    env: { ...process.env, CLIENT_ID: clientId, LOG_LEVEL: process.env.NORMALIZER_LOG_LEVEL ?? 'warn', MAX_MESSAGE_BYTES: '2048', PROGRESS_INTERVAL_SECONDS: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${command} ${clientId}] ${d}`));
  children.push(child);
  return child;
}

function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/**
 * Reads `topic` from the beginning with a fresh group until `done(records, distinctKeys)` holds or
 * the timeout passes.
 */
async function collect(
  topic: string,
  keep: (r: KafkaRecord) => boolean,
  done: (rs: KafkaRecord[], distinctKeys: number) => boolean,
  timeoutMs = 120_000,
): Promise<KafkaRecord[]> {
  const source = new KafkaSource({ connection, groupId: `it-collect-${run}-${Math.random().toString(36).slice(2)}`, topics: [topic], fromBeginning: true }, log);
  const out: KafkaRecord[] = [];
  const keys = new Set<string>();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => finish(), timeoutMs);
    const sub = source.records$.subscribe((r) => {
      r.ack();
      if (keep(r)) {
        out.push(r);
        keys.add(keyOf(r));
      }
      if (done(out, keys.size)) finish();
    });
    function finish() {
      clearTimeout(timer);
      setImmediate(() => sub.unsubscribe());
      resolve();
    }
  });
  await source.closed;
  return out;
}

const keyOf = (r: KafkaRecord) => r.key?.toString('utf8') ?? '';
const header = (r: KafkaRecord, h: string) => r.headers[h]?.toString('utf8');

function coreEvent(i: number, uid: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      metadata: { uid, namespace: 'shop' },
      involvedObject: { kind: 'Pod', namespace: 'shop', name: `api-${i}`, fieldPath: 'spec.containers{api}' },
      reason: i % 3 === 0 ? 'BackOff' : 'Unhealthy',
      message: i % 3 === 0 ? 'Back-off restarting failed container api' : 'Readiness probe failed: 503',
      type: 'Warning',
      lastTimestamp: new Date(1_718_000_000_000 + i * 1000).toISOString(),
      count: 1 + (i % 5),
      source: { component: 'kubelet', host: 'node-1' },
    }),
  );
}

describe('event and log normalizers on real Kafka', () => {
  let sink: KafkaSink;
  const topicsToDelete: string[] = [];

  beforeAll(async () => {
    await ensureTopics(connection, log);
    sink = await KafkaSink.connect({ connection }, log);
  });

  afterAll(async () => {
    await Promise.all(children.map((c) => stop(c)));
    await sink.close();
    for (const t of topicsToDelete) await deleteTopic(connection, t).catch(() => undefined);
  });

  it('two clients interleaved on raw.k8s.events: each normalizer emits exactly its own, bad records go to dlq.raw with reasons', async () => {
    const A = `t${run}a`;
    const B = `t${run}b`;
    const N = 300;
    const out: OutRecord[] = [];
    for (let i = 0; i < N; i++) {
      for (const c of [A, B]) out.push({ topic: TOPICS.rawEvents.name, key: `${c}::event::u${i}`, value: coreEvent(i, `${c === A ? "a" : "b"}-uid-${i}`) });
    }
    // Minimal events without a payload uid: their id comes from the key.
    out.push({ topic: TOPICS.rawEvents.name, key: `${A}::k8s-event::m1`, value: Buffer.from('{"event_id":"m1","reason":"Killing","message":"Stopping container api"}') });
    const bad: Array<{ key: string; value: Buffer | null; reason: RegExp }> = [
      { key: `${A}::event::bad-json`, value: Buffer.from('{"reason": "BackOff",'), reason: /^invalid JSON/ },
      { key: `${A}::event::bad-shape`, value: Buffer.from('{"hello":"world"}'), reason: /^unknown event shape/ },
      { key: `${A}::log::wrong-type`, value: coreEvent(1, 'x'), reason: /^wrong key type "log"/ },
      { key: `${A}::event`, value: coreEvent(2, 'y'), reason: /^malformed key/ },
      { key: `${A}::event::too-big`, value: Buffer.from(JSON.stringify({ event_id: 'big', reason: 'X', message: 'z'.repeat(5000) })), reason: /^oversized value: \d+ bytes, limit 2048/ },
      { key: `${A}::event::bad-utf8`, value: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), reason: /^invalid UTF-8/ },
      { key: `${B}::event::b-bad-json`, value: Buffer.from('not json'), reason: /^invalid JSON/ },
    ];
    for (const b of bad) out.push({ topic: TOPICS.rawEvents.name, key: b.key, value: b.value });
    await Promise.all(out.map((o) => sink.send(o)));

    startNormalizer('event-normalizer', A);
    startNormalizer('event-normalizer', B);

    const normalized = await collect(
      TOPICS.eventsNormalized.name,
      (r) => keyOf(r).startsWith(`${A}::`) || keyOf(r).startsWith(`${B}::`),
      (_rs, distinct) => distinct >= 2 * N + 1,
    );
    const keysA = new Set(normalized.map(keyOf).filter((k) => k.startsWith(`${A}::`)));
    const keysB = new Set(normalized.map(keyOf).filter((k) => k.startsWith(`${B}::`)));
    expect(keysA.size).toBe(N + 1);
    expect(keysB.size).toBe(N);
    for (let i = 0; i < N; i++) {
      expect(keysA.has(`${A}::evt-a-uid-${i}`)).toBe(true);
      expect(keysB.has(`${B}::evt-b-uid-${i}`)).toBe(true);
    }
    expect(keysA.has(`${A}::evt-m1`)).toBe(true);
    for (const r of normalized) {
      const ev = decodeNormalizedEvent(r.value!);
      const text = JSON.stringify(ev) + r.value!.toString('latin1');
      expect(text).not.toContain(A);
      expect(text).not.toContain(B);
      if (keyOf(r).endsWith('-uid-3')) {
        expect(ev.event_type_abstract).toBe('CrashLoopBackOff');
        expect([ev.pod, ev.container, ev.node, ev.count]).toEqual(['api-3', 'api', 'node-1', 4]);
      }
    }

    const dlq = await collect(
      TOPICS.dlqRaw.name,
      (r) => header(r, DLQ_HEADERS.component) === `event-normalizer-${A}` || header(r, DLQ_HEADERS.component) === `event-normalizer-${B}`,
      (rs) => rs.length >= bad.length,
    );
    expect(dlq).toHaveLength(bad.length);
    for (const b of bad) {
      const hit = dlq.find((r) => keyOf(r) === b.key);
      expect(hit).toBeDefined();
      expect(header(hit!, DLQ_HEADERS.error)).toMatch(b.reason);
      expect(header(hit!, DLQ_HEADERS.sourceTopic)).toBe(TOPICS.rawEvents.name);
      expect(hit!.value?.equals(b.value!)).toBe(true);
    }
  });

  it('kill -9 of an event normalizer mid-stream and a restart: every input has an output, duplicates identical', async () => {
    const C = `t${run}k`;
    const input = `it-norm-kill-in-${run}`;
    const output = `it-norm-kill-out-${run}`;
    topicsToDelete.push(input, output);
    await ensureTopics(connection, log, [
      { name: input, key: '', compacted: false, retentionMs: 3_600_000, partitions: 3 },
      { name: output, key: '', compacted: false, retentionMs: 3_600_000, partitions: 3 },
    ]);
    const N = 30_000;
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) sends.push(sink.send({ topic: input, key: `${C}::event::k${i}`, value: coreEvent(i, `k${i}`) }));
    await Promise.all(sends);

    const env = { INPUT_TOPIC: input, OUTPUT_TOPIC: output, SOURCE_MAX_IN_FLIGHT: '200', SOURCE_BATCH_SIZE: '200' };
    const first = startNormalizer('event-normalizer', C, env);
    // Wait until some, not all, outputs exist, then kill -9.
    const early = await collect(output, () => true, (rs) => rs.length >= 500, 60_000);
    expect(early.length).toBeGreaterThanOrEqual(500);
    await stop(first, 'SIGKILL');
    expect(first.signalCode).toBe('SIGKILL');

    const second = startNormalizer('event-normalizer', C, env);
    const all = await collect(output, () => true, (_rs, distinct) => distinct >= N, 180_000);
    await stop(second);
    const byKey = new Map<string, Buffer>();
    for (const r of all) {
      const prev = byKey.get(keyOf(r));
      if (prev) expect(prev.equals(r.value!)).toBe(true);
      else byKey.set(keyOf(r), r.value!);
    }
    expect(byKey.size).toBe(N);
    for (let i = 0; i < N; i += 997) expect(byKey.has(`${C}::evt-k${i}`)).toBe(true);
    log.info({ outputs: all.length, distinct: byKey.size, duplicates: all.length - byKey.size }, 'kill -9 replay');
  });

  it('log normalizer: Vector, Fluent Bit and plain text in, Avro out with levels, templates and error classes', async () => {
    const C = `t${run}l`;
    const vector = (i: number) =>
      JSON.stringify({ message: `dial tcp 10.0.0.${i}:5432: connect: connection refused`, timestamp: '2024-06-10T12:00:00Z', stream: 'stderr', kubernetes: { pod_name: 'api', pod_namespace: 'shop', container_name: 'api', pod_node_name: 'node-1' } });
    const records: OutRecord[] = [
      { topic: TOPICS.rawLogs.name, key: `${C}::log::v1`, value: Buffer.from(vector(1)) },
      { topic: TOPICS.rawLogs.name, key: `${C}::log::v2`, value: Buffer.from(vector(2)) },
      { topic: TOPICS.rawLogs.name, key: `${C}::log::f1`, value: Buffer.from(JSON.stringify({ log: 'ERROR java.lang.OutOfMemoryError: Java heap space\n', time: 1718020800.5, kubernetes: { pod_name: 'cart', namespace_name: 'shop', container_name: 'cart', host: 'node-2' } })) },
      { topic: TOPICS.rawLogs.name, key: `${C}::log::p1`, value: Buffer.from('level=info msg="started"') },
      { topic: TOPICS.rawLogs.name, key: `${C}::log::bad`, value: Buffer.from('{"unknown": true}') },
    ];
    await Promise.all(records.map((r) => sink.send(r)));
    const child = startNormalizer('log-normalizer', C);
    const got = await collect(TOPICS.logsNormalized.name, (r) => keyOf(r).startsWith(`${C}::`), (_rs, distinct) => distinct >= 4);
    await stop(child);
    const byKey = new Map(got.map((r) => [keyOf(r), decodeNormalizedLog(r.value!)]));
    expect([...byKey.keys()].sort()).toEqual([`${C}::log-f1`, `${C}::log-p1`, `${C}::log-v1`, `${C}::log-v2`]);
    expect(byKey.get(`${C}::log-v2`)).toMatchObject({ level: 'error', pod: 'api', namespace: 'shop', node: 'node-1', stream: 'stderr', error_class: 'connection_refused', template: 'dial tcp <*> connect: connection refused' });
    expect(byKey.get(`${C}::log-v1`)!.template_id).toBe(byKey.get(`${C}::log-v2`)!.template_id);
    expect(byKey.get(`${C}::log-f1`)).toMatchObject({ level: 'error', error_class: 'oom', node: 'node-2', timestamp: 1718020800500 });
    expect(byKey.get(`${C}::log-p1`)).toMatchObject({ level: 'info', pod: null });
    const dlq = await collect(TOPICS.dlqRaw.name, (r) => header(r, DLQ_HEADERS.component) === `log-normalizer-${C}`, (rs) => rs.length >= 1, 30_000);
    expect(dlq.map(keyOf)).toEqual([`${C}::log::bad`]);
    expect(header(dlq[0], DLQ_HEADERS.error)).toMatch(/^unknown log shape/);
  });
});

// Kafka is imported for its side effect of loading the native binding before the children do.
void Kafka;
