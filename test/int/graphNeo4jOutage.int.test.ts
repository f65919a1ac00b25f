import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeNormalizedEvent, NormalizedEvent } from '../../src/avro/normalizedCodec';
import { formatNormalizedKey } from '../../src/domain/keys';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { GraphStore } from '../../src/neo4j/graphStore';
import { connectStore, connection, createTestTopics, deleteTestTopics, log, runGraphBuilder, TestTopics, uniqueId, waitFor } from '../fixtures/graph/harness';

const run = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');

/**
 * Neo4j stopped for 20 s while events keep arriving, then started again: the graph builder does
 * not crash, stops pulling at its in-flight bound while writes fail, and after recovery every
 * event is in the graph exactly once, with every causal edge (one per pod, its two events often in
 * different batches of the two in flight). Needs `npx tsc -p tsconfig.json` first (it drives the CLI).
 * Stops the shared Neo4j: run it on its own.
 */
describe('graph builder: Neo4j outage mid-stream', () => {
  const client = uniqueId('o');
  const N = 12_000;
  const MAX_IN_FLIGHT = 1500;
  let topics: TestTopics;
  let store: GraphStore;
  let sink: KafkaSink;

  const event = (i: number): NormalizedEvent => ({
    event_id: `o-${i}`,
    timestamp: 1_714_557_600_000 + i * 10,
    // Two events per pod, OOMKilled then BackOff: one causal edge each, and pairs split across batches in flight.
    reason: i % 2 === 0 ? 'OOMKilled' : 'BackOff',
    message: i % 2 === 0 ? `Container c was OOMKilled ${i}` : `Back-off restarting failed container ${i}`,
    type: 'Warning',
    severity: 'warning',
    event_type_abstract: i % 2 === 0 ? 'container_oom' : 'container_backoff',
    object_kind: 'Pod',
    object_namespace: 'load',
    object_name: `pod-${i >> 1}`,
    object_uid: null,
    pod: `pod-${i >> 1}`,
    container: 'c',
    node: null,
    count: 1,
    reporting_component: 'kubelet',
    source_format: 'core/v1',
  });
  const produce = async (from: number, to: number) => {
    const sends: Promise<unknown>[] = [];
    for (let i = from; i < to; i++) sends.push(sink.send({ topic: topics.events, key: formatNormalizedKey(client, 'evt', `o-${i}`), value: encodeNormalizedEvent(event(i)) }));
    await Promise.all(sends);
  };

  beforeAll(async () => {
    topics = await createTestTopics(client);
    store = await connectStore();
    await store.prepareClient(client);
    sink = await KafkaSink.connect({ connection }, log);
  });

  afterAll(async () => {
    await run('node', [CLI, 'stack', 'up', 'neo4j']).catch((err: Error) => log.error({ err: err.message }, 'restarting neo4j failed'));
    await sink?.close();
    await store?.close();
    await deleteTestTopics(topics);
  });

  it('loses nothing, duplicates nothing and stays within its in-flight bound', async () => {
    await produce(0, N / 2);
    const builder = runGraphBuilder(store, sink, topics, client, `graph-builder-${client}`, { maxBatchSize: 500, maxBatchesInFlight: 2, retryMaxMs: 2000 }, MAX_IN_FLIGHT);
    await waitFor('first writes', async () => builder.source.stats().acked, (n) => n >= 1000);

    await run('node', [CLI, 'stack', 'down', 'neo4j']);
    const downAt = Date.now();
    await produce(N / 2, N);
    let inFlightDuringOutage = 0;
    while (Date.now() - downAt < 20_000) {
      inFlightDuringOutage = Math.max(inFlightDuringOutage, builder.source.stats().inFlight);
      await new Promise((r) => setTimeout(r, 250));
    }
    const ackedDuringOutage = builder.source.stats().acked;
    const stalled = builder.source.stats();
    await run('node', [CLI, 'stack', 'up', 'neo4j']);

    await waitFor('all acked', async () => builder.source.stats(), (s) => s.acked === N && s.inFlight === 0, 180_000);
    await builder.stop();

    const s = builder.source.stats();
    expect(s.maxInFlightSeen).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    // While Neo4j was down the source filled up to its bound and stopped pulling.
    expect(inFlightDuringOutage).toBeGreaterThan(0);
    expect(stalled.consumed - stalled.acked).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    expect(stalled.consumed).toBeLessThan(N);
    expect(ackedDuringOutage).toBeLessThan(N);
    expect(builder.effects.some((e) => e.kind === 'graph/write-retry')).toBe(true);
    expect(builder.effects.filter((e) => e.kind === 'graph/dead-lettered')).toHaveLength(0);

    const counts = await store.counts(client);
    expect(counts).toEqual({ resources: N / 2, events: N, about: N, causes: N / 2, topology: 0 });
    // Some of those edges joined two batches in flight (written after the earlier one ended).
    expect(builder.effects.reduce((n, e) => n + (e.kind === 'graph/batch-written' ? e.deferredEdges : 0), 0)).toBeGreaterThan(0);
  });
});
