import { encodeNormalizedLog } from '../../src/avro/normalizedCodec';
import { formatKey, formatNormalizedKey } from '../../src/domain/keys';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { GraphStore } from '../../src/neo4j/graphStore';
import { normalizeLog } from '../../src/normalize/normalizeLog';
import { TemplateMiner } from '../../src/normalize/templateMiner';
import { answerAlert } from '../../src/rca/answer';
import { connectStore, connection, createTestTopics, deleteTestTopics, log, runGraphBuilder, runTopologyBuilder, TestTopics, uniqueId, waitFor } from '../fixtures/graph/harness';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const S = 1000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A dependency failure across namespaces on the real Kafka and Neo4j: shop/checkout's pod cannot
 * reach the Service db in namespace other-ns, whose only pod db-0 was OOMKilled (object state:
 * lastState.terminated, then CrashLoopBackOff). The caller logs the refusals, its error-rate alert
 * fires. Nothing publishes a CALLS edge: it is inferred from the log lines, whether the Service
 * arrives before the logs or after them, and the answer names db-0's OOMKilled first, its path
 * going through the called Service.
 */
const OBJECTS: Array<{ kind: string; id: string; object: Record<string, unknown> }> = [
  { kind: 'Node', id: 'n1', object: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u-n1' } } },
  { kind: 'StatefulSet', id: 'other-ns/db', object: { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'other-ns', uid: 'u-sts' }, spec: { selector: { matchLabels: { app: 'db' } } } } },
  {
    kind: 'Pod',
    id: 'other-ns/db-0',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'db-0', namespace: 'other-ns', uid: 'u-db0', labels: { app: 'db', 'statefulset.kubernetes.io/pod-name': 'db-0' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'u-sts', controller: true }] },
      spec: { nodeName: 'n1', containers: [{ name: 'postgres', image: 'postgres:16.4', resources: { limits: { memory: '512Mi' } } }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: iso(T0) }],
        containerStatuses: [
          {
            name: 'postgres',
            ready: false,
            restartCount: 1,
            image: 'postgres:16.4',
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=postgres pod=db-0_other-ns(u-db0)' } },
            lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: iso(T0 - 60 * S), finishedAt: iso(T0) } },
          },
        ],
      },
    },
  },
  { kind: 'Service', id: 'other-ns/db', object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'other-ns', uid: 'u-svc-db' }, spec: { clusterIP: '10.96.40.12', clusterIPs: ['10.96.40.12'], selector: { app: 'db' }, ports: [{ port: 5432 }] } } },
  {
    kind: 'Pod',
    id: 'shop/checkout-7d9-abc',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'checkout-7d9-abc', namespace: 'shop', uid: 'u-co', labels: { app: 'checkout' } },
      spec: { nodeName: 'n1', containers: [{ name: 'checkout', image: 'checkout:1.8.3' }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'checkout', ready: true, restartCount: 0, image: 'checkout:1.8.3', state: { running: { startedAt: iso(T0 - 3_600 * S) } } }] },
    },
  },
  { kind: 'Service', id: 'shop/checkout', object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'checkout', namespace: 'shop', uid: 'u-svc-co' }, spec: { clusterIP: '10.96.8.8', selector: { app: 'checkout' }, ports: [{ port: 8080 }] } } },
];

/** The caller's refusals, as Vector ships them: psycopg2 naming `db.other-ns`, or Node naming the ClusterIP. */
function callerLines(form: 'name' | 'ip'): string[] {
  const out: string[] = [];
  for (let t = T0 + 5 * S; t < T0 + 4 * 60 * S; t += 20 * S) {
    const message =
      form === 'name'
        ? `ERROR:app.db:could not connect: connection to server at "db.other-ns" (10.96.40.12), port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?`
        : JSON.stringify({ level: 50, time: t, pid: 1, hostname: 'checkout-7d9-abc', msg: 'upstream request failed', err: { type: 'Error', message: 'connect ECONNREFUSED 10.96.40.12:5432', code: 'ECONNREFUSED', address: '10.96.40.12', port: 5432 } });
    out.push(JSON.stringify({ message, timestamp: iso(t), stream: 'stderr', source_type: 'kubernetes_logs', kubernetes: { pod_name: 'checkout-7d9-abc', pod_namespace: 'shop', container_name: 'checkout', pod_node_name: 'n1', pod_uid: 'u-co' } }));
  }
  return out;
}

const ALERT = (fp: string) => ({
  status: 'firing',
  labels: { alertname: 'HighErrorRate', job: 'checkout', namespace: 'shop', service: 'checkout', severity: 'critical' },
  annotations: { summary: 'checkout is failing more than 5% of its requests' },
  startsAt: iso(T0 + 5 * 60 * S),
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus/graph',
  fingerprint: fp,
});

describe('CALLS inferred from logs: a caller symptom explained by the callee pod (real stack)', () => {
  const clients: string[] = [];
  const allTopics: TestTopics[] = [];
  let store: GraphStore;
  let sink: KafkaSink;

  beforeAll(async () => {
    store = await connectStore();
    sink = await KafkaSink.connect({ connection }, log);
  });

  afterAll(async () => {
    // A write transaction (store.read runs read transactions, where a DELETE fails): this test's clients only.
    for (const c of clients) await store.writeRca(c, [{ text: 'MATCH (n {client: $client}) DETACH DELETE n', params: { client: c } }]).catch(() => undefined);
    await store?.close();
    await sink?.close();
    for (const t of allTopics) await deleteTestTopics(t);
  });

  /** Feeds the objects (first or last), the caller's logs and the alert; returns the client. */
  async function feed(form: 'name' | 'ip', objectsFirst: boolean, fp: string): Promise<string> {
    const client = uniqueId('calls');
    clients.push(client);
    const topics = await createTestTopics(client);
    allTopics.push(topics);
    await store.prepareClient(client);
    const miner = new TemplateMiner();
    const lines = callerLines(form).map((text, i) => {
      const r = normalizeLog(text, { fallbackTimestamp: T0 + 3_600 * S, keyId: `l-${i}`, miner });
      if (!r.ok) throw new Error(r.reason);
      return r.value;
    });
    const objects = async () => {
      for (const o of OBJECTS) await sink.send({ topic: topics.resources, key: formatKey(client, o.kind, o.id), value: Buffer.from(JSON.stringify(o.object)) });
      const topo = runTopologyBuilder(store, sink, topics, `topology-${client}`);
      await waitFor('topology', () => store.counts(client), (n) => n.resources >= 6);
      await waitFor('topology acked', async () => topo.source.stats(), (s) => s.acked === OBJECTS.length && s.inFlight === 0);
      await topo.stop();
    };
    if (objectsFirst) await objects();
    const builder = runGraphBuilder(store, sink, topics, client, `graph-builder-${client}`);
    for (const l of lines) await sink.send({ topic: topics.logs, key: formatNormalizedKey(client, 'log', l.log_id), value: encodeNormalizedLog(l) });
    await sink.send({ topic: topics.alerts, key: formatKey(client, 'alert', fp), value: Buffer.from(JSON.stringify(ALERT(fp))) });
    await waitFor('logs and alert', async () => builder.source.stats(), (s) => s.acked >= lines.length + 1 && s.inFlight === 0);
    if (!objectsFirst) {
      await objects();
    }
    // The evidence the topology builder derived from db-0's state (OOMKilled, CrashLoopBackOff) reaches the graph builder.
    await waitFor('state evidence', () => store.read(client, { text: "MATCH (e:Event {client: $client, rid: 'Pod/other-ns/db-0'}) RETURN collect(e.reason) AS r", params: { client } }), (r) => (r[0].r as string[]).includes('OOMKilled'));
    await waitFor('all acked', async () => builder.source.stats(), (s) => s.inFlight === 0);
    await builder.stop();
    return client;
  }

  async function callsOf(client: string) {
    return store.read(client, {
      text: "MATCH (a:Resource {client: $client})-[c:CALLS]->(s:Resource) RETURN a.rid AS caller, s.rid AS callee, c.origin AS origin, c.inferred AS inferred, c.rule AS rule, c.confidence AS confidence, c.peer AS peer, c.evidence AS evidence, c.template AS template, c.firstSeen AS firstSeen, c.lastSeen AS lastSeen, c.lines AS lines ORDER BY caller, callee",
      params: { client },
    });
  }

  async function expectOomFirst(client: string, fp: string): Promise<void> {
    const a = await answerAlert(store, client, fp);
    const top = a.causes[0];
    expect([top.reason, top.resource]).toEqual(['OOMKilled', 'Pod/other-ns/db-0']);
    // The path: db-0's OOMKilled → (the pod calls db, which selects db-0) → the caller's refusal → the alert.
    const steps = top.path.map((p) => [p.resource, p.rule]);
    // Either read-time (`dependency:`, over CALLS → SELECTS) or written by the graph once the CALLS
    // edge related the two pods (the state evidence arrived after it: a stored edge at distance 2).
    expect(steps[0]).toEqual(['Pod/other-ns/db-0', expect.stringMatching(/^(dependency:)?oom->log-conn$/)]);
    if (top.path[0].rule === 'oom->log-conn') {
      const [stored] = await store.read(client, { text: 'MATCH (c:Event {client: $client, eid: $c})-[p:POTENTIAL_CAUSE]->(e:Event {client: $client, eid: $e}) RETURN p.distance AS d', params: { client, c: top.path[0].eid, e: top.path[1].eid } });
      expect(stored).toEqual({ d: 2 });
    }
    expect(steps.slice(-2).map((s) => s[0])).toEqual(['Pod/shop/checkout-7d9-abc', 'Service/shop/checkout']);
    expect(top.path[0].confidence).toBeGreaterThan(0);
    const symptom = a.causes.findIndex((c) => c.resource === 'Pod/shop/checkout-7d9-abc');
    expect(symptom === -1 || symptom > 0).toBe(true);
  }

  it('Service first, the caller names it `db.other-ns` (psycopg2): CALLS with the log as evidence, OOMKilled ranked first', async () => {
    const fp = 'ca11ed0000000001';
    const client = await feed('name', true, fp);
    const calls = await callsOf(client);
    expect(calls).toEqual([
      {
        caller: 'Pod/shop/checkout-7d9-abc',
        callee: 'Service/other-ns/db',
        origin: 'inferred',
        inferred: true,
        rule: 'log-peer:name.ns',
        confidence: 0.8,
        peer: 'db.other-ns:5432',
        evidence: expect.stringMatching(/^log:t-[0-9a-f]+:Pod\/shop\/checkout-7d9-abc:\d+$/),
        template: expect.stringContaining('Connection refused'),
        firstSeen: T0 + 5 * S,
        lastSeen: T0 + 5 * S + 11 * 20 * S,
        lines: 12,
      },
    ]);
    // The evidence is a stored log Event of the caller.
    const [ev] = await store.read(client, { text: 'MATCH (e:Event {client: $client, eid: $eid}) RETURN e.reason AS reason, e.rid AS rid', params: { client, eid: calls[0].evidence } });
    expect(ev).toEqual({ reason: 'connection_refused', rid: 'Pod/shop/checkout-7d9-abc' });
    await expectOomFirst(client, fp);
  }, 180_000);

  it('logs first, the Service (and its ClusterIP) arrives after them: the same CALLS edge, the same answer', async () => {
    const fp = 'ca11ed0000000002';
    const client = await feed('ip', false, fp);
    const calls = await callsOf(client);
    expect(calls.map((c) => [c.caller, c.callee, c.rule, c.confidence, c.peer, c.lines])).toEqual([['Pod/shop/checkout-7d9-abc', 'Service/other-ns/db', 'log-peer:cluster-ip', 0.9, '10.96.40.12:5432', 12]]);
    // The naming is kept until the Service is known under that key.
    const [peer] = await store.read(client, { text: "MATCH (:Resource {client: $client, rid: 'Pod/shop/checkout-7d9-abc'})-[n:NAMES_PEER]->(k:Peer)-[:RESOLVES_TO]->(s) RETURN k.key AS key, s.rid AS rid, n.count AS count", params: { client } });
    expect(peer).toEqual({ key: 'ip:10.96.40.12', rid: 'Service/other-ns/db', count: 12 });
    await expectOomFirst(client, fp);
  }, 180_000);
});
