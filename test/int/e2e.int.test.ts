import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import neo4j, { Driver } from 'neo4j-driver';

/**
 * End to end on the real stack with the process spawner: two simulated clients register through
 * Kafka → the control plane runs 3 workers each → events, logs and alerts are normalized and land
 * in each client's graph with the scenario's causal edge → the graphs are disjoint → one client
 * goes silent → its workers are removed, the other's are untouched.
 */
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');
const run = Date.now().toString(36);
const A = `e2e${run}a`;
const B = `e2e${run}b`;
const tmp = mkdtempSync(join(tmpdir(), 'kgroot-e2e-'));
const port = 20000 + Math.floor(Math.random() * 20000);

interface ClientsView {
  clients: Array<{ client: string; state: string; workers: Array<{ name: string; role: string; state: string; id: string }> }>;
}

const children: ChildProcess[] = [];
function start(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

async function clients(): Promise<ClientsView | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/clients`);
    return (await res.json()) as ClientsView;
  } catch {
    return undefined;
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function stopped(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));
}

describe('end to end: simulated clients → workers → graphs → silence → removal', () => {
  let driver: Driver;
  let controlPlane: ChildProcess;
  let simA: ChildProcess;
  let simB: ChildProcess;

  beforeAll(() => {
    driver = neo4j.driver(process.env.NEO4J_URI ?? 'bolt://127.0.0.1:7687');
  });

  afterAll(async () => {
    for (const c of children.reverse()) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map(stopped));
    await driver.close();
  });

  it('runs two isolated clients through the whole server', async () => {
    start(['topology-builder'], { METRICS_PORT: '-1' });
    controlPlane = start(['control-plane'], {
      SPAWNER: 'process',
      CONTROL_PLANE_PORT: String(port),
      CONTROL_PLANE_GROUP_SUFFIX: `-${run}`,
      CONTROL_PLANE_STATE_DIR: join(tmp, 'cp'),
      CLIENT_ALLOWLIST: `${A},${B}`,
      HEARTBEAT_CHECK_INTERVAL_SECONDS: '1',
      STALE_CLIENT_THRESHOLD_SECONDS: '8',
      QUARANTINE_SECONDS: '0',
      METRICS_PORT: '-1',
      // Workers of this test find each other's output quickly.
      GRAPH_BATCH_MS: '100',
    });
    const sim = (client: string, scenario: string) =>
      start(['simulate', '--client', client, '--scenario', scenario, '--rate', '10', '--heartbeat-seconds', '1', '--ground-truth', join(tmp, `${client}.json`)], {});
    simA = sim(A, 'oom-kill');
    simB = sim(B, 'image-pull');

    // 1. Both clients registered through Kafka and have exactly their three workers running.
    const view = await waitFor(
      'both clients live with 3 running workers',
      async () => {
        const v = await clients();
        const ok = [A, B].every((c) => {
          const x = v?.clients.find((y) => y.client === c);
          return x && x.state === 'live' && x.workers.length === 3 && x.workers.every((w) => w.state === 'running');
        });
        return ok ? v : undefined;
      },
      120_000,
    );
    const workersA = view.clients.find((c) => c.client === A)!.workers;
    const workersB = view.clients.find((c) => c.client === B)!.workers;
    expect(workersA.map((w) => w.role).sort()).toEqual(['event-normalizer', 'graph-builder', 'log-normalizer']);
    expect(workersA.map((w) => w.name).sort()).toEqual([`kg-event-normalizer-${A}`, `kg-graph-builder-${A}`, `kg-log-normalizer-${A}`]);

    // 2. Each graph holds its scenario's causal edge (normalized events + topology + graph builder).
    // The edge from the scenario's root-cause event to the BackOff (its cause's message told apart:
    // the image-pull scenario has two Failed events). Batches in flight write an edge to an earlier
    // batch's events after that one commits, so the probe waits for this edge, not for any edge.
    const edge = async (client: string, cause: string, effect: string, causeMessage: string) => {
      const r = await driver.executeQuery(
        `MATCH (c:Event {client: $client})-[p:POTENTIAL_CAUSE]->(e:Event {client: $client})
         WHERE c.reason = $cause AND c.message STARTS WITH $causeMessage AND e.reason = $effect
         RETURN p.confidence AS conf, p.rule AS rule ORDER BY p.confidence DESC LIMIT 1`,
        { client, cause, effect, causeMessage },
      );
      const row = r.records[0];
      return row ? { conf: row.get('conf') as number, rule: row.get('rule') as string } : undefined;
    };
    const truthA = JSON.parse(readFileSync(join(tmp, `${A}.json`), 'utf8'));
    expect(truthA.root_cause.reason).toBe('OOMKilled');
    const confA = await waitFor('OOMKilled → BackOff in A', () => edge(A, 'OOMKilled', 'BackOff', ''), 120_000);
    const confB = await waitFor('Failed (pull error) → BackOff in B', () => edge(B, 'Failed', 'BackOff', 'Failed to pull image'), 120_000);
    expect(confA).toEqual({ conf: expect.any(Number), rule: 'oom->backoff' });
    expect(confB).toEqual({ conf: expect.any(Number), rule: 'image-pull->backoff' });
    expect(confA.conf).toBeGreaterThan(0.5);
    expect(confB.conf).toBeGreaterThan(0.5);
    // The OOM is the top-ranked cause of the BackOff in A.
    const top = await driver.executeQuery(
      `MATCH (c:Event {client: $client})-[p:POTENTIAL_CAUSE]->(e:Event {client: $client, reason: 'BackOff'})
       RETURN c.reason AS reason ORDER BY p.confidence DESC LIMIT 1`,
      { client: A },
    );
    expect(top.records[0].get('reason')).toBe('OOMKilled');
    // Topology arrived through the topology builder: the OOMKilled pod runs on a node.
    const runsOn = await waitFor(
      'the root-cause pod RUNS_ON its node in A',
      async () => {
        const r = await driver.executeQuery(
          `MATCH (:Resource:Pod {client: $client, name: $pod})-[:RUNS_ON]->(n:Resource:Node {client: $client}) RETURN n.name AS node`,
          { client: A, pod: truthA.root_cause.name },
        );
        return r.records[0]?.get('node') as string | undefined;
      },
      60_000,
    );
    expect(runsOn).toMatch(/^node-/);

    // The ranking of the alert's causes (kgroot rca, the alert named by its fingerprint) puts the ground-truth root cause first.
    const fingerprint = (truthA.injected as Array<{ type: string; key: string }>).find((i) => i.type === 'alert')!.key.split('::').pop()!;
    const ranked = await waitFor(
      "A's alert explained",
      async () => {
        const out = await new Promise<string>((resolve) => {
          const c = spawn(process.execPath, [CLI, 'rca', '--client', A, '--alert', fingerprint, '--json'], { stdio: ['ignore', 'pipe', 'ignore'] });
          let text = '';
          c.stdout.on('data', (d: Buffer) => (text += d.toString()));
          c.on('exit', (code) => resolve(code === 0 ? text : ''));
        });
        if (!out) return undefined;
        const j = JSON.parse(out) as { alert: { eid: string; fingerprint: string }; causes: Array<{ reason: string; resource: string }> };
        return j.alert.fingerprint === fingerprint && j.causes.length > 0 ? j : undefined;
      },
      60_000,
    );
    expect(ranked.causes[0].reason).toBe(truthA.root_cause.reason);
    expect(ranked.causes[0].resource).toContain(truthA.root_cause.name);

    // 3. The two graphs are disjoint: no relationship joins A's nodes to anything not A's, and vice versa.
    const crossing = await driver.executeQuery(
      `MATCH (x)-[r]-(y) WHERE x.client IN [$a, $b] AND (y.client <> x.client OR r.client <> x.client) RETURN count(r) AS n`,
      { a: A, b: B },
    );
    expect(crossing.records[0].get('n').toNumber()).toBe(0);
    const counts = await driver.executeQuery(`MATCH (e:Event) WHERE e.client IN [$a, $b] RETURN e.client AS c, count(e) AS n`, { a: A, b: B });
    expect(counts.records.map((r) => r.get('c')).sort()).toEqual([A, B].sort());

    // 4. A goes silent (SIGTERM stops its heartbeats): its three workers are removed, B's are untouched.
    simA.kill('SIGTERM');
    await stopped(simA);
    await waitFor(
      "A's workers removed",
      async () => {
        const v = await clients();
        const a = v?.clients.find((c) => c.client === A);
        return v !== undefined && (a === undefined || (a.state !== 'live' && a.workers.length === 0));
      },
      60_000,
    );
    const after = (await clients())!;
    const b = after.clients.find((c) => c.client === B)!;
    expect(b.state).toBe('live');
    expect(b.workers.map((w) => w.id).sort()).toEqual(workersB.map((w) => w.id).sort());
    // And no process of A's workers is left on the machine.
    // The process spawner's worker id is the pid.
    for (const w of workersA) {
      expect(Number(w.id)).toBeGreaterThan(0);
      expect(() => process.kill(Number(w.id), 0)).toThrow();
    }

    simB.kill('SIGTERM');
    controlPlane.kill('SIGTERM');
    expect(await stopped(controlPlane)).toBe(0);
    for (const w of workersB) expect(() => process.kill(Number(w.id), 0)).toThrow();
  });
});
