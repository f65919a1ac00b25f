import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { ensureTopics } from '../../src/kafka/admin';
import { loadKafkaConnection } from '../../src/kafka/kafkaConfig';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { TOPICS } from '../../src/kafka/topics';
import { componentLogger } from '../../src/log/logger';
import { until } from '../support/controlPlaneProcess';
import { removeContainer } from '../../src/spawner/dockerSpawner';
import { drainTopic } from '../support/kafkaTest';

/**
 * The control plane end to end on the real broker: clients register and heartbeat through
 * Kafka; workers are real `kgroot <role>` processes, then real podman containers. Each run uses
 * its own client ids (CLIENT_ALLOWLIST) and consumer groups, so runs never see each other.
 */
const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const connection = loadKafkaConnection(process.env, 'control-plane-int');
const log = componentLogger('control-plane-int');
const SOCKET = '/run/podman/podman.sock';

interface ClientsView {
  spawner: string;
  clients: Array<{ client: string; state: string; lastHeartbeatAgeSeconds: number | null; workers: Array<{ name: string; role: string; state: string; id: string; startedAt: number | null; restarts: number }> }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function getJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as T) : reject(new Error(`${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A control plane child process; its URL is read from its "status endpoint listening" log line. */
class ControlPlane {
  readonly child: ChildProcess;
  readonly url: Promise<string>;
  readonly logs: string[] = [];

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [CLI, 'control-plane'], { env: { ...process.env, LOG_LEVEL: 'info', CONTROL_PLANE_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let resolveUrl!: (u: string) => void;
    let rejectUrl!: (e: Error) => void;
    this.url = new Promise((res, rej) => ((resolveUrl = res), (rejectUrl = rej)));
    this.url.catch(() => undefined);
    const startTimer = setTimeout(() => rejectUrl(new Error(`control plane did not start within 30 s:\n${this.logs.join('\n')}`)), 30_000);
    startTimer.unref();
    let buf = '';
    this.child.stdout!.on('data', (d) => {
      buf += String(d);
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.logs.push(line);
        const m = /"url":"(http:[^"]+)"/.exec(line);
        if (m) resolveUrl(m[1]);
      }
    });
    this.child.stderr!.on('data', (d) => this.logs.push(String(d)));
  }

  async clients(): Promise<ClientsView> {
    return getJson<ClientsView>(await this.url);
  }

  /** SIGTERM and wait for the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((r) => this.child.once('exit', (code) => r(code)));
    this.child.kill('SIGTERM');
    return exited;
  }
}

/** Registrations and periodic heartbeats through Kafka, as client clusters send them. */
class Clients {
  private timer: NodeJS.Timeout | undefined;
  readonly beating = new Set<string>();
  constructor(private readonly sink: KafkaSink) {}

  async register(id: string): Promise<void> {
    await this.sink.send({ topic: TOPICS.registry.name, key: id, value: Buffer.from(JSON.stringify({ client_id: id, cluster_name: `${id}-cluster`, k8s_version: '1.30' })) });
    this.beating.add(id);
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => {
      for (const id of this.beating) {
        void this.sink.send({ topic: TOPICS.heartbeat.name, key: id, value: Buffer.from(JSON.stringify({ client_id: id, timestamp: Date.now() })) });
      }
    }, everyMs);
  }

  async deregister(id: string): Promise<void> {
    this.beating.delete(id);
    await this.sink.send({ topic: TOPICS.registry.name, key: id, value: null });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

function runningWorkers(v: ClientsView, ids: string[]): Map<string, { id: string; startedAt: number | null }> {
  const out = new Map<string, { id: string; startedAt: number | null }>();
  for (const c of v.clients) {
    if (!ids.includes(c.client)) continue;
    for (const w of c.workers) if (w.state === 'running') out.set(w.name, { id: w.id, startedAt: w.startedAt });
  }
  return out;
}

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

function lifecycleEnv(ids: string[], run: string): Record<string, string> {
  return {
    CLIENT_ALLOWLIST: ids.join(','),
    CONTROL_PLANE_GROUP_SUFFIX: `-${run}`,
    HEARTBEAT_CHECK_INTERVAL_SECONDS: '1',
    STALE_CLIENT_THRESHOLD_SECONDS: '6',
    QUARANTINE_SECONDS: '0',
    WORKER_STOP_GRACE_SECONDS: '5',
    CONTROL_PLANE_STATE_DIR: mkdtempSync(join(tmpdir(), `kg-cp-${run}-`)),
  };
}

let sink: KafkaSink;
beforeAll(async () => {
  await ensureTopics(connection, log);
  sink = await KafkaSink.connect({ connection }, log);
});
afterAll(async () => {
  await sink.close();
});

describe('control plane with the process spawner', () => {
  const run = `p${Date.now().toString(36)}`;
  const ids = [`${run}a`, `${run}b`, `${run}c`];
  let cp: ControlPlane;
  let clients: Clients;

  afterAll(async () => {
    clients?.stop();
    await cp?.stop();
  });

  it('3 registrations → 9 worker processes; a silent client loses its 3, the others are untouched; it comes back; none survive the control plane', async () => {
    cp = new ControlPlane({ ...lifecycleEnv(ids, run), SPAWNER: 'process' });
    clients = new Clients(sink);
    await cp.clients(); // up and listening
    for (const id of ids) await clients.register(id);
    clients.start(1000);

    const nine = await until('9 running worker processes', async () => {
      const w = runningWorkers(await cp.clients(), ids);
      return w.size === 9 ? w : undefined;
    }, 60_000);
    expect([...nine.keys()].sort()).toEqual(ids.flatMap((id) => ['event-normalizer', 'graph-builder', 'log-normalizer'].map((r) => `kg-${r}-${id}`)).sort());
    for (const { id } of nine.values()) expect(pidAlive(Number(id))).toBe(true);
    // They are the real entry point: node <package>/dist/src/cli.js <role>
    const anyPid = nine.get(`kg-graph-builder-${ids[0]}`)!.id;
    expect(readFileSync(`/proc/${anyPid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining([CLI, 'graph-builder']));

    // c stops heartbeating: its three go, a's and b's keep their pids.
    clients.beating.delete(ids[2]);
    const six = await until('c stale and its workers removed', async () => {
      const v = await cp.clients();
      const w = runningWorkers(v, ids);
      return v.clients.find((c) => c.client === ids[2])?.state === 'stale' && w.size === 6 ? w : undefined;
    }, 30_000);
    for (const [name, w] of six) expect(w.id).toBe(nine.get(name)!.id);
    for (const [name, w] of nine) if (name.endsWith(ids[2])) expect(pidAlive(Number(w.id))).toBe(false);

    // c registers again → back with three new processes.
    await clients.register(ids[2]);
    const again = await until('c back', async () => {
      const w = runningWorkers(await cp.clients(), ids);
      return w.size === 9 ? w : undefined;
    }, 30_000);
    for (const [name, w] of again) if (!name.endsWith(ids[2])) expect(w.id).toBe(nine.get(name)!.id);
    expect(cp.logs.join('\n')).toMatch(/"msg":"client stale: no heartbeat"/);

    // SIGTERM: the control plane stops all of its workers before it exits.
    clients.stop();
    expect(await cp.stop()).toBe(0);
    for (const w of again.values()) expect(pidAlive(Number(w.id))).toBe(false);
  });

  it('invalid registry and heartbeat records go to dlq.raw with the reason, once: a restart replays the registry without dead-lettering them again', async () => {
    const env = { ...lifecycleEnv(ids, `${run}-dlq`), SPAWNER: 'process' };
    const bad = [
      { topic: TOPICS.registry.name, key: `${run}zz`, value: '{"client_id": ', reason: /^registry: malformed payload: not JSON/ },
      { topic: TOPICS.heartbeat.name, key: ids[0], value: JSON.stringify({ client_id: `${run}evil` }), reason: /^heartbeat: key .* differs from the payload's client_id/ },
    ];
    const first = new ControlPlane(env);
    await first.clients();
    await until('caught up', async () => ((await getJson<{ caughtUp: boolean }>((await first.url).replace('/clients', '/healthz'))).caughtUp ? true : undefined), 30_000);
    const delivered = await Promise.all(bad.map((b) => sink.send({ topic: b.topic, key: b.key, value: Buffer.from(b.value) })));
    await until('both dead-lettered', async () => (first.logs.filter((l) => l.includes('invalid record dead-lettered')).length >= 2 ? true : undefined), 30_000);
    expect(await first.stop()).toBe(0);
    // A second run rewinds the registry and reads the bad registration again.
    const second = new ControlPlane(env);
    await until('second caught up', async () => ((await getJson<{ caughtUp: boolean }>((await second.url).replace('/clients', '/healthz'))).caughtUp ? true : undefined), 30_000);
    expect(second.logs.join('\n')).toMatch(/registry rewound for the start-up replay/);
    await sleep(1000);
    expect(await second.stop()).toBe(0);

    const dlq = (await drainTopic(TOPICS.dlqRaw.name)).filter((r) => r.headers['kg.component']?.toString() === 'control-plane' && (r.key?.toString() ?? '').startsWith(run));
    expect(dlq).toHaveLength(2);
    bad.forEach((b, i) => {
      const hit = dlq.find((r) => r.headers['kg.source.topic']?.toString() === b.topic)!;
      expect(hit.key!.toString()).toBe(b.key);
      expect(hit.value!.toString()).toBe(b.value);
      expect(hit.headers['kg.source.offset']?.toString()).toBe(String(delivered[i].offset));
      expect(hit.headers['kg.error']?.toString()).toMatch(b.reason);
    });
  });
});

describe('control plane with the docker spawner against podman', () => {
  const run = `d${Date.now().toString(36)}`;
  const ids = [`${run}a`, `${run}b`, `${run}c`];
  const docker = new Docker({ socketPath: SOCKET });
  let cp: ControlPlane | undefined;
  let clients: Clients;
  let foreignId: string | undefined;

  beforeAll(() => {
    // Starts podman's API and (re)builds localhost/kgroot:dev from the current dist/ (idempotent).
    execFileSync(join(ROOT, '.ci', 'podman-setup.sh'), { stdio: 'inherit' });
  }, 300_000);

  afterAll(async () => {
    clients?.stop();
    await cp?.stop();
    const ours = await docker.listContainers({ all: true, filters: { label: ['kg.managed-by=control-plane'] } });
    // Workers stop themselves when the control plane goes: a forced remove may race that stop.
    for (const c of ours) if (ids.includes(c.Labels['kg.client'])) await removeContainer(docker.getContainer(c.Id));
    if (foreignId) await removeContainer(docker.getContainer(foreignId)).catch(() => undefined);
  });

  async function containersOf(): Promise<Docker.ContainerInfo[]> {
    const all = await docker.listContainers({ all: true, filters: { label: ['kg.managed-by=control-plane'] } });
    return all.filter((c) => ids.includes(c.Labels['kg.client']));
  }

  it('the same with containers, a foreign container left alone, and a restart that adopts all 9 and restarts none', async () => {
    const env = { ...lifecycleEnv(ids, run), SPAWNER: 'docker', WORKER_IMAGE: 'localhost/kgroot:dev', DOCKER_HOST: `unix://${SOCKET}`, WORKER_STOP_GRACE_SECONDS: '3', WORKER_CGROUP_PARENT: '/kgroot_workers' };
    // A container named like a worker of client c but without our label: never touched.
    const foreignName = `kg-log-normalizer-${ids[2]}`;
    const foreign = await docker.createContainer({ name: `${foreignName}-x`, Image: 'localhost/kgroot:dev', Cmd: ['help'], Labels: { 'kg.client': ids[2] } });
    foreignId = foreign.id;

    cp = new ControlPlane(env);
    clients = new Clients(sink);
    await cp.clients();
    for (const id of ids) await clients.register(id);
    clients.start(1000);

    const nine = await until('9 running containers', async () => {
      const cs = (await containersOf()).filter((c) => c.State === 'running');
      return cs.length === 9 ? cs : undefined;
    }, 120_000);
    for (const c of nine) {
      expect(c.Names[0].replace(/^\//, '')).toBe(`kg-${c.Labels['kg.role']}-${c.Labels['kg.client']}`);
      expect(c.Labels['kg.managed-by']).toBe('control-plane');
    }
    const inspect = await docker.getContainer(`kg-graph-builder-${ids[0]}`).inspect();
    expect(inspect.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect(inspect.HostConfig.NetworkMode).toBe('host');
    expect(inspect.Config.Env).toEqual(expect.arrayContaining([`CLIENT_ID=${ids[0]}`, `NEO4J_DATABASE=${ids[0]}`]));
    expect(inspect.Config.Cmd).toEqual(['graph-builder']);
    // The worker runs under WORKER_CGROUP_PARENT (made by podman-setup.sh with a low CPU weight); its
    // conmon (the parent of the container's first process) stays out of it (cgroups = "no-conmon").
    const cpuCgroup = (pid: number) => {
      const text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      return (/^\d+:(?:[^:]*,)?cpu(?:,[^:]*)?:(.*)$/m.exec(text) ?? /^0::(.*)$/m.exec(text))?.[1]; // v1 cpu controller, else v2
    };
    const workerPid = inspect.State.Pid;
    expect(cpuCgroup(workerPid)).toMatch(/^\/kgroot_workers\/libpod-[0-9a-f]+$/);
    const conmonPid = Number(readFileSync(`/proc/${workerPid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    expect(readFileSync(`/proc/${conmonPid}/comm`, 'utf8').trim()).toBe('conmon');
    expect(cpuCgroup(conmonPid)).not.toMatch(/kgroot_workers/);

    // c goes silent → its 3 containers are stopped and removed; a's and b's are the same containers.
    clients.beating.delete(ids[2]);
    await until('c removed', async () => ((await containersOf()).length === 6 ? true : undefined), 60_000);
    const six = await containersOf();
    expect(six.map((c) => c.Id).sort()).toEqual(nine.filter((c) => c.Labels['kg.client'] !== ids[2]).map((c) => c.Id).sort());
    expect((await docker.getContainer(foreign.id).inspect()).Id).toBe(foreign.id);

    // c registers again → back.
    await clients.register(ids[2]);
    const back = await until('c back', async () => {
      const cs = (await containersOf()).filter((c) => c.State === 'running');
      return cs.length === 9 ? cs : undefined;
    }, 60_000);

    // Restart the control plane with 3 live clients: exactly 9 containers, none restarted.
    const before = new Map<string, string>();
    for (const c of back) before.set(c.Id, (await docker.getContainer(c.Id).inspect()).State.StartedAt);
    expect(await cp.stop()).toBe(0);
    const states = (await containersOf()).map((c) => `${c.Names[0]}:${c.State}:${c.Status}`);
    expect(states.filter((s) => s.includes(':running:'))).toHaveLength(9); // containers outlive it
    cp = new ControlPlane(env);
    await until('the new control plane to adopt the 3 clients', async () => {
      const v = await cp!.clients();
      const live = v.clients.filter((c) => ids.includes(c.client) && c.state === 'live');
      return live.length === 3 && cp!.logs.filter((l) => l.includes('"msg":"worker adopted"')).length === 9 ? true : undefined;
    }, 60_000);
    await sleep(3000); // any wrong removal or respawn would show by now
    const after = (await containersOf()).filter((c) => c.State === 'running');
    expect(after).toHaveLength(9);
    for (const c of after) {
      expect(before.has(c.Id)).toBe(true);
      expect((await docker.getContainer(c.Id).inspect()).State.StartedAt).toBe(before.get(c.Id));
    }
    expect(cp.logs.join('\n')).not.toMatch(/"msg":"worker spawned"/);
  });
});
