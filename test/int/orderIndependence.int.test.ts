import { encodeNormalizedEvent, encodeNormalizedLog, NormalizedEvent, NormalizedLog } from '../../src/avro/normalizedCodec';
import { formatKey, formatNormalizedKey } from '../../src/domain/keys';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { OutRecord } from '../../src/kafka/record';
import { GraphStore } from '../../src/neo4j/graphStore';
import { connectStore, connection, createTestTopics, deleteTestTopics, log, Running, runGraphBuilder, runTopologyBuilder, TestTopics, uniqueId, waitFor } from '../fixtures/graph/harness';

/**
 * Issue 14 item 7: the graph is a function of the input, not of its arrival order. One small
 * incident — a pod whose claim cannot be provisioned and whose container is OOM-killed (seen only
 * in its status), behind a Service that alerts — fed in three orders to three clients: objects
 * first, objects last, and interleaved one record at a time. The POTENTIAL_CAUSE edges (ends,
 * rule, distance, confidence) must be the same.
 */
const T0 = Date.parse('2026-12-01T09:00:00Z');
const iso = (dt: number) => new Date(T0 + dt).toISOString().replace('.000Z', 'Z');

const OBJECTS: Array<{ kind: string; id: string; object: Record<string, unknown> }> = [
  { kind: 'Node', id: 'worker-1', object: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker-1', uid: 'n-1' }, status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-11-30T00:00:00Z' }] } } },
  { kind: 'Deployment', id: 'shop/api', object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'shop', uid: 'd-1', annotations: { 'deployment.kubernetes.io/revision': '2' } }, spec: { selector: { matchLabels: { app: 'api' } } } } },
  {
    kind: 'ReplicaSet',
    id: 'shop/api-5f6b7',
    object: { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'api-5f6b7', namespace: 'shop', uid: 'rs-2', creationTimestamp: iso(-30_000), labels: { app: 'api', 'pod-template-hash': '5f6b7' }, annotations: { 'deployment.kubernetes.io/revision': '2' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: 'd-1', controller: true }] } },
  },
  {
    kind: 'Pod',
    id: 'shop/api-5f6b7-x2k4p',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'api-5f6b7-x2k4p', namespace: 'shop', uid: 'p-1', labels: { app: 'api', 'pod-template-hash': '5f6b7' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-5f6b7', uid: 'rs-2', controller: true }] },
      spec: { nodeName: 'worker-1', volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'api-data' } }, { name: 'conf', configMap: { name: 'api-config' } }], containers: [{ name: 'api', image: 'shop/api:2.0.0' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: iso(20_000) }],
        containerStatuses: [{ name: 'api', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=api pod=api-5f6b7-x2k4p_shop(p-1)' } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: iso(2_000), finishedAt: iso(20_000) } } }],
      },
    },
  },
  { kind: 'PersistentVolumeClaim', id: 'shop/api-data', object: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'api-data', namespace: 'shop', uid: 'pvc-1', creationTimestamp: iso(-10_000) }, spec: { storageClassName: 'fast' }, status: { phase: 'Pending' } } },
  { kind: 'Service', id: 'shop/api', object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'shop', uid: 's-1' }, spec: { clusterIP: '10.96.12.7', selector: { app: 'api' }, ports: [{ port: 8080 }] } } },
];

function event(id: string, kind: string, name: string, reason: string, dt: number, message: string, type = 'Warning', component = 'kubelet'): NormalizedEvent {
  return {
    event_id: id, timestamp: T0 + dt, reason, message, type, severity: type === 'Warning' ? 'warning' : 'info', event_type_abstract: '', object_kind: kind, object_namespace: 'shop', object_name: name,
    object_uid: null, pod: kind === 'Pod' ? name : null, container: kind === 'Pod' ? 'api' : null, node: 'worker-1', count: 1, reporting_component: component, source_format: 'core/v1',
  };
}

const POD = 'api-5f6b7-x2k4p';
const EVENTS: NormalizedEvent[] = [
  event('e-prov', 'PersistentVolumeClaim', 'api-data', 'ProvisioningFailed', 0, 'failed to provision volume with StorageClass "fast": rpc error: code = ResourceExhausted desc = quota exceeded', 'Warning', 'ebs.csi.aws.com'),
  event('e-mount', 'Pod', POD, 'FailedMount', 5_000, 'Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data conf kube-api-access-x7k2p]: timed out waiting for the condition'),
  event('e-unhealthy', 'Pod', POD, 'Unhealthy', 30_000, 'Readiness probe failed: HTTP probe failed with statuscode: 503'),
  event('e-backoff', 'Pod', POD, 'BackOff', 40_000, `Back-off restarting failed container api in pod ${POD}_shop(p-1)`),
];

const LOGS: NormalizedLog[] = [
  { log_id: 'l-1', timestamp: T0 + 15_000, level: 'error', message: 'java.lang.OutOfMemoryError: Java heap space', pod: POD, namespace: 'shop', container: 'api', node: 'worker-1', stream: 'stderr', template_id: 't-oom', template: 'java.lang.OutOfMemoryError: Java heap space', error_class: 'oom' },
];

const ALERT = {
  status: 'firing',
  labels: { alertname: 'KubeDeploymentReplicasMismatch', service: 'api', namespace: 'shop', severity: 'warning' },
  annotations: { summary: 'Deployment shop/api has not matched the expected number of replicas' },
  startsAt: iso(60_000),
  endsAt: '0001-01-01T00:00:00Z',
  fingerprint: '3f1c2a9b7d6e5f40',
};

type Edge = string;

describe('order independence: the same incident in three orders gives the same causal edges', () => {
  const run = uniqueId('');
  const clients = { first: `${run}first`, last: `${run}last`, mixed: `${run}mixed` };
  let topics: TestTopics;
  let store: GraphStore;
  let sink: KafkaSink;
  let topo: ReturnType<typeof runTopologyBuilder>;
  const builders: Running[] = [];
  const builderOf = (c: string) => builders[Object.values(clients).indexOf(c)];

  const objectRecords = (c: string): OutRecord[] => OBJECTS.map((o) => ({ topic: topics.resources, key: formatKey(c, o.kind, o.id), value: Buffer.from(JSON.stringify(o.object)) }));
  const inputRecords = (c: string): OutRecord[] => [
    ...EVENTS.map((e) => ({ topic: topics.events, key: formatNormalizedKey(c, 'evt', e.event_id), value: encodeNormalizedEvent(e) })),
    ...LOGS.map((l) => ({ topic: topics.logs, key: formatNormalizedKey(c, 'log', l.log_id), value: encodeNormalizedLog(l) })),
    { topic: topics.alerts, key: formatKey(c, 'alert', ALERT.fingerprint), value: Buffer.from(JSON.stringify(ALERT)) },
  ];
  // State evidence: OOMKilled, Restarted, CrashLoopBackOff, PodNotReady (pod), ClaimPending (PVC), ReplicaSetUpdated (deployment).
  const EVENTS_TOTAL = EVENTS.length + 1 /* log */ + 1 /* alert */ + 6;

  const edges = async (c: string): Promise<Edge[]> =>
    (
      await store.read(c, {
        text: 'MATCH (a:Event {client: $client})-[p:POTENTIAL_CAUSE]->(b:Event) RETURN a.reason + " " + a.eid + " -> " + b.reason + " " + b.eid + " " + p.rule + " d=" + p.distance + " c=" + p.confidence AS e',
        params: { client: c },
      })
    )
      .map((r) => r.e as string)
      .sort();
  const settled = (c: string, causes?: number) => waitFor(`graph of ${c}`, () => store.counts(c), (n) => n.events === EVENTS_TOTAL && (causes === undefined || n.causes === causes), 30_000);
  /** Sends one record and waits until the builder that reads it acked it (a graph builder acks foreign records too: count its own). */
  const sendAndWait = async (c: string, r: OutRecord) => {
    const source = r.topic === topics.resources ? topo.source : builderOf(c).source;
    const acked = source.stats().acked;
    await sink.send(r);
    await waitFor('record acked', async () => source.stats().acked, (n) => n > acked, 30_000);
  };

  beforeAll(async () => {
    topics = await createTestTopics(run);
    store = await connectStore();
    sink = await KafkaSink.connect({ connection }, log);
    for (const c of Object.values(clients)) await store.prepareClient(c);
    topo = runTopologyBuilder(store, sink, topics, `topology-${run}`);
    for (const c of Object.values(clients)) builders.push(runGraphBuilder(store, sink, topics, c, `graph-builder-${c}`));
  });

  afterAll(async () => {
    for (const b of builders) await b.stop().catch(() => undefined);
    await topo?.stop();
    for (const c of Object.values(clients ?? {})) await store?.read(c, { text: 'MATCH (n {client: $client}) DETACH DELETE n', params: { client: c } }).catch(() => undefined);
    await sink?.close();
    await store?.close();
    await deleteTestTopics(topics);
  });

  it('objects first, objects last and interleaved give one edge set', async () => {
    // Objects first: the topology (and the state evidence it produces) before anything else.
    for (const r of objectRecords(clients.first)) await sink.send(r);
    await waitFor('topology first', () => store.counts(clients.first), (n) => n.resources === 7 && n.topology === 6 && n.events === 6);
    for (const r of inputRecords(clients.first)) await sink.send(r);
    await settled(clients.first);
    // Let the last batch's edges land, then take the reference set.
    await new Promise((r) => setTimeout(r, 1500));
    const reference = await edges(clients.first);
    log.info({ reference }, 'order independence: the objects-first edges');

    // Objects last.
    for (const r of inputRecords(clients.last)) await sink.send(r);
    await waitFor('events last', () => store.counts(clients.last), (n) => n.events === EVENTS.length + 2);
    for (const r of objectRecords(clients.last)) await sink.send(r);
    await settled(clients.last, reference.length).catch(() => undefined);

    // Interleaved, one record at a time, each processed before the next.
    const objs = objectRecords(clients.mixed);
    const ins = inputRecords(clients.mixed);
    const mixed: OutRecord[] = [];
    for (let i = 0; i < Math.max(objs.length, ins.length); i++) {
      if (ins[i]) mixed.push(ins[i]);
      if (objs[objs.length - 1 - i]) mixed.push(objs[objs.length - 1 - i]);
    }
    for (const r of mixed) await sendAndWait(clients.mixed, r);
    await settled(clients.mixed, reference.length).catch(() => undefined);
    log.info({ first: await store.counts(clients.first), last: await store.counts(clients.last), mixed: await store.counts(clients.mixed) }, 'order independence: counts');

    const diff = (x: Edge[], y: Edge[]) => ({ missing: x.filter((e) => !y.includes(e)), extra: y.filter((e) => !x.includes(e)) });
    log.info({ last: diff(reference, await edges(clients.last)), mixed: diff(reference, await edges(clients.mixed)) }, 'order independence: differences from objects-first');
    // Not a trivial set: the state evidence, the claim and the service are all linked.
    expect(reference).toEqual(expect.arrayContaining([
      expect.stringMatching(/^ProvisioningFailed evt:e-prov -> FailedMount evt:e-mount volume->failed-mount d=1(\.0)? /),
      expect.stringMatching(/^OOMKilled state:\w+ -> BackOff evt:e-backoff oom->backoff d=0(\.0)? /),
      expect.stringMatching(/^Unhealthy evt:e-unhealthy -> KubeDeploymentReplicasMismatch alert:\S+ unhealthy->alert d=1(\.0)? /),
      expect.stringMatching(/^ReplicaSetUpdated state:\w+ -> OOMKilled state:\w+ rollout->oom d=2(\.0)? /),
    ]));
    expect(await edges(clients.mixed)).toEqual(reference);
    // Objects last: the graph builder's batch and the topology builder's link that relates it to the
    // alert serialize on the client's topology clock, so neither misses the other's writes.
    expect(await edges(clients.last)).toEqual(reference);
  });
});
