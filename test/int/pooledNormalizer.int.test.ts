import { ChildProcess, spawn } from 'node:child_process';
import Kafka from 'node-rdkafka';
import { decodeNormalizedEvent, decodeNormalizedLog } from '../../src/avro/normalizedCodec';
import { app, vectorLog } from '../../src/simulator/k8sShapes';
import { DLQ_HEADERS } from '../../src/kafka/deadLetter';
import { deleteTopic } from '../../src/kafka/admin';
import { librdkafkaBase } from '../../src/kafka/kafkaConfig';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { TOPICS } from '../../src/kafka/topics';
import { componentLogger } from '../../src/log/logger';
import { event } from '../../perf/k8sEvents';
import { CLI, until } from '../support/controlPlaneProcess';
import { createTestTopic, drainTopic, testConnection, uniqueName } from '../support/kafkaTest';

/**
 * WORKER_MODE=pooled on the real broker: ONE `kgroot event-normalizer-pool` process serves three
 * clients. The client topics are the test's own (POOL_INPUT_BASE / POOL_OUTPUT_BASE: a unique base,
 * so the pool never reads another test's clients); a client is registered when its topics exist (the
 * control plane creates them at registration: here the test creates them). Each client's records
 * reach only its own output topic; a topic of an unregistered client and a foreign key are
 * dead-lettered once each; kill -9 of the pool mid-stream loses nothing (duplicates only).
 */
const log = componentLogger('test-pool');
const u = uniqueName('p').replace(/[^a-z0-9]/g, '');
const inBase = `poolraw-${u}`;
const outBase = `poolnorm-${u}`;
const clients = ['acme', 'globex', 'initech'].map((c) => `${c}${u}`);
const ghost = `ghost${u}`;
const PER_CLIENT = 3000;
const PARTITIONS = 3;
const group = `event-normalizer-pool-${u}`;
const created: string[] = [];

function startPool(role = 'event-normalizer-pool', bases = { inBase, outBase, group }): { child: ChildProcess; ready: Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, role], {
    env: { ...process.env, TENANCY: 'routed', WORKER_MODE: 'pooled', POOL_INPUT_BASE: bases.inBase, POOL_OUTPUT_BASE: bases.outBase, CONSUMER_GROUP: bases.group, POOL_TOPIC_REFRESH_MS: '1000', METRICS_PORT: '-1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('partitions assigned')) resolve();
      if (out.length > 200_000) out = out.slice(-2000);
    });
    child.once('exit', (code) => reject(new Error(`pool exited with ${code} before it was ready`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exited };
}

async function highWatermarks(topics: string[], partitions = PARTITIONS): Promise<number> {
  const consumer = new Kafka.KafkaConsumer({ ...librdkafkaBase(testConnection), 'group.id': uniqueName('wm') } as never, {});
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    let sum = 0;
    for (const t of topics) {
      for (let p = 0; p < partitions; p++) {
        sum += await new Promise<number>((resolve, reject) => consumer.queryWatermarkOffsets(t, p, 10_000, (err, o) => (err ? reject(err) : resolve(o.highOffset))));
      }
    }
    return sum;
  } finally {
    consumer.disconnect();
  }
}

async function produce(records: Array<{ topic: string; key: string; value: Buffer }>): Promise<void> {
  const sink = await KafkaSink.connect({ connection: testConnection }, log);
  await Promise.all(records.map((r) => sink.send(r)));
  await sink.close();
}

/** The i-th record of client c (i < PER_CLIENT): a kubelet BackOff Event with a uid unique over the clients. */
const recordOf = (c: number, i: number) => ({ topic: `${inBase}.${clients[c]}`, key: `${clients[c]}::event::ev-${c}-${i}`, value: event(c * PER_CLIENT + i) });

beforeAll(async () => {
  for (const c of clients) {
    for (const t of [`${inBase}.${c}`, `${outBase}.${c}`]) {
      await createTestTopic(t, PARTITIONS);
      created.push(t);
    }
  }
  // An unregistered client: an input topic exists (created by hand), its output topic does not.
  await createTestTopic(`${inBase}.${ghost}`, PARTITIONS);
  created.push(`${inBase}.${ghost}`);
}, 60_000);

afterAll(async () => {
  for (const t of created) await deleteTopic(testConnection, t).catch(() => undefined);
});

describe('pooled event normalizer (one process, three clients, real Kafka)', () => {
  it("each client's records reach only its own topic; unregistered topic and foreign key dead-lettered once; kill -9 mid-stream loses nothing", async () => {
    const all = clients.flatMap((_, c) => Array.from({ length: PER_CLIENT }, (__, i) => recordOf(c, i)));
    const firstHalf = all.filter((_, i) => i % 2 === 0);
    const secondHalf = all.filter((_, i) => i % 2 === 1);
    const bad = [
      { topic: `${inBase}.${ghost}`, key: `${ghost}::event::ev-g-1`, value: event(90_001) },
      { topic: `${inBase}.${ghost}`, key: `${ghost}::event::ev-g-2`, value: event(90_002) },
      // acme's topic carrying globex's key: a producer writing into a topic that is not its client's.
      { topic: `${inBase}.${clients[0]}`, key: `${clients[1]}::event::ev-foreign`, value: event(90_003) },
    ];
    const outputs = clients.map((c) => `${outBase}.${c}`);

    let pool = startPool();
    await pool.ready;
    // The bad records before the kill: a replay after kill -9 does not dead-letter them again (the sink's dead-letter ledger).
    await produce([...bad, ...firstHalf]);
    // Mid-stream: some output written, not all of it; then kill -9 (between sink writes and commits).
    await until('some normalized output', async () => ((await highWatermarks(outputs)) >= 100 ? true : undefined), 60_000, 20);
    pool.child.kill('SIGKILL');
    await pool.exited;
    const atKill = await highWatermarks(outputs);
    log.info({ atKill, produced: firstHalf.length }, 'pool killed');
    expect(atKill).toBeGreaterThan(0);

    await produce(secondHalf);
    pool = startPool();
    await pool.ready;
    try {
      await until('every record normalized', async () => ((await highWatermarks(outputs)) >= all.length ? true : undefined), 120_000, 500);
      // Let any replay of the killed run's uncommitted records land before counting.
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      pool.child.kill('SIGTERM');
      await pool.exited;
    }

    for (const [c, client] of clients.entries()) {
      const recs = await drainTopic(`${outBase}.${client}`, 3000);
      const keys = recs.map((r) => r.key!.toString());
      // Only this client's records, each of them (replays after the kill carry identical keys).
      expect(keys.every((k) => k.startsWith(`${client}::evt-`))).toBe(true);
      expect(new Set(keys).size).toBe(PER_CLIENT);
      const uids = new Set(recs.map((r) => decodeNormalizedEvent(r.value!).event_id));
      expect(uids.size).toBe(PER_CLIENT);
      expect(recs.length).toBeGreaterThanOrEqual(PER_CLIENT);
      log.info({ client, records: recs.length, duplicates: recs.length - PER_CLIENT, c }, 'client output');
    }

    const dlq = (await drainTopic(TOPICS.dlqRaw.name, 3000)).filter((r) => r.headers[DLQ_HEADERS.sourceTopic]?.toString().startsWith(`${inBase}.`));
    const reasons = dlq.map((r) => [r.key!.toString(), r.headers[DLQ_HEADERS.error]!.toString()]).sort((x, y) => x[0].localeCompare(y[0]));
    expect(reasons).toEqual([
      [`${ghost}::event::ev-g-1`, expect.stringMatching(new RegExp(`^topic ${inBase}\\.${ghost} names client "${ghost}", which has no ${outBase}\\.${ghost} topic: not registered`))],
      [`${ghost}::event::ev-g-2`, expect.stringMatching(/not registered/)],
      [`${clients[1]}::event::ev-foreign`, `foreign key: names client "${clients[1]}" on ${inBase}.${clients[0]}, a topic of client "${clients[0]}"`],
    ]);
  }, 300_000);

  it('the pooled log normalizer: Vector kubernetes_logs lines of two clients, each to its own logs.normalized topic', async () => {
    const logIn = `poollogs-${u}`;
    const logOut = `poollognorm-${u}`;
    const two = clients.slice(0, 2);
    for (const c of two) {
      for (const t of [`${logIn}.${c}`, `${logOut}.${c}`]) {
        await createTestTopic(t, 1);
        created.push(t);
      }
    }
    const { pods } = app({ namespace: 'shop', app: 'api', replicas: 2, nodes: ['node-1'], image: 'shop/api:1.4.2' });
    const at = new Date('2026-12-01T09:00:00Z');
    const lines = (c: number) =>
      Array.from({ length: 50 }, (_, i) => ({
        topic: `${logIn}.${two[c]}`,
        // Keyed {client}::log::{pod uid}, as the router passes on records whose key names their client.
        key: `${two[c]}::log::${pods[c].metadata.uid}`,
        value: Buffer.from(JSON.stringify(vectorLog(pods[c], `level=error msg="upstream timeout" upstream=payments-${i} after=${100 + i}ms`, new Date(at.getTime() + i * 1000), 'stderr'))),
      }));
    const pool = startPool('log-normalizer-pool', { inBase: logIn, outBase: logOut, group: `log-normalizer-pool-${u}` });
    try {
      await pool.ready;
      await produce([...lines(0), ...lines(1)]);
      await until('every line normalized', async () => ((await highWatermarks(two.map((c) => `${logOut}.${c}`), 1)) >= 100 ? true : undefined), 60_000, 250);
    } finally {
      pool.child.kill('SIGTERM');
      await pool.exited;
    }
    for (const [c, client] of two.entries()) {
      const recs = await drainTopic(`${logOut}.${client}`, 2000);
      expect(recs).toHaveLength(50);
      expect(recs.every((r) => r.key!.toString().startsWith(`${client}::log-`))).toBe(true);
      const logs = recs.map((r) => decodeNormalizedLog(r.value!));
      expect(new Set(logs.map((l) => l.pod))).toEqual(new Set([pods[c].metadata.name]));
      expect(logs.every((l) => l.level === 'error')).toBe(true);
    }
  }, 180_000);
});
