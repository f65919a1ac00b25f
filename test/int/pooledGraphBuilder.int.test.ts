import { ChildProcess, spawn } from 'node:child_process';
import { encodeNormalizedEvent } from '../../src/avro/normalizedCodec';
import { formatKey, formatNormalizedKey } from '../../src/domain/keys';
import { rootCauses } from '../../src/graph/cypher';
import { deleteTopic } from '../../src/kafka/admin';
import { DLQ_HEADERS } from '../../src/kafka/deadLetter';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { TOPICS } from '../../src/kafka/topics';
import { GraphStore } from '../../src/neo4j/graphStore';
import { graphPoolTopics } from '../../src/commands/graph-builder-pool';
import { ALERT, ALERT_EID, EVENTS, EXPECTED, OBJECTS } from '../fixtures/graph/incident';
import { deleteClientGraph } from '../fixtures/delivery/incidentGraph';
import { connectStore, connection, createTestTopics, deleteTestTopics, log, runTopologyBuilder, TestTopics, uniqueId, waitFor } from '../fixtures/graph/harness';
import { CLI } from '../support/controlPlaneProcess';
import { createTestTopic, drainTopic } from '../support/kafkaTest';

/**
 * WORKER_MODE=pooled on the real Kafka and Neo4j: ONE `kgroot graph-builder-pool` process builds the
 * graphs of every client from their per-client topics (here under a test prefix,
 * GRAPH_POOL_TOPIC_PREFIX, so the pool reads no other test's clients). Client A is registered before
 * the pool starts, client B while it runs (its topics appear later: the pool picks them up at its
 * next topic refresh). Each graph is exactly the scripted incident's, with OOMKilled the alert's top
 * root cause; nothing connects the two; B's key on A's topic is A's foreign record (not written
 * anywhere); a topic naming an invalid client is dead-lettered once, and again not after a replay by
 * a new consumer group, which also changes no count.
 */
describe('pooled graph builder (one process, clients registered before and while it runs)', () => {
  const run = uniqueId('');
  const prefix = `kgp-${run}-`;
  const pool = graphPoolTopics(prefix);
  const clients = [`${run}a`, `${run}b`];
  const badTopic = `${pool.bases[0]}.Not_A_Client`;
  const created: string[] = [];
  let topics: TestTopics;
  let store: GraphStore;
  let sink: KafkaSink;
  const expectedCounts = { resources: EXPECTED.resources, events: EXPECTED.events, about: EXPECTED.about, causes: EXPECTED.causes.length, topology: EXPECTED.topology };

  const register = async (client: string) => {
    const t = pool.of(client);
    for (const name of [t.events, t.logs, t.alerts]) {
      await createTestTopic(name, 3);
      created.push(name);
    }
  };
  const feed = async (client: string, topic = pool.of(client)) => {
    for (const e of EVENTS) await sink.send({ topic: topic.events, key: formatNormalizedKey(client, 'evt', e.event_id), value: encodeNormalizedEvent(e) });
    await sink.send({ topic: topic.alerts, key: formatKey(client, 'alert', ALERT.fingerprint), value: Buffer.from(JSON.stringify(ALERT)) });
  };
  const startPool = (group: string, extra: Record<string, string> = {}): { child: ChildProcess; exited: Promise<number | null>; out: () => string } => {
    const child = spawn(process.execPath, [CLI, 'graph-builder-pool'], {
      env: { ...process.env, TENANCY: 'routed', WORKER_MODE: 'pooled', GRAPH_POOL_TOPIC_PREFIX: prefix, CONSUMER_GROUP: group, POOL_TOPIC_REFRESH_MS: '1000', GRAPH_BATCH_MS: '50', METRICS_PORT: '-1', LOG_LEVEL: 'info', ...extra },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.length > 400_000) out = out.slice(-200_000);
    });
    return { child, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))), out: () => out };
  };
  const dlqCopies = async () => (await drainTopic(TOPICS.dlqNormalized.name, 2000)).filter((r) => r.headers[DLQ_HEADERS.sourceTopic]?.toString() === badTopic);

  beforeAll(async () => {
    topics = await createTestTopics(run);
    store = await connectStore();
    sink = await KafkaSink.connect({ connection }, log);
    for (const name of pool.shared) {
      await createTestTopic(name, 1);
      created.push(name);
    }
    await createTestTopic(badTopic, 1);
    created.push(badTopic);
    await register(clients[0]);
    // The topology first, as in a running system (the shared topology builder writes every client's).
    for (const c of clients) for (const o of OBJECTS) await sink.send({ topic: topics.resources, key: formatKey(c, o.kind, o.id), value: Buffer.from(JSON.stringify(o.object)) });
    const topo = runTopologyBuilder(store, sink, topics, `topology-${run}`);
    for (const c of clients) await waitFor(`topology of ${c}`, () => store.counts(c), (n) => n.resources === 5 && n.topology === 4);
    await topo.stop();
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) await deleteClientGraph(store, c).catch(() => undefined);
    await sink?.close();
    await store?.close();
    await deleteTestTopics(topics);
    for (const t of created) await deleteTopic(connection, t).catch(() => undefined);
  });

  it("builds each client's graph in one process, a client registered while it runs too; an invalid client's topic is dead-lettered once", async () => {
    const p = startPool(`graph-builder-pool-${run}`);
    try {
      await feed(clients[0]);
      // B's record on A's topic: foreign to A, and not B's either (B reads only its own topics).
      await sink.send({ topic: pool.of(clients[0]).events, key: formatNormalizedKey(clients[1], 'evt', 'stray-1'), value: encodeNormalizedEvent({ ...EVENTS[0], event_id: 'stray-1' }) });
      await sink.send({ topic: badTopic, key: 'Not_A_Client::evt::x', value: encodeNormalizedEvent(EVENTS[0]) });
      await waitFor(`graph of ${clients[0]}`, () => store.counts(clients[0]), (n) => n.events === 5 && n.causes === EXPECTED.causes.length);
      // B registers while the pool runs.
      await register(clients[1]);
      await feed(clients[1]);
      await waitFor(`graph of ${clients[1]}`, () => store.counts(clients[1]), (n) => n.events === 5 && n.causes === EXPECTED.causes.length, 90_000);
      for (const c of clients) {
        expect(await store.counts(c)).toEqual(expectedCounts);
        const edges = await store.read(c, {
          text: 'MATCH (a:Event {client: $client})-[p:POTENTIAL_CAUSE]->(b:Event {client: $client}) RETURN a.eid AS cause, b.eid AS effect, p.rule AS rule',
          params: { client: c },
        });
        expect(edges.map((e) => [e.cause, e.effect, e.rule]).sort()).toEqual([...EXPECTED.causes].sort());
        expect((await store.read(c, rootCauses(c, ALERT_EID)))[0].eid).toBe('evt:oom-1');
      }
      const [stray] = await store.read(clients[0], { text: 'MATCH (e:Event) WHERE e.client IN $clients AND e.eid = "evt:stray-1" RETURN count(e) AS n', params: { clients } });
      expect(Number(stray.n)).toBe(0);
      const [cross] = await store.read(clients[0], { text: 'MATCH (a)-[r]-(b) WHERE a.client IN $clients AND (b.client <> a.client OR r.client <> a.client) RETURN count(r) AS n', params: { clients } });
      expect(Number(cross.n)).toBe(0);
      const dlq = await waitFor('the dead letter', dlqCopies, (d) => d.length >= 1);
      expect(dlq).toHaveLength(1);
      expect(dlq[0].headers[DLQ_HEADERS.error]?.toString()).toMatch(/^topic .*Not_A_Client does not name a valid client/);
      expect(dlq[0].headers[DLQ_HEADERS.component]?.toString()).toBe('graph-builder-pool');
      expect(p.out()).toContain('serving client (its first record)');
    } finally {
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    }
  }, 240_000);

  it('a replay of everything by a new consumer group changes no count and dead-letters nothing again; quiet clients are released', async () => {
    const before = await Promise.all(clients.map((c) => store.counts(c)));
    const p = startPool(`graph-builder-pool-${run}-replay`, { GRAPH_POOL_CLIENT_IDLE_SECONDS: '3' });
    const lines = (c: string, msg: string) => p.out().split('\n').filter((l) => l.includes(`"msg":"${msg}"`) && l.includes(`"client":"${c}"`));
    try {
      // Every client's batches were written again (the pool logs one line per batch, with its client).
      await waitFor('the replay', async () => clients.map((c) => lines(c, 'batch written').length), (n) => n.every((x) => x > 0), 90_000);
      // 3 s after its last record, each client's pipeline ends and its candidate memory is released.
      await waitFor('quiet clients released', async () => clients.map((c) => lines(c, 'client quiet: its pipeline ended')), (ls) => ls.every((l) => l.length === 1), 30_000);
      for (const c of clients) expect(JSON.parse(lines(c, 'client quiet: its pipeline ended')[0])).toMatchObject({ memoryReleased: true, idleSeconds: 3 });
    } finally {
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    }
    expect(await Promise.all(clients.map((c) => store.counts(c)))).toEqual(before);
    expect(await dlqCopies()).toHaveLength(1);
  }, 180_000);
});
