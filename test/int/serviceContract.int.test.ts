import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { createHttpServer, nodeHttpService } from '../../src/http/server';
import { loadApiConfig } from '../../src/http/api/apiConfig';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { KafkaSource } from '../../src/kafka/kafkaSource';
import { componentLogger } from '../../src/log/logger';
import { GraphStore, lazyGraphStore } from '../../src/neo4j/graphStore';
import { loadNeo4jConfig } from '../../src/neo4j/neo4jConfig';
import { createTestTopic, readTopic, testConnection, uniqueName } from '../support/kafkaTest';

const log = componentLogger('service-contract-test');

/**
 * The one start/shutdown contract (src/domain/service) on the real broker and Neo4j: shutdown
 * without start resolves, twice is safe, and a sink's shutdown flushes what is buffered.
 */
describe('start/shutdown contract', () => {
  it('every adapter and server shuts down without having started', async () => {
    const sink = KafkaSink.create({ connection: testConnection }, log);
    const source = new KafkaSource({ connection: testConnection, groupId: uniqueName('never'), topics: ['never-subscribed'] }, log);
    const store = GraphStore.create(loadNeo4jConfig(process.env), log);
    const http = createHttpServer(loadApiConfig({ CONTROL_PLANE_PORT: '0' }), { clients: async () => ({}) as never, health: () => ({ ok: true }), store: () => Promise.reject(new Error('unused')), answer: (() => undefined) as never, log });
    const node = nodeHttpService(createServer(), 0, '127.0.0.1');
    for (const s of [sink, source, store, http, node]) {
      await expect(s.shutdown()).resolves.toBeUndefined();
      await expect(s.shutdown()).resolves.toBeUndefined();
    }
    // Stopped for good: a start after shutdown is refused, not half done.
    await expect(sink.start()).rejects.toThrow(/cannot start after shutdown/);
    await expect(http.start()).rejects.toThrow(/cannot start after shutdown/);
    await expect(node.start()).rejects.toThrow(/cannot start after shutdown/);
    await expect(node.stopped).resolves.toBeUndefined();
  });

  it("a sink's shutdown flushes the records still buffered in its queue", async () => {
    const topic = uniqueName('it-shutdown-flush');
    await createTestTopic(topic, 1);
    // A long linger keeps the records in librdkafka's queue: only a flush delivers them before it ends.
    const sink = KafkaSink.create({ connection: testConnection, lingerMs: 5000 }, log);
    await sink.start();
    const settled: string[] = [];
    const sends = Array.from({ length: 50 }, (_, i) => sink.send({ topic, key: `k${i}`, value: Buffer.from(`v${i}`) }).then(() => settled.push(`k${i}`)));
    expect(settled).toHaveLength(0);
    const started = Date.now();
    await sink.shutdown();
    // Every send had its delivery report when shutdown resolved, and the broker has all 50.
    expect(settled).toHaveLength(50);
    await Promise.all(sends);
    expect(sink.stats()).toMatchObject({ sent: 50, delivered: 50, failed: 0 });
    const records = await readTopic(topic, 50);
    expect(records.map((r) => r.key?.toString()).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `k${i}`).sort());
    log.info({ shutdownMs: Date.now() - started }, 'shutdown flushed 50 lingering records');
  });

  it('a started source, store and HTTP servers shut down; the source commits what was acknowledged', async () => {
    const topic = uniqueName('it-shutdown-source');
    await createTestTopic(topic, 1);
    const sink = await KafkaSink.connect({ connection: testConnection }, log);
    await sink.send({ topic, key: 'a', value: Buffer.from('1') });
    const group = uniqueName('contract');
    const source = new KafkaSource({ connection: testConnection, groupId: group, topics: [topic] }, log);
    await source.start();
    const sub = source.records$.subscribe((r) => r.ack());
    // Wait until the one record was consumed and acknowledged, then shut down: it resolves once committed and disconnected.
    for (let i = 0; i < 300 && source.stats().acked < 1; i++) await new Promise((r) => setTimeout(r, 100));
    expect(source.stats().acked).toBe(1);
    await source.shutdown();
    expect(source.stats().stored).toEqual({ [`${topic}/0`]: 1 });
    sub.unsubscribe();
    await sink.shutdown();

    const store = GraphStore.create(loadNeo4jConfig(process.env), log, {}, 30_000);
    await store.start();
    await expect(store.driver.getServerInfo()).resolves.toBeDefined();
    await store.shutdown();
    await expect(store.driver.getServerInfo()).rejects.toThrow();

    // The control plane's API store: nothing connected until asked, one store for every ask, shut down once.
    const lazy = lazyGraphStore(loadNeo4jConfig(process.env), log, 30_000);
    await expect(lazyGraphStore(loadNeo4jConfig(process.env), log).shutdown()).resolves.toBeUndefined();
    const first = await lazy.get();
    expect(await lazy.get()).toBe(first);
    await lazy.shutdown();
    await expect(first.driver.getServerInfo()).rejects.toThrow();

    const http = createHttpServer(loadApiConfig({ CONTROL_PLANE_PORT: '0' }), { clients: async () => ({ clients: [] }) as never, health: () => ({ ok: true }), store: () => Promise.reject(new Error('unused')), answer: (() => undefined) as never, log });
    await http.start();
    expect((await fetch(`${http.url}/healthz`)).status).toBe(200);
    await http.shutdown();
    await expect(fetch(`${http.url}/healthz`)).rejects.toThrow();

    const node = nodeHttpService(createServer((_req, res) => res.end('ok')), 0, '127.0.0.1');
    await node.start();
    const port = (node.address() as AddressInfo).port;
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
    await node.shutdown();
    expect(node.listening).toBe(false);
    await expect(node.stopped).resolves.toBeUndefined();
  });
});
