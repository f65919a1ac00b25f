import { lastValueFrom, toArray } from 'rxjs';
import { writeOrSplit } from '../../pipelines/operators/writeOrSplit';
import { formatKey } from '../../src/domain/keys';
import { EventRow, eventRowOfAlert } from '../../src/graph/eventRows';
import { DLQ_HEADERS } from '../../src/kafka/deadLetter';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { GraphStore } from '../../src/neo4j/graphStore';
import { isTransientGraphError } from '../../src/neo4j/neo4jErrors';
import { ALERT, OBJECTS } from '../fixtures/graph/incident';
import { connectStore, connection, createTestTopics, deleteTestTopics, log, runGraphBuilder, runTopologyBuilder, TestTopics, uniqueId, waitFor } from '../fixtures/graph/harness';
import { drainTopic } from '../support/kafkaTest';

/**
 * The two stalls of the hostile-input campaign, on the real Kafka and Neo4j: one poison record in
 * a batch is dead-lettered exactly once with its reason and every other record of the batch (and
 * every other client) reaches the graph. Before, a 200 KB `pod` label made Neo4j answer
 * "Property value is too large to index", taken as transient: the batch of 2,000 was retried for
 * good; a 10,000-character resource name did the same to the shared topology builder.
 */
describe('poison records do not stall a component', () => {
  const run = uniqueId('');
  let topics: TestTopics;
  let store: GraphStore;
  let sink: KafkaSink;

  beforeAll(async () => {
    topics = await createTestTopics(run);
    store = await connectStore();
    sink = await KafkaSink.connect({ connection }, log);
  });

  afterAll(async () => {
    await sink?.close();
    await store?.close();
    await deleteTestTopics(topics);
  });

  const alert = (i: number, labels: Record<string, string> = {}) => ({
    ...ALERT,
    startsAt: new Date(Date.now() - 60_000 + i).toISOString(),
    labels: { ...ALERT.labels, alertname: `Alert${i}`, ...labels },
    fingerprint: `fp${run}${i}`,
  });

  it('an alert whose pod label is 200 KB is dead-lettered alone, with the reason; the other alerts of its batch are written', async () => {
    const client = `${run}g`;
    await store.prepareClient(client);
    const builder = runGraphBuilder(store, sink, topics, client, `graph-builder-${client}`, { maxBatchMs: 2000 });
    const poison = 3;
    // Sent at once, so they share a batch (maxBatchMs 2 s).
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        sink.send({
          topic: topics.alerts,
          key: formatKey(client, 'alert', `fp${run}${i}`),
          value: Buffer.from(JSON.stringify(i === poison ? alert(i, { pod: 'p'.repeat(200 * 1024) }) : alert(i, { pod: `web-${i}` }))),
        }),
      ),
    );
    await waitFor('7 alerts in the graph', () => store.counts(client), (n) => n.events === 7);
    await waitFor('all acked', async () => builder.source.stats(), (s) => s.acked === 8 && s.inFlight === 0);
    await builder.stop();

    const dead = builder.effects.filter((e) => e.kind === 'graph/dead-lettered');
    expect(dead).toEqual([expect.objectContaining({ kind: 'graph/dead-lettered', reason: 'alert.labels.pod is 204800 characters (at most 1024)', topic: topics.alerts })]);
    expect(builder.effects.filter((e) => e.kind === 'graph/write-retry')).toEqual([]);
    const dlq = (await drainTopic(topics.dlq)).filter((r) => String(r.key).startsWith(`${client}::`));
    expect(dlq.map((r) => String(r.key))).toEqual([formatKey(client, 'alert', `fp${run}${poison}`)]);
    expect(String(dlq[0].headers[DLQ_HEADERS.error])).toBe('alert.labels.pod is 204800 characters (at most 1024)');
    expect(String(dlq[0].headers[DLQ_HEADERS.component])).toBe('graph-builder');
    const rids = await store.read(client, { text: 'MATCH (e:Event {client: $client})-[:ABOUT]->(r:Resource) RETURN r.rid AS rid ORDER BY rid', params: { client } });
    expect(rids.map((r) => r.rid)).toEqual([0, 1, 2, 4, 5, 6, 7].map((i) => `Pod/shop/web-${i}`));
  });

  it('Neo4j refusing a value ("too large to index") is permanent: write-or-split writes the other rows and isolates that one', async () => {
    // Past the edge's bounds (as a value from an older agent or a bug of ours would be): the real server's answer.
    const client = `${run}n`;
    await store.prepareClient(client);
    const rows: EventRow[] = Array.from({ length: 8 }, (_, i) => ({ ...eventRowOfAlert(alert(i, { pod: `web-${i}` }) as never), eid: `alert:${run}:${i}` }));
    rows[5] = { ...rows[5], rid: `Pod/shop/${'x'.repeat(200 * 1024)}`, name: 'x'.repeat(200 * 1024) };
    const poisoned: Array<{ eid: string; reason: string }> = [];
    const effects = await lastValueFrom(
      writeOrSplit<EventRow, unknown, string, 'graph'>({
        source: 'graph',
        write: (items) => store.writeEvents$({ client, rows: items }),
        written: (items) => `written ${items.length}`,
        poisoned: (row, reason) => (poisoned.push({ eid: row.eid, reason }), [`dead ${row.eid}`]) as never,
        isTransient: isTransientGraphError,
        backoff: { initialMs: 100, maxMs: 1000 },
      })(rows).pipe(toArray()),
    );
    expect(effects.filter((e) => typeof e === 'object')).toEqual([]); // no write-retry: not transient
    expect(poisoned).toEqual([{ eid: `alert:${run}:5`, reason: expect.stringMatching(/^Property value is too large to index/) }]);
    expect((await store.counts(client)).events).toBe(7);
  });

  it('a state.k8s.resource key whose name is 10,000 characters is dead-lettered once; other clients\' topology keeps updating', async () => {
    const [bad, good] = [`${run}x`, `${run}y`];
    for (const c of [bad, good]) await store.prepareClient(c);
    const topo = runTopologyBuilder(store, sink, topics, `topology-${run}`);
    const longName = 'w'.repeat(10_000);
    const badKey = formatKey(bad, 'Pod', `shop/${longName}`);
    await sink.send({ topic: topics.resources, key: badKey, value: Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: longName, namespace: 'shop' } })) });
    for (const o of OBJECTS.slice(0, 2)) await sink.send({ topic: topics.resources, key: formatKey(good, o.kind, o.id), value: Buffer.from(JSON.stringify(o.object)) });
    await waitFor(`first topology of ${good}`, () => store.counts(good), (n) => n.resources >= 2);
    // Later changes keep arriving for the good client: the builder is not stuck behind the poison record.
    for (const o of OBJECTS.slice(2)) await sink.send({ topic: topics.resources, key: formatKey(good, o.kind, o.id), value: Buffer.from(JSON.stringify(o.object)) });
    await waitFor(`whole topology of ${good}`, () => store.counts(good), (n) => n.resources === 5 && n.topology === 4);
    await waitFor('all acked', async () => topo.source.stats(), (s) => s.acked === 1 + OBJECTS.length && s.inFlight === 0);
    await topo.stop();

    expect((await store.counts(bad)).resources).toBe(0);
    const dlq = (await drainTopic(topics.dlq)).filter((r) => String(r.key).startsWith(`${bad}::`));
    expect(dlq).toHaveLength(1);
    expect(String(dlq[0].key)).toBe(badKey);
    expect(String(dlq[0].headers[DLQ_HEADERS.error])).toBe('key does not name a resource ({client}::{kind}::{namespace}/{name}): Pod name is 10000 characters (at most 253)');
    expect(String(dlq[0].headers[DLQ_HEADERS.component])).toBe('topology-builder');
  });
});
