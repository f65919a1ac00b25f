import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import neo4j, { Driver } from 'neo4j-driver';
import { drainTopic } from '../support/kafkaTest';

/**
 * TENANCY=routed end to end with the process spawner: two simulated clients register → the control
 * plane creates each client's own topics, then its 3 workers → the router copies each raw record to
 * its client's topic → each worker reads only its client's records → each graph gets its scenario.
 */
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');
const run = Date.now().toString(36);
const A = `rt${run}a`;
const B = `rt${run}b`;
const tmp = mkdtempSync(join(tmpdir(), 'kgroot-routed-'));
const port = 20000 + Math.floor(Math.random() * 20000);
const children: ChildProcess[] = [];

function start(args: string[], env: Record<string, string>, onLine?: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'info', TENANCY: 'routed', METRICS_PORT: '-1', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine?.(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  children.push(child);
  return child;
}
const stopped = (c: ChildProcess) => (c.exitCode !== null ? Promise.resolve(c.exitCode) : new Promise<number | null>((r) => c.once('exit', (code) => r(code))));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('TENANCY=routed: router + per-client topics + workers', () => {
  let driver: Driver;
  beforeAll(() => (driver = neo4j.driver(process.env.NEO4J_URI ?? 'bolt://127.0.0.1:7687')));
  afterAll(async () => {
    for (const c of children.reverse()) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map(stopped));
    await driver.close();
  });

  it("routes each client's records to its own topics and its graph, and no worker reads another client's", async () => {
    let assigned = false;
    // Foreign records of other runs are held, not dead-lettered, while this test runs.
    const router = start(['router'], { ROUTER_GROUP: `router-${run}`, ROUTER_START: 'latest', ROUTER_UNREGISTERED_GRACE_SECONDS: '3600' }, (l) => {
      if (l.includes('partitions assigned')) assigned = true;
    });
    await waitFor('router assigned its partitions', async () => assigned, 60_000);
    const controlPlane = start(['control-plane'], {
      SPAWNER: 'process',
      CONTROL_PLANE_PORT: String(port),
      CONTROL_PLANE_GROUP_SUFFIX: `-${run}`,
      CONTROL_PLANE_STATE_DIR: join(tmp, 'cp'),
      CLIENT_ALLOWLIST: `${A},${B}`,
      GRAPH_BATCH_MS: '100',
    });
    const simulators = [[A, 'image-pull'], [B, 'readiness-probe']].map(([c, scenario]) =>
      start(['simulate', '--client', c, '--scenario', scenario, '--rate', '10', '--heartbeat-seconds', '1', '--ground-truth', join(tmp, `${c}.json`)], {}),
    );
    const graphEvents = async (client: string) => {
      const r = await driver.executeQuery('MATCH (e:Event {client: $client}) RETURN count(e) AS n', { client });
      return (r.records[0].get('n') as { toNumber(): number }).toNumber();
    };
    await waitFor('events in both graphs', async () => (await graphEvents(A)) > 3 && (await graphEvents(B)) > 3, 150_000);
    const edgeA = await waitFor(
      "A's image pull failure explains its BackOff",
      async () => {
        const r = await driver.executeQuery(
          `MATCH (c:Event {client: $client, reason: 'Failed'})-[p:POTENTIAL_CAUSE]->(e:Event {client: $client, reason: 'BackOff'}) RETURN max(p.confidence) AS conf`,
          { client: A },
        );
        return r.records[0]?.get('conf') as number | undefined;
      },
      120_000,
    );
    expect(edgeA).toBeGreaterThan(0.5);

    // The simulators stop writing (their background noise never pauses), so the topics can be read to their end.
    for (const sim of simulators) sim.kill('SIGTERM');
    await Promise.all(simulators.map(stopped));
    // Each client's topics hold its records only; the other client's topic is not where they went.
    for (const [c, other] of [[A, B], [B, A]]) {
      const raw = await drainTopic(`raw.k8s.events.${c}`, 3000);
      expect(raw.length).toBeGreaterThan(0);
      expect(raw.every((r) => r.key!.toString().startsWith(`${c}::`))).toBe(true);
      const normalized = await drainTopic(`events.normalized.${c}`, 3000);
      expect(normalized.length).toBeGreaterThan(0);
      expect(normalized.every((r) => r.key!.toString().startsWith(`${c}::`) && !r.key!.toString().startsWith(`${other}::`))).toBe(true);
    }

    // Each client still has exactly its three workers, and the two graphs share nothing.
    const metrics = await fetch(`http://127.0.0.1:${port}/clients`).then((r) => r.json() as Promise<{ clients: Array<{ client: string; workers: unknown[] }> }>);
    expect(metrics.clients.filter((x) => [A, B].includes(x.client)).map((x) => x.workers.length)).toEqual([3, 3]);
    const crossing = await driver.executeQuery(
      `MATCH (x)-[r]-(y) WHERE x.client IN [$a, $b] AND (y.client <> x.client OR r.client <> x.client) RETURN count(r) AS n`,
      { a: A, b: B },
    );
    expect(crossing.records[0].get('n').toNumber()).toBe(0);
    controlPlane.kill('SIGTERM');
    expect(await stopped(controlPlane)).toBe(0);
    router.kill('SIGTERM');
    expect(await stopped(router)).toBe(0);
    // Real processes on a shared 2-core machine: registration, 6 workers and the scenarios' 15 minutes replayed at 60×.
  }, 600_000);
});
