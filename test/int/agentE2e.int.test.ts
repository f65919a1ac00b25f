import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Kafka from 'node-rdkafka';
import neo4j, { Driver } from 'neo4j-driver';
import { librdkafkaBase } from '../../src/kafka/kafkaConfig';
import { DLQ_HEADERS } from '../../src/kafka/deadLetter';
import { AgentFixtureRecord, loadAgentFixtures } from '../support/agentFixtures';
import { drainTopic, testConnection } from '../support/kafkaTest';

/**
 * A simulated kg-rca-agent 2.1.2 (unique client id) against the real stack, with the records its
 * producers really write (test/fixtures/agent), each with its producer's compression (gzip:
 * Vector; snappy: the alert receiver; zstd: the state-watcher (node-rdkafka must be built with
 * zstd, as .ci/run does); none: kcat, console producer, event exporter):
 * it registers with the console-producer shape → the control plane runs its three workers → the
 * client's graph holds its resources connected to their topology edges, its events, its error
 * logs, its alerts and a target-down event, and `kgroot rca --client C --json` answers for the
 * alert. What kgroot cannot use lands in the DLQ once, with the reason: the broken kcat
 * registration, and (without DEFAULT_CLIENT_ID) records naming no client — once, although
 * several workers read them.
 */
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');
const run = Date.now().toString(36);
const tmp = mkdtempSync(join(tmpdir(), 'kgroot-agent-'));
const children: ChildProcess[] = [];

function start(args: string[], env: Record<string, string>, onLine?: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: onLine ? 'info' : 'warn', ...env }, stdio: ['ignore', onLine ? 'pipe' : 'ignore', 'inherit'] });
  if (onLine) {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
  }
  child.once('exit', (code, signal) => process.stderr.write(`agentE2e: ${args[0]} exited (code ${code}, signal ${signal})\n`));
  children.push(child);
  return child;
}
const stopped = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

type Codec = 'none' | 'gzip' | 'snappy' | 'zstd';
/** Produces records as one producer with `codec` (compressed batches), keys and values byte for byte. */
async function produce(codec: Codec, records: readonly AgentFixtureRecord[]): Promise<void> {
  const p = new Kafka.Producer({ ...librdkafkaBase(testConnection), 'compression.codec': codec, 'linger.ms': 20, dr_cb: true } as never);
  await new Promise<void>((res, rej) => p.connect({}, (err) => (err ? rej(err) : res())));
  let pending = records.length;
  const done = new Promise<void>((res, rej) => {
    if (pending === 0) res();
    p.on('delivery-report', (err) => (err ? rej(err) : --pending === 0 && res()));
  });
  p.setPollInterval(20);
  for (const r of records) p.produce(r.topic, null, r.value === null ? null : Buffer.from(r.value), r.key === null ? null : Buffer.from(r.key), Date.now());
  await done;
  await new Promise<void>((res) => p.disconnect(() => res()));
}

const codecOf = (r: AgentFixtureRecord): Codec =>
  /^Vector/.test(r.producer) ? 'gzip' : /^alert-receiver/.test(r.producer) ? 'snappy' : /^state-watcher/.test(r.producer) ? 'zstd' : 'none';
async function publish(records: readonly AgentFixtureRecord[]): Promise<void> {
  for (const codec of ['none', 'gzip', 'snappy', 'zstd'] as const) await produce(codec, records.filter((r) => codecOf(r) === codec));
}
const shapesOf = (fixtures: readonly AgentFixtureRecord[]) => (...s: string[]) => fixtures.filter((r) => s.some((x) => r.shape.startsWith(x)));

describe.each(['shared', 'routed'] as const)('the kg-rca-agent chart feeding kgroot end to end (TENANCY=%s)', (tenancy) => {
  // One client per mode: a routed run must not meet the shared run's records in its graph.
  const C = `agt${run}${tenancy === 'routed' ? 'r' : ''}`;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const shapes = shapesOf(loadAgentFixtures(C));
  let driver: Driver;
  let heartbeats: NodeJS.Timeout | undefined;
  const q = async (text: string, params: Record<string, unknown> = {}) => (await driver.executeQuery(text, { client: C, ...params })).records.map((r) => r.toObject());

  beforeAll(() => {
    driver = neo4j.driver(process.env.NEO4J_URI ?? 'bolt://127.0.0.1:7687');
  });
  afterAll(async () => {
    if (heartbeats) clearInterval(heartbeats);
    for (const c of [...children].reverse()) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map(stopped));
    children.length = 0;
    await driver.executeQuery('MATCH (n {client: $client}) DETACH DELETE n', { client: C }).catch(() => undefined);
    await driver.close();
  });

  it('registers, gets its workers, and builds the incident graph that rca answers for', async () => {
    // The state-watcher's records are zstd batches: consumers (and this producer) need librdkafka with zstd.
    expect(Kafka.features).toEqual(expect.arrayContaining(['gzip', 'snappy', 'lz4', 'zstd']));
    start(['topology-builder'], { METRICS_PORT: '-1', DEFAULT_CLIENT_ID: C, TENANCY: tenancy, TOPOLOGY_BUILDER_GROUP: `topology-${tenancy}-${run}`, UNRESOLVED_RECORDS_GROUP: `unresolved-${tenancy}-${run}`, TOPOLOGY_BATCH_MS: '100' });
    if (tenancy === 'routed') {
      // The router resolves the bare-uid events and key-less logs to DEFAULT_CLIENT_ID and copies the
      // chart's default routes (raw JSON on events.normalized / logs.normalized) to C's own topics.
      let assigned = false;
      start(['router'], { METRICS_PORT: '-1', TENANCY: tenancy, DEFAULT_CLIENT_ID: C, ROUTER_GROUP: `router-${run}`, ROUTER_START: 'latest', ROUTER_UNREGISTERED_GRACE_SECONDS: '3600' }, (l) => {
        if (l.includes('partitions assigned')) assigned = true;
      });
      await waitFor('router assigned its partitions', async () => assigned, 60_000);
    }
    start(['control-plane'], {
      TENANCY: tenancy,
      SPAWNER: 'process',
      CONTROL_PLANE_PORT: String(port),
      CONTROL_PLANE_GROUP_SUFFIX: `-${run}`,
      CONTROL_PLANE_STATE_DIR: join(tmp, 'cp'),
      CLIENT_ALLOWLIST: C,
      // A deployment serving this one cluster: the exporter's bare-uid events and Vector's raw logs are C's.
      DEFAULT_CLIENT_ID: C,
      HEARTBEAT_CHECK_INTERVAL_SECONDS: '1',
      STALE_CLIENT_THRESHOLD_SECONDS: '120',
      QUARANTINE_SECONDS: '0',
      METRICS_PORT: '-1',
      GRAPH_BATCH_MS: '100',
    });
    // Registration as the cluster-registry job sends it, the kcat job's split one and its broken variant, then heartbeats of both kinds.
    await publish(shapes('registry-console', 'registry-kcat'));
    const beat = () => void publish(shapes('heartbeat-')).catch(() => undefined);
    beat();
    heartbeats = setInterval(beat, 3000);

    await waitFor(
      `${C} live with 3 running workers`,
      async () => {
        const v = (await (await fetch(`http://127.0.0.1:${port}/clients`)).json()) as { clients: Array<{ client: string; state: string; workers: Array<{ state: string }> }> };
        const x = v.clients.find((y) => y.client === C);
        return x && x.state === 'live' && x.workers.length === 3 && x.workers.every((w) => w.state === 'running');
      },
      120_000,
    );

    // The incident, in every data shape the chart sends (default routes and the optional raw topics).
    await publish(shapes('resource', 'edge', 'event-exporter', 'log-', 'alert-', 'target-'));

    const edges = await waitFor(
      'the topology of the agent resources',
      async () => {
        const r = await q(`MATCH (a:Resource {client: $client})-[x:RUNS_ON|CONTROLS|SELECTS]->(b:Resource {client: $client}) WHERE a.stub = false AND b.stub = false RETURN a.rid + ' ' + type(x) + ' ' + b.rid AS e ORDER BY e`);
        return r.length >= 7 && r.map((x) => x.e as string);
      },
      120_000,
    );
    expect(edges).toEqual(
      expect.arrayContaining([
        'Pod/shop/api-7d9c8b6f5-x2k4p RUNS_ON Node//kind-worker',
        'ReplicaSet/shop/api-7d9c8b6f5 CONTROLS Pod/shop/api-7d9c8b6f5-x2k4p',
        'Service/shop/api SELECTS Pod/shop/api-7d9c8b6f5-x2k4p',
        'Deployment/shop/api CONTROLS ReplicaSet/shop/api-7d9c8b6f5',
      ]),
    );
    const [pod] = await q(`MATCH (p:Resource:Pod {client: $client, rid: 'Pod/shop/api-7d9c8b6f5-x2k4p'}) RETURN p.uid AS uid, p.status_json AS status`);
    expect(pod).toEqual({ uid: '1dfa2b35-7c4e-4a9b-8e61-2f3d5a7b9c04', status: '{"containerReady":false,"phase":"Running","restartCount":3}' });

    const about = async () =>
      q(`MATCH (e:Event {client: $client})-[:ABOUT]->(:Resource {client: $client, rid: 'Pod/shop/api-7d9c8b6f5-x2k4p'}) RETURN e.eid AS eid, e.source AS source, e.reason AS reason, e.count AS count ORDER BY eid`);
    const events = await waitFor(
      'events, error logs, alerts and the target-down event about the pod',
      async () => {
        const r = await about();
        const reasons = new Set(r.map((x) => x.reason));
        // Both error-log templates: the klog line takes the longer way (raw.k8s.logs → log normalizer).
        const refused = r.filter((x) => x.reason === 'connection_refused').length;
        return ['BackOff', 'connection_refused', 'oom', 'KubePodCrashLooping', 'TargetDown'].every((x) => reasons.has(x)) && refused >= 2 && r;
      },
      120_000,
    );
    // The BackOff re-sent with counts 1..3 (on events.normalized as JSON and on raw.k8s.events) is ONE event, keyed by the Event uid.
    const backoff = events.filter((e) => e.reason === 'BackOff');
    expect(backoff).toEqual([{ eid: 'evt:f3a1c5e7-9b2d-4e6f-8a0c-1b3d5f7a9c24', source: 'k8s', reason: 'BackOff', count: 3 }]);
    // Vector's alert on raw.prom.alerts and on events.normalized is one alert; the Go receiver's reduced alert another.
    expect(events.filter((e) => e.source === 'alert').map((e) => e.eid).sort()).toEqual(['alert:5e0c3a1f9b7d2e48:1796115820112', 'alert:c4e6a8b0-2d4f-4b6a-8c0e-4f6a8c0e2b57:1796115850000']);
    // Error logs per template: pino's ECONNREFUSED and klog's "connection refused" are two templates; the
    // OOM line came on raw.k8s.logs (log normalizer) and logs.normalized (graph builder) and is one event.
    expect(events.filter((e) => e.source === 'log').map((e) => e.reason).sort()).toEqual(['connection_refused', 'connection_refused', 'oom']);

    // rca answers for the (latest) alert, with causes from the incident.
    const rca = await waitFor(
      'rca with causes',
      () =>
        new Promise<{ alert: { eid: string; alertname: string }; causes: Array<{ reason: string }> } | undefined>((resolve) =>
          execFile(process.execPath, [CLI, 'rca', '--client', C, '--json'], { env: process.env }, (err, stdout) => {
            if (err) return resolve(undefined);
            const j = JSON.parse(stdout);
            resolve(j.causes.length > 0 ? j : undefined);
          }),
        ),
      60_000,
    );
    process.stderr.write(`rca for ${C}: ${JSON.stringify(rca.causes.map((c) => c.reason))}\n`);
    expect(rca.alert).toMatchObject({ eid: 'alert:c4e6a8b0-2d4f-4b6a-8c0e-4f6a8c0e2b57:1796115850000', alertname: 'KubePodCrashLooping' });
    expect(rca.causes.map((c) => c.reason)).toEqual(expect.arrayContaining(['BackOff']));

    // The only unusable record of this client: the kcat registration whose pieces do not parse, dead-lettered once.
    // (dlq.raw is shared: control planes of other tests on this broker, built from older code, also read
    // cluster.registry and cluster.heartbeat from the start; their copies carry their own reasons and are left out.)
    const dlq = (await drainTopic('dlq.raw', 4000)).filter((r) => r.value?.toString().includes(`"${C}"`) || r.key?.toString().startsWith(`${C}::`));
    const lifecycle = new Set(['cluster.registry', 'cluster.heartbeat']);
    const kcat = dlq.filter((r) => /^registry: kcat-split registration/.test(String(r.headers[DLQ_HEADERS.error])));
    expect(kcat).toHaveLength(1);
    expect(String(kcat[0].headers[DLQ_HEADERS.error])).toMatch(/^registry: kcat-split registration \(key \{"client_id", the JSON cut at its first ":" by kcat -K:\): key \+ ":" \+ value is not JSON/);
    expect(kcat[0].value!.toString()).toBe(shapes('registry-kcat-broken')[0].value);
    // Nothing else this agent sent was dead-lettered.
    expect(dlq.filter((r) => !lifecycle.has(String(r.headers[DLQ_HEADERS.sourceTopic])))).toEqual([]);
    // dlq.normalized (the graph builder's) is often empty: read its keys with kcat, which ends at the end of the topic.
    const keys = await new Promise<string[]>((resolve, reject) =>
      execFile('kcat', ['-b', testConnection.brokers, '-C', '-t', 'dlq.normalized', '-o', 'beginning', '-e', '-q', '-f', '%k\n'], { maxBuffer: 64 << 20 }, (err, out) => (err ? reject(err) : resolve(out.split('\n')))),
    );
    expect(keys.filter((k) => k.startsWith(`${C}::`) || k.includes(C))).toEqual([]);
  });

});

describe('records naming no client (TENANCY=shared)', () => {
  const C = `agt${run}n`;
  const shapes = shapesOf(loadAgentFixtures(C));
  afterAll(async () => {
    for (const c of [...children].reverse()) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map(stopped));
  });

  it('without DEFAULT_CLIENT_ID, a record naming no client is dead-lettered once, not once per worker', async () => {
    const other = [`${C}x`, `${C}y`];
    const marker = `marker-${run}`;
    start(['topology-builder'], { METRICS_PORT: '-1', TOPOLOGY_BUILDER_GROUP: `topology2-${run}`, UNRESOLVED_RECORDS_GROUP: `unresolved2-${run}`  });
    // Both read from the earliest offset (new groups), so the records may be published at once.
    for (const c of other) start(['log-normalizer'], { METRICS_PORT: '-1', CLIENT_ID: c });
    const [raw] = shapes('log-raw');
    const [ev] = shapes('event-exporter');
    const uid = `0000${run}`.slice(-8) + '-1111-4222-8333-444455556666';
    await publish([
      { ...raw, value: raw.value!.replace('listening on :8080', marker).replace('connect ECONNREFUSED', marker) },
      { ...ev, key: uid, value: ev.value!.split('a8c0e2f4-6b8d-4a1c-9e3f-5b7d9f1a3c46').join(uid) },
    ]);
    // Copies by this test's components only (dlq.raw is shared with other tests' workers on this broker).
    const ours = new Set(['unresolved-records', ...other.map((c) => `log-normalizer-${c}`)]);
    const copies = async () =>
      (await drainTopic('dlq.raw', 3000)).filter((r) => ours.has(String(r.headers[DLQ_HEADERS.component])) && (r.value?.toString().includes(marker) || r.key?.toString() === uid));
    const mine = await waitFor('the two unresolved records in dlq.raw', async () => {
      const d = await copies();
      return d.length >= 2 && d;
    }, 240_000);
    await new Promise((r) => setTimeout(r, 5000));
    const again = await copies();
    expect(again.length).toBe(2);
    expect(mine.map((r) => String(r.headers[DLQ_HEADERS.component])).sort()).toEqual(['unresolved-records', 'unresolved-records']);
    expect(mine.map((r) => String(r.headers[DLQ_HEADERS.error])).sort()).toEqual([
      expect.stringMatching(/^no client: the key "[0-9a-z-]+" on events\.normalized names no client .* and DEFAULT_CLIENT_ID is unset/),
      expect.stringMatching(/^no client: the record on raw\.k8s\.logs has no key, and DEFAULT_CLIENT_ID is unset/),
    ]);
  });
});
