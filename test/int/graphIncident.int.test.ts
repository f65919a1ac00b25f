import { encodeNormalizedEvent } from '../../src/avro/normalizedCodec';
import { formatKey, formatNormalizedKey } from '../../src/domain/keys';
import { rootCauses } from '../../src/graph/cypher';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { GraphStore } from '../../src/neo4j/graphStore';
import { ALERT, ALERT_EID, EVENTS, EXPECTED, OBJECTS } from '../fixtures/graph/incident';
import { connectStore, connection, createTestTopics, deleteTestTopics, log, runGraphBuilder, runTopologyBuilder, TestTopics, uniqueId, waitFor } from '../fixtures/graph/harness';

/**
 * The scripted incident end to end on the real Kafka and Neo4j, for two clients with identical
 * resource names and event ids at once: exact nodes and edges, OOMKilled → BackOff the strongest
 * cause, OOMKilled the top root cause of the alert, two disjoint graphs, and a full replay that
 * changes no count.
 */
describe('graph builder + topology builder: scripted incident', () => {
  const run = uniqueId('');
  const clients = [`${run}a`, `${run}b`];
  let topics: TestTopics;
  let store: GraphStore;
  let sink: KafkaSink;
  const expectedCounts = { resources: EXPECTED.resources, events: EXPECTED.events, about: EXPECTED.about, causes: EXPECTED.causes.length, topology: EXPECTED.topology };

  beforeAll(async () => {
    topics = await createTestTopics(run);
    store = await connectStore();
    sink = await KafkaSink.connect({ connection }, log);
    for (const c of clients) await store.prepareClient(c);
    for (const c of clients) {
      for (const o of OBJECTS) await sink.send({ topic: topics.resources, key: formatKey(c, o.kind, o.id), value: Buffer.from(JSON.stringify(o.object)) });
    }
  });

  afterAll(async () => {
    await sink?.close();
    await store?.close();
    await deleteTestTopics(topics);
  });

  it('builds exactly the expected graph per client, with OOMKilled → BackOff the strongest cause', async () => {
    const topo = runTopologyBuilder(store, sink, topics, `topology-${run}`);
    for (const c of clients) await waitFor(`topology of ${c}`, () => store.counts(c), (n) => n.resources === 5 && n.topology === 4);
    await topo.stop();

    const builders = clients.map((c) => runGraphBuilder(store, sink, topics, c, `graph-builder-${c}`));
    for (const c of clients) {
      for (const e of EVENTS) await sink.send({ topic: topics.events, key: formatNormalizedKey(c, 'evt', e.event_id), value: encodeNormalizedEvent(e) });
      await sink.send({ topic: topics.alerts, key: formatKey(c, 'alert', ALERT.labels.alertname === '' ? 'x' : ALERT.fingerprint), value: Buffer.from(JSON.stringify(ALERT)) });
    }
    for (const c of clients) await waitFor(`graph of ${c}`, () => store.counts(c), (n) => n.events === 5 && n.causes >= 6);
    // Each builder saw the other client's records as foreign and acked them.
    await waitFor('all acked', async () => builders.map((b) => b.source.stats()), (s) => s.every((x) => x.acked === 10 && x.inFlight === 0));
    for (const b of builders) await b.stop();
    for (const b of builders) {
      expect(b.effects.filter((e) => e.kind === 'graph/foreign')).toHaveLength(5);
      expect(b.effects.filter((e) => e.kind === 'graph/dead-lettered')).toHaveLength(0);
    }

    for (const c of clients) {
      expect(await store.counts(c)).toEqual(expectedCounts);
      const edges = await store.read(c, {
        text: 'MATCH (a:Event {client: $client})-[p:POTENTIAL_CAUSE]->(b:Event {client: $client}) RETURN a.eid AS cause, b.eid AS effect, p.rule AS rule, p.confidence AS confidence ORDER BY confidence DESC',
        params: { client: c },
      });
      expect(edges.map((e) => [e.cause, e.effect, e.rule]).sort()).toEqual([...EXPECTED.causes].sort());
      expect([edges[0].cause, edges[0].effect]).toEqual(['evt:oom-1', 'evt:backoff-1']);
      expect(edges[0].confidence as number).toBeGreaterThan(edges[1].confidence as number);

      const topology = await store.read(c, {
        text: 'MATCH (a:Resource {client: $client})-[r:RUNS_ON|CONTROLS|SELECTS]->(b:Resource {client: $client}) RETURN a.rid + " " + type(r) + " " + b.rid AS edge ORDER BY edge',
        params: { client: c },
      });
      expect(topology.map((t) => t.edge)).toEqual([
        'Deployment/shop/web CONTROLS ReplicaSet/shop/web-7d9',
        'Pod/shop/web-7d9-abc RUNS_ON Node//n1',
        'ReplicaSet/shop/web-7d9 CONTROLS Pod/shop/web-7d9-abc',
        'Service/shop/web SELECTS Pod/shop/web-7d9-abc',
      ]);
      const labels = await store.read(c, { text: 'MATCH (r:Resource {client: $client}) RETURN r.rid AS rid, labels(r) AS labels ORDER BY rid', params: { client: c } });
      expect(labels.find((l) => l.rid === 'Pod/shop/web-7d9-abc')?.labels).toEqual(expect.arrayContaining(['Resource', 'Pod']));
      const about = await store.read(c, { text: 'MATCH (e:Event {client: $client, eid: $eid})-[:ABOUT]->(r) RETURN r.rid AS rid', params: { client: c, eid: ALERT_EID } });
      expect(about).toEqual([{ rid: 'Service/shop/web' }]);

      const ranked = await store.read(c, rootCauses(c, ALERT_EID));
      expect(ranked[0].eid).toBe('evt:oom-1');
      expect(ranked.map((r) => r.eid).sort()).toEqual(['evt:backoff-1', 'evt:oom-1', 'evt:unhealthy-1']);
    }

    // Two disjoint graphs: nothing connects nodes of different clients, every node carries its client.
    const [cross] = await store.read(clients[0], {
      text: 'MATCH (a)-[r]-(b) WHERE a.client IN $clients AND (b.client <> a.client OR r.client <> a.client) RETURN count(r) AS n',
      params: { clients },
    });
    expect(cross.n).toBe(0);
  });

  it('replaying the whole input changes no count', async () => {
    const before = await Promise.all(clients.map((c) => store.counts(c)));
    const topo = runTopologyBuilder(store, sink, topics, `topology-${run}-replay`);
    await waitFor('topology replayed', async () => topo.source.stats(), (s) => s.acked === 10 && s.inFlight === 0);
    await topo.stop();
    const builders = clients.map((c) => runGraphBuilder(store, sink, topics, c, `graph-builder-${c}-replay`));
    await waitFor('events replayed', async () => builders.map((b) => b.source.stats()), (s) => s.every((x) => x.acked === 10 && x.inFlight === 0));
    for (const b of builders) await b.stop();
    const written = builders.flatMap((b) => b.effects).filter((e) => e.kind === 'graph/batch-written');
    expect(written.length).toBeGreaterThan(0);
    for (const w of written) if (w.kind === 'graph/batch-written') expect([w.eventsAdded, w.causalEdgesAdded]).toEqual([0, 0]);
    const after = await Promise.all(clients.map((c) => store.counts(c)));
    expect(after).toEqual(before);
    expect(after[0]).toEqual(expectedCounts);
  });
});
