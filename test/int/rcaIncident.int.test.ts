import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeNormalizedEvent, NormalizedEvent } from '../../src/avro/normalizedCodec';
import { formatKey, formatNormalizedKey } from '../../src/domain/keys';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { GraphStore } from '../../src/neo4j/graphStore';
import { answerAlert, listIncidents } from '../../src/rca/answer';
import { patternsRead } from '../../src/rca/patternStore';
import { RcaAnswer } from '../../src/rca/rank';
import { OBJECTS, T0 } from '../fixtures/graph/incident';
import { connectStore, connection, createTestTopics, deleteTestTopics, log, runGraphBuilder, runTopologyBuilder, TestTopics, uniqueId, waitFor } from '../fixtures/graph/harness';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');
const run = promisify(execFile);
const MIN = 60_000;

/**
 * A late alert explained end to end on the real Kafka and Neo4j: the scripted cluster (Deployment
 * shop/web → ReplicaSet → Pod web-7d9-abc on Node n1, Service shop/web), an OOM kill reported the way
 * Kubernetes reports it (node-problem-detector's OOMKilling on the Node; no Pod event), the pod's
 * BackOff and readiness failures, a distractor on another pod, and KubePodCrashLooping firing 16
 * minutes after the kill (kubernetes-mixin's `for: 15m`) with kube-state-metrics' labels — through
 * the topology builder and the graph builder. `rca --alert FP --json` names the OOM kill at rank 1
 * with its path and fault type; `rca confirm` stores a pattern that changes a later answer's fault
 * type; unknown alerts and clients exit non-zero; `incidents` lists the alert with its top cause.
 */
describe('rca on the real stack: a late alert, its root cause, confirm', () => {
  const client = uniqueId('rca');
  const fp = 'c0ffee0000000001';
  const startsAt = T0 + 16 * MIN;
  let topics: TestTopics;
  let store: GraphStore;
  let sink: KafkaSink;
  const env = { ...process.env, GRAPH_ISOLATION: process.env.GRAPH_ISOLATION ?? 'auto', LOG_LEVEL: 'warn' };
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { env }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

  const event = (id: string, reason: string, dt: number, type: 'Normal' | 'Warning', message: string, on: { kind: string; ns: string; name: string }, reporter = 'kubelet'): NormalizedEvent => ({
    event_id: id, timestamp: T0 + dt, reason, message, type, severity: type === 'Warning' ? 'warning' : 'info', event_type_abstract: reason.toLowerCase(),
    object_kind: on.kind, object_namespace: on.ns, object_name: on.name, object_uid: null, pod: on.kind === 'Pod' ? on.name : null, container: on.kind === 'Pod' ? 'web' : null,
    node: 'n1', count: 1, reporting_component: reporter, source_format: 'core/v1',
  });
  const pod = { kind: 'Pod', ns: 'shop', name: 'web-7d9-abc' };
  const EVENTS: NormalizedEvent[] = [
    event('oomk-1', 'OOMKilling', 0, 'Warning', 'Killed process 4242 (web) total-vm:1048576kB, anon-rss:524288kB, file-rss:0kB, shmem-rss:0kB', { kind: 'Node', ns: '', name: 'n1' }, 'kernel-monitor'),
    event('backoff-1', 'BackOff', 40_000, 'Warning', 'Back-off restarting failed container web in pod web-7d9-abc_shop(u-pod)', pod),
    event('unhealthy-1', 'Unhealthy', 14 * MIN, 'Warning', 'Readiness probe failed: Get "http://10.1.0.7:8080/ready": dial tcp 10.1.0.7:8080: connect: connection refused', pod),
    // A distractor: a warning on the same node, another pod, no rule to the alert.
    event('other-1', 'FailedSync', 6 * MIN, 'Warning', 'error determining status: rpc error', { kind: 'Pod', ns: 'shop', name: 'cart-5c4-xyz' }),
  ];
  const ALERT = {
    status: 'firing',
    labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'web-7d9-abc', container: 'web', service: 'kube-state-metrics', job: 'kube-state-metrics', severity: 'warning' },
    annotations: { description: 'Pod shop/web-7d9-abc (web) is in waiting state (reason: "CrashLoopBackOff").', summary: 'Pod is crash looping.' },
    startsAt: new Date(startsAt).toISOString(),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus/graph',
    fingerprint: fp,
  };

  beforeAll(async () => {
    topics = await createTestTopics(client);
    store = await connectStore();
    sink = await KafkaSink.connect({ connection }, log);
    await store.prepareClient(client);
    for (const o of OBJECTS) await sink.send({ topic: topics.resources, key: formatKey(client, o.kind, o.id), value: Buffer.from(JSON.stringify(o.object)) });
    const topo = runTopologyBuilder(store, sink, topics, `topology-${client}`);
    await waitFor('topology', () => store.counts(client), (n) => n.resources === 5 && n.topology === 4);
    await topo.stop();
    const builder = runGraphBuilder(store, sink, topics, client, `graph-builder-${client}`);
    for (const e of EVENTS) await sink.send({ topic: topics.events, key: formatNormalizedKey(client, 'evt', e.event_id), value: encodeNormalizedEvent(e) });
    await sink.send({ topic: topics.alerts, key: formatKey(client, 'alert', fp), value: Buffer.from(JSON.stringify(ALERT)) });
    await waitFor('graph', () => store.counts(client), (n) => n.events === 5);
    await waitFor('acked', async () => builder.source.stats(), (s) => s.acked === 5 && s.inFlight === 0);
    await builder.stop();
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await sink?.close();
    await deleteTestTopics(topics);
  });

  it('the write path links the alert to the OOM kill 16 minutes before it (the lookback), and rca --alert names it at rank 1 with its path and fault type', async () => {
    const edges = await store.read(client, {
      text: 'MATCH (c:Event {client: $client})-[p:POTENTIAL_CAUSE]->(e:Event {client: $client}) WHERE e.source = $s RETURN c.eid AS cause, p.rule AS rule, p.lag_ms AS lag ORDER BY cause',
      params: { client, s: 'alert' },
    });
    expect(edges.map((e) => [e.cause, e.rule])).toEqual([['evt:backoff-1', 'backoff->alert'], ['evt:oomk-1', 'oom->alert'], ['evt:unhealthy-1', 'unhealthy->alert']]);
    expect(edges.find((e) => e.cause === 'evt:oomk-1')!.lag).toBe(16 * MIN);

    const { code, stdout } = await cli('rca', '--client', client, '--alert', fp, '--json');
    expect(code).toBe(0);
    const a = JSON.parse(stdout) as RcaAnswer;
    expect(a.alert).toEqual({ fingerprint: fp, eid: `alert:${fp}:${startsAt}`, alertname: 'KubePodCrashLooping', status: 'firing', startsAt: ALERT.startsAt });
    expect(a.faultType).toBe('oom');
    expect(a.causes[0]).toMatchObject({ rank: 1, eid: 'evt:oomk-1', reason: 'OOMKilling', category: 'oom', resource: 'Node//n1', at: new Date(T0).toISOString() });
    const last = a.causes[0].path[a.causes[0].path.length - 1];
    expect(last).toMatchObject({ eid: a.alert.eid, rule: null, confidence: null });
    expect(a.causes[0].path[0].rule).toMatch(/^oom->/);
    expect(a.causes.map((c) => c.eid)).not.toContain('evt:other-1');
    for (const c of a.causes) expect(String(c.score)).toMatch(/^(0|1)(\.\d{1,3})?$/);

    // The text form prints scores with three decimals.
    const text = await cli('rca', '--client', client, '--alert', fp);
    expect(text.stdout).toMatch(/ 1\. 0\.\d{3} {2}OOMKilling/);
  }, 60_000);

  it('unknown alert, event or client exits non-zero with a message', async () => {
    const noAlert = await cli('rca', '--client', client, '--alert', 'ffffffffffffffff');
    expect(noAlert.code).toBe(3);
    expect(noAlert.stderr).toContain('no alert with fingerprint "ffffffffffffffff"');
    const noEvent = await cli('rca', '--client', client, '--eid', 'evt:nope');
    expect(noEvent.code).toBe(3);
    expect(noEvent.stderr).toContain('no event "evt:nope"');
    const noClient = await cli('rca', '--client', `${client}zz`, '--alert', fp);
    expect(noClient.code).toBe(3);
    expect(noClient.stderr).toContain(`unknown client "${client}zz"`);
    const noCause = await cli('rca', 'confirm', '--client', client, '--alert', fp, '--cause', 'evt:other-1');
    expect(noCause.code).toBe(3);
    expect(noCause.stderr).toContain('has no causal path');
    expect((await cli('incidents', '--client', `${client}zz`)).code).toBe(3);
  }, 60_000);

  it('confirm stores the pattern for this client only, and a later answer names its fault type', async () => {
    const { code, stdout } = await cli('rca', 'confirm', '--client', client, '--alert', fp, '--cause', 'evt:oomk-1', '--fault-type', 'node-memory-overcommit', '--json');
    expect(code).toBe(0);
    const stored = JSON.parse(stdout) as { pattern: { id: string; faultType: string; roots: string[] } };
    expect(stored.pattern).toMatchObject({ faultType: 'node-memory-overcommit', roots: ['oom'] });
    const nodes = await store.read(client, { text: 'MATCH (p:FaultPattern {client: $client}) RETURN p.origin AS origin, count(*) AS n ORDER BY origin', params: { client } });
    expect(nodes.map((r) => [r.origin, Number(r.n)])).toEqual([['builtin', 14], ['learned', 1]]);
    // The learned patterns a client's ranking reads are its own: none for a client that confirmed nothing.
    expect((await store.readRca(client, patternsRead(client))).map((r) => r.id)).toEqual([stored.pattern.id]);
    expect(await store.readRca(`${client}x`, patternsRead(`${client}x`))).toEqual([]);

    const later = await answerAlert(store, client, fp);
    expect(later.faultType).toBe('node-memory-overcommit');
    expect(later.causes[0]).toMatchObject({ eid: 'evt:oomk-1', pattern: { id: stored.pattern.id, similarity: 1 } });
    // Without the FEKG the fault type is the category's.
    expect((await answerAlert(store, client, fp, { rank: { fekg: false } })).faultType).toBe('oom');

    const list = await listIncidents(store, client);
    expect(list).toEqual([
      expect.objectContaining({ fingerprint: fp, alertname: 'KubePodCrashLooping', status: 'firing', startsAt: ALERT.startsAt, faultType: 'node-memory-overcommit', top: expect.objectContaining({ eid: 'evt:oomk-1', resource: 'Node//n1' }) }),
    ]);
    const inc = await cli('incidents', '--client', client, '--json');
    expect(inc.code).toBe(0);
    expect((JSON.parse(inc.stdout) as { incidents: unknown[] }).incidents).toHaveLength(1);
  }, 60_000);
});
