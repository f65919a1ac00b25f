import { concat, delay, firstValueFrom, from, Observable, of, toArray } from 'rxjs';
import { TopologyBuilderEffect, topologyBuilder } from '../../pipelines/topologyBuilder/topologyBuilder';
import { NormalizedEvent } from '../../src/avro/normalizedCodec';
import { eventRowOfNormalized } from '../../src/graph/eventRows';
import { SourceRecord } from '../../src/kafka/record';
import { GraphStore } from '../../src/neo4j/graphStore';
import { isTransientGraphError } from '../../src/neo4j/neo4jErrors';
import { fixtureAsRecord, loadAgentFixtures } from '../support/agentFixtures';
import { connectStore, uniqueId } from '../fixtures/graph/harness';

/**
 * The kg-rca-agent's ResourceRecords and EdgeRecords through the topology builder pipeline into
 * the real Neo4j: uid-keyed resources and name-based edges on the same nodes, the uid tombstone,
 * and resyncs that write nothing (in memory, and after a restart by the stored hash).
 */
describe('agent topology on Neo4j', () => {
  const client = uniqueId('agt');
  let store: GraphStore;
  const topoShapes = ['resource', 'resource-tombstone', 'edge', 'edge-tombstone'];
  const records = loadAgentFixtures(client).filter((r) => topoShapes.includes(r.shape));

  const asSource = (times = 1): Observable<SourceRecord> =>
    from(Array.from({ length: times }, () => records).flat().map((r, i) => ({ ...fixtureAsRecord(r, i), ack: () => undefined })));
  const run = (records$: Observable<SourceRecord>) =>
    firstValueFrom(
      topologyBuilder({ records$ }, { writeTopology: (b) => store.writeTopology$(b), send: () => of({ topic: 'dlq', partition: 0, offset: 0 }), isTransient: isTransientGraphError }, { maxBatchMs: 20 }).pipe(toArray()),
    );
  const written = (effects: TopologyBuilderEffect[]) => effects.flatMap((e) => (e.kind === 'topology/batch-written' ? e.clients : []));

  beforeAll(async () => {
    store = await connectStore();
    await store.prepareClient(client);
  });
  afterAll(async () => {
    await store.close();
  });

  it('connects the resources to their topology edges on name-based nodes', async () => {
    const effects = await run(asSource());
    expect(effects.filter((e) => e.kind === 'topology/dead-lettered')).toEqual([]);
    const edges = await store.read(client, {
      text: `MATCH (a:Resource {client: $client})-[x:RUNS_ON|CONTROLS|SELECTS]->(b:Resource) RETURN a.rid + ' ' + type(x) + ' ' + b.rid AS e ORDER BY e`,
      params: { client },
    });
    expect(edges.map((r) => r.e)).toEqual([
      // From the Job's ownerRefs: the CronJob itself is not in the fixtures, so its node is a stub.
      'CronJob/observability/kg-rca-agent-heartbeat CONTROLS Job/observability/kg-rca-agent-heartbeat-29410141',
      'Deployment/shop/api CONTROLS ReplicaSet/shop/api-7d9c8b6f5',
      'Pod/shop/api-7d9c8b6f5-q8m3z RUNS_ON Node//kind-worker',
      'Pod/shop/api-7d9c8b6f5-x2k4p RUNS_ON Node//kind-worker',
      'ReplicaSet/shop/api-7d9c8b6f5 CONTROLS Pod/shop/api-7d9c8b6f5-q8m3z',
      'ReplicaSet/shop/api-7d9c8b6f5 CONTROLS Pod/shop/api-7d9c8b6f5-x2k4p',
      'Service/shop/api SELECTS Pod/shop/api-7d9c8b6f5-q8m3z',
      'Service/shop/api SELECTS Pod/shop/api-7d9c8b6f5-x2k4p',
    ]);
    const nodes = await store.read(client, { text: 'MATCH (r:Resource {client: $client}) RETURN r.rid AS rid, r.uid AS uid, r.stub AS stub ORDER BY rid', params: { client } });
    // The heartbeat Job's pod was tombstoned by uid; the Job stays. Every agent edge met the real resource node.
    expect(nodes.filter((n) => n.stub === false).map((n) => n.rid)).toEqual([
      'Deployment/shop/api', 'Job/observability/kg-rca-agent-heartbeat-29410141', 'Node//kind-worker', 'Pod/shop/api-7d9c8b6f5-q8m3z', 'Pod/shop/api-7d9c8b6f5-x2k4p', 'ReplicaSet/shop/api-7d9c8b6f5', 'Service/shop/api',
    ]);
    expect(nodes.filter((n) => n.stub !== false).map((n) => n.rid)).toEqual(['CronJob/observability/kg-rca-agent-heartbeat']);
    expect(nodes.filter((n) => n.stub === false).every((n) => typeof n.uid === 'string')).toBe(true);
  });

  it('writes nothing for resyncs: in memory within a run, by the stored hash after a restart', async () => {
    // Three passes 1.5 s apart (the agent's are 30 s apart): each one after the previous committed.
    const within = await run(concat(asSource(), asSource().pipe(delay(1500)), asSource().pipe(delay(1500))));
    const firstPass = written(within).reduce((s, c) => s + c.upserted, 0);
    // The first pass of this run finds every row already stored with its hash (a restart), the two resyncs are skipped in memory.
    expect(firstPass).toBe(0);
    // 7 resource rows with their stored hash, and the 7 live agent edges already in the graph (read, not merged).
    expect(written(within).reduce((s, c) => s + (c.agent?.unchangedInGraph ?? 0), 0)).toBe(14);
    expect(written(within).reduce((s, c) => s + (c.agent?.edges ?? 0), 0)).toBe(0);
    expect(within.filter((e) => e.kind === 'topology/unchanged').length).toBeGreaterThanOrEqual(2 * 14);
  });
});

/**
 * Order independence for the agent's topology (issue 14 item 7 with issue 17's records): events
 * about the agent's Node and Pod written before the agent's resources and edges arrive get the
 * causal edge their topology gives them, the same as when the resources came first.
 */
describe('agent topology completes the candidates of events written before it', () => {
  const clients = { first: uniqueId('agtf'), last: uniqueId('agtl'), deleted: uniqueId('agtd') };
  let store: GraphStore;
  const POD = 'api-7d9c8b6f5-x2k4p';
  const T0 = Date.parse('2026-12-01T09:00:00Z');
  const ev = (id: string, kind: string, name: string, reason: string, dt: number, message: string, type: string): NormalizedEvent => ({
    event_id: id, timestamp: T0 + dt, reason, message, type, severity: type === 'Warning' ? 'warning' : 'info', event_type_abstract: '', object_kind: kind,
    object_namespace: kind === 'Node' ? '' : 'shop', object_name: name, object_uid: null, pod: kind === 'Pod' ? name : null, container: null, node: 'kind-worker',
    count: 1, reporting_component: 'kubelet', source_format: 'core/v1',
  });
  // What the kubelet reports when a node runs out of ephemeral storage and evicts a pod (../shared/K8S-SIGNALS.md).
  const EVENTS = [
    ev('n-disk', 'Node', 'kind-worker', 'NodeHasDiskPressure', 0, 'Node kind-worker status is now: NodeHasDiskPressure', 'Normal'),
    ev('p-evict', 'Pod', POD, 'Evicted', 20_000, 'The node was low on resource: ephemeral-storage. Threshold quantity: 10%, available: 4%.', 'Warning'),
  ];
  const topology = (client: string) =>
    firstValueFrom(
      topologyBuilder(
        { records$: from(loadAgentFixtures(client).filter((r) => ['resource', 'edge'].includes(r.shape)).map((r, i) => ({ ...fixtureAsRecord(r, i), ack: () => undefined }))) },
        { writeTopology: (b) => store.writeTopology$(b), send: () => of({ topic: 'dlq', partition: 0, offset: 0 }), isTransient: isTransientGraphError },
        { maxBatchMs: 20 },
      ).pipe(toArray()),
    );
  const events = (client: string) => firstValueFrom(store.writeEvents$({ client, rows: EVENTS.map(eventRowOfNormalized) }));
  const causes = async (client: string) =>
    (await store.read(client, { text: 'MATCH (a:Event {client: $client})-[p:POTENTIAL_CAUSE]->(b:Event) RETURN a.reason + " -> " + b.reason + " " + p.rule + " d=" + p.distance AS e', params: { client } }))
      .map((r) => r.e as string)
      .sort();

  beforeAll(async () => {
    store = await connectStore();
    for (const c of Object.values(clients)) await store.prepareClient(c);
  });
  afterAll(async () => {
    for (const c of Object.values(clients)) await store.read(c, { text: 'MATCH (n {client: $client}) DETACH DELETE n', params: { client: c } }).catch(() => undefined);
    await store.close();
  });

  it('gives the same causal edges whether the resources came first or last', async () => {
    await topology(clients.first);
    await events(clients.first);
    await events(clients.last);
    // Before the agent's records: the Node and the Pod are unrelated stubs, so no edge joins their events.
    expect(await causes(clients.last)).toEqual([]);
    const effects = await topology(clients.last);
    expect(effects.filter((e) => e.kind === 'topology/batch-written').flatMap((e) => (e.kind === 'topology/batch-written' ? e.clients : [])).reduce((s, c) => s + (c.causalEdgesAdded ?? 0), 0)).toBeGreaterThan(0);
    const first = await causes(clients.first);
    expect(first).toEqual([expect.stringMatching(/^NodeHasDiskPressure -> Evicted node-pressure->eviction d=1(\.0)?$/)]);
    expect(await causes(clients.last)).toEqual(first);
  });

  it("keeps a pod the agent deleted (its tombstone by uid) related to its node for the grace, so its events written after the deletion get the same edge", async () => {
    await topology(clients.deleted);
    // The agent's tombstone for the pod (state-watcher deletePod: null value on the pod's key), before its events reach the graph.
    const key = loadAgentFixtures(clients.deleted).find((r) => r.shape === 'resource' && r.value?.includes(`"name":"${POD}"`))!.key!;
    await firstValueFrom(
      topologyBuilder(
        { records$: from([{ ...fixtureAsRecord({ shape: 'resource-tombstone', topic: 'state.k8s.resource', key, value: null } as never, 99), ack: () => undefined }]) },
        { writeTopology: (b) => store.writeTopology$(b), send: () => of({ topic: 'dlq', partition: 0, offset: 0 }), isTransient: isTransientGraphError },
        { maxBatchMs: 20 },
      ).pipe(toArray()),
    );
    const [pod] = await store.read(clients.deleted, { text: 'MATCH (p:Resource {client: $client, name: $name}) RETURN p.deleted AS deleted, p.deleted_at IS NOT NULL AS tomb, count { (p)-[:RUNS_ON]->() } AS runsOn', params: { client: clients.deleted, name: POD } });
    expect(pod).toEqual({ deleted: true, tomb: true, runsOn: 1 });
    await events(clients.deleted);
    expect(await causes(clients.deleted)).toEqual([expect.stringMatching(/^NodeHasDiskPressure -> Evicted node-pressure->eviction d=1(\.0)?$/)]);
  });
});
