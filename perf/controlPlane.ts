/**
 * Control-plane benchmark: 20 clients register at once → time until all 60 workers run (per
 * worker p50/p95/max, and the time until the last), with child processes and with podman
 * containers; then 5 clients stop heartbeating → stale-detection delay (last heartbeat sent →
 * stale seen) against its bound (threshold + check interval). Workers are the real `kgroot <role>`.
 *
 *   npx tsc -p tsconfig.json && node dist/perf/controlPlane.js [process|docker|both]
 * Writes perf/out/controlPlane.json and prints a markdown section. Targets: p95 < 2 s (processes), < 5 s (containers).
 */
import { Row, writeResult } from './perfResult';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { ensureTopics } from '../src/kafka/admin';
import { loadKafkaConnection } from '../src/kafka/kafkaConfig';
import { KafkaSink } from '../src/kafka/kafkaSink';
import { TOPICS } from '../src/kafka/topics';
import { componentLogger } from '../src/log/logger';
import { DockerSpawner } from '../src/spawner/dockerSpawner';
import { WORKER_ROLES } from '../src/spawner/spawner';
import { loadSpawnerConfig } from '../src/spawner/spawnerConfig';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const SOCKET = '/run/podman/podman.sock';
const CLIENTS = 20;
const STALE_CLIENTS = 5;
const THRESHOLD_S = 5;
const CHECK_S = 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The parent cgroup .ci/podman-setup.sh makes for the workers (low CPU weight, conmon kept out). */
const WORKER_CGROUP_PARENT = process.env.WORKER_CGROUP_PARENT ?? '/kgroot_workers';

interface View {
  clients: Array<{ client: string; state: string; lastHeartbeatAt: string | null; stateSince: string | null; workers: Array<{ name: string; state: string }> }>;
}

function getJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 10_000, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as T) : reject(new Error(`${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Removes a container, retrying while the engine is still stopping it: the control plane's own
 * removals of the silent clients' workers can be in progress when it exits, and podman 4.3 then
 * answers a forced removal with 500 "container state improper".
 */
async function forceRemove(docker: Docker, id: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await docker.getContainer(id).remove({ force: true });
      return;
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code === 404) return;
      if (attempt >= 5) throw err;
      await sleep(1000);
    }
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

function startControlPlane(env: Record<string, string>): { child: ChildProcess; base: Promise<string> } {
  const child = spawn(process.execPath, [CLI, 'control-plane'], { env: { ...process.env, CONTROL_PLANE_PORT: '0', LOG_LEVEL: 'info', WORKER_ENV: 'LOG_LEVEL=warn', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const logFile = createWriteStream(join(tmpdir(), `kg-perf-control-plane-${env.SPAWNER}.log`));
  const base = new Promise<string>((resolve) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      logFile.write(d);
      buf += String(d);
      const m = /"url":"(http:[^"]+)\/clients"/.exec(buf);
      if (m) resolve(m[1]);
      if (buf.length > 1e6) buf = buf.slice(-1e5);
    });
  });
  return { child, base };
}

interface Result {
  spawner: 'process' | 'docker';
  workers: number;
  perWorkerMs: { p50: number; p95: number; max: number };
  allRunningMs: number;
  staleDelayMs: { p50: number; max: number; boundMs: number };
  /** Last heartbeat sent by the client → stale seen in GET /clients (adds Kafka transit and polling). */
  staleSeenMs: { p50: number; max: number };
  targetP95Ms: number;
}

async function runOnce(kind: 'process' | 'docker', sink: KafkaSink): Promise<Result> {
  const run = `perf${kind[0]}${Date.now().toString(36)}`;
  const ids = Array.from({ length: CLIENTS }, (_, i) => `${run}-${i}`);
  // LOG_LEVEL=info only through LOG_* passthrough would flood; workers log at warn too.
  const cp = startControlPlane({
    SPAWNER: kind,
    CLIENT_ALLOWLIST: ids.join(','),
    CONTROL_PLANE_GROUP_SUFFIX: `-${run}`,
    HEARTBEAT_CHECK_INTERVAL_SECONDS: String(CHECK_S),
    STALE_CLIENT_THRESHOLD_SECONDS: String(THRESHOLD_S),
    QUARANTINE_SECONDS: '0',
    WORKER_STOP_GRACE_SECONDS: '3',
    CONTROL_PLANE_STATE_DIR: mkdtempSync(join(tmpdir(), `kg-${run}-`)),
    ...(kind === 'docker' ? { WORKER_IMAGE: 'localhost/kgroot:dev', DOCKER_HOST: `unix://${SOCKET}`, WORKER_CGROUP_PARENT } : {}),
  });
  const base = await cp.base;
  for (;;) {
    const h = await getJson<{ caughtUp: boolean }>(`${base}/healthz`).catch(() => ({ caughtUp: false }));
    if (h.caughtUp) break;
    await sleep(100);
  }
  const lastBeat = new Map<string, number>();
  const beating = new Set(ids);
  const beat = setInterval(() => {
    for (const id of beating) {
      lastBeat.set(id, Date.now());
      void sink.send({ topic: TOPICS.heartbeat.name, key: id, value: Buffer.from(JSON.stringify({ client_id: id, timestamp: Date.now() })) });
    }
  }, 1000);
  try {
    const t0 = Date.now();
    await Promise.all(ids.map((id) => sink.send({ topic: TOPICS.registry.name, key: id, value: Buffer.from(JSON.stringify({ client_id: id, cluster_name: run })) })));
    const firstRunning = new Map<string, number>();
    const deadline = t0 + 180_000;
    while (firstRunning.size < CLIENTS * 3 && Date.now() < deadline) {
      const v = await getJson<View>(`${base}/clients`);
      const now = Date.now();
      for (const c of v.clients) for (const w of c.workers) if (w.state === 'running' && !firstRunning.has(w.name)) firstRunning.set(w.name, now - t0);
      await sleep(50);
    }
    const lat = [...firstRunning.values()];
    // Stale detection: 5 clients fall silent, after at least two heartbeats each (the spawns can be
    // done before the first heartbeat was sent; the delay is measured from the last one sent).
    await sleep(2200);
    const silent = ids.slice(0, STALE_CLIENTS);
    for (const id of silent) beating.delete(id);
    const staleAt = new Map<string, number>();
    const staleDecided = new Map<string, number>();
    const staleDeadline = Date.now() + (THRESHOLD_S + CHECK_S) * 1000 + 30_000;
    while (staleAt.size < silent.length && Date.now() < staleDeadline) {
      const v = await getJson<View>(`${base}/clients`);
      const now = Date.now();
      for (const c of v.clients) {
        if (!silent.includes(c.client) || c.state !== 'stale' || staleAt.has(c.client)) continue;
        const last = lastBeat.get(c.client);
        if (last === undefined) throw new Error(`${c.client} went stale before its first heartbeat was sent`);
        staleAt.set(c.client, now - last);
        // The control plane's own decision: last heartbeat received → marked stale, both on its clock.
        staleDecided.set(c.client, Date.parse(c.stateSince!) - Date.parse(c.lastHeartbeatAt!));
      }
      await sleep(50);
    }
    const staleDelays = [...staleDecided.values()];
    const staleSeen = [...staleAt.values()];
    return {
      spawner: kind,
      workers: firstRunning.size,
      perWorkerMs: { p50: pct(lat, 50), p95: pct(lat, 95), max: Math.max(...lat) },
      allRunningMs: firstRunning.size === CLIENTS * 3 ? Math.max(...lat) : NaN,
      staleDelayMs: { p50: pct(staleDelays, 50), max: Math.max(...staleDelays), boundMs: (THRESHOLD_S + CHECK_S) * 1000 },
      staleSeenMs: { p50: pct(staleSeen, 50), max: Math.max(...staleSeen) },
      targetP95Ms: kind === 'process' ? 2000 : 5000,
    };
  } finally {
    clearInterval(beat);
    const exited = new Promise((r) => cp.child.once('exit', r));
    cp.child.kill('SIGTERM');
    await exited;
    if (kind === 'docker') {
      const docker = new Docker({ socketPath: SOCKET });
      const ours = await docker.listContainers({ all: true, filters: { label: ['kg.managed-by=control-plane'] } });
      await Promise.all(ours.filter((c) => ids.includes(c.Labels['kg.client'])).map((c) => forceRemove(docker, c.Id)));
    }
  }
}

/**
 * The engine's own floor in the same run: 60 containers of the worker image created and started at
 * once through dockerode, with the spawner's host config, each running an idle node (no Kafka, no
 * Neo4j): per container, the time until its start returned.
 */
async function engineBaseline(): Promise<{ p50: number; p95: number; max: number }> {
  const docker = new Docker({ socketPath: SOCKET });
  // The spawner's own settings (image, network, limits, CPU shares), as the control plane reads them.
  const cfg = loadSpawnerConfig({ ...process.env, WORKER_IMAGE: 'localhost/kgroot:dev', WORKER_CGROUP_PARENT }).docker;
  const run = `kgperfbase${Date.now().toString(36)}`;
  const t0 = Date.now();
  const times = await Promise.all(
    Array.from({ length: CLIENTS * 3 }, async (_, i) => {
      const c = await docker.createContainer({
        name: `${run}-${i}`,
        Image: cfg.image,
        Entrypoint: ['/usr/bin/node'],
        Cmd: ['-e', 'setTimeout(() => {}, 3_600_000)'],
        Labels: { 'kg.perf': run },
        HostConfig: { NetworkMode: cfg.network, CgroupParent: cfg.cgroupParent || undefined, Memory: cfg.memoryBytes, NanoCpus: cfg.nanoCpus, CpuShares: cfg.cpuShares, PidsLimit: cfg.pidsLimit },
      });
      await c.start();
      return Date.now() - t0;
    }),
  );
  const ours = await docker.listContainers({ all: true, filters: { label: [`kg.perf=${run}`] } });
  await Promise.all(ours.map((c) => forceRemove(docker, c.Id)));
  return { p50: pct(times, 50), p95: pct(times, 95), max: Math.max(...times) };
}

/**
 * The engine with the real workers, without the control plane: DockerSpawner.ensure for the 60
 * workers of 20 clients at once, called directly (no registrations through Kafka, no reducer, no
 * list polling); per worker, the time until its start returned. The workers boot (Kafka groups,
 * Neo4j constraints) while later ones are still being created, as under the control plane.
 */
async function engineWorkersBaseline(): Promise<{ p50: number; p95: number; max: number }> {
  const cfg = loadSpawnerConfig({ ...process.env, WORKER_IMAGE: 'localhost/kgroot:dev', WORKER_ENV: 'LOG_LEVEL=warn', WORKER_CGROUP_PARENT }).docker;
  const spawner = new DockerSpawner(new Docker({ socketPath: SOCKET }), cfg, componentLogger('perf-engine-workers'));
  const run = `perfw${Date.now().toString(36)}`;
  const ids = Array.from({ length: CLIENTS }, (_, i) => `${run}-${i}`);
  const t0 = Date.now();
  const times = await Promise.all(
    ids.flatMap((id) =>
      WORKER_ROLES.map(async (role) => {
        await spawner.ensure(id, role);
        return Date.now() - t0;
      }),
    ),
  );
  await Promise.all(ids.flatMap((id) => WORKER_ROLES.map((role) => spawner.remove(id, role))));
  return { p50: pct(times, 50), p95: pct(times, 95), max: Math.max(...times) };
}

async function main(): Promise<void> {
  const which = process.argv[2] ?? 'both';
  const kinds: Array<'process' | 'docker'> = which === 'both' ? ['process', 'docker'] : [which as 'process' | 'docker'];
  const log = componentLogger('perf-control-plane');
  const connection = loadKafkaConnection(process.env, 'perf-control-plane');
  await ensureTopics(connection, log, [TOPICS.registry, TOPICS.heartbeat]);
  if (kinds.includes('docker')) execFileSync(join(ROOT, '.ci', 'podman-setup.sh'), { stdio: 'inherit' });
  const sink = await KafkaSink.connect({ connection }, log);
  const results: Result[] = [];
  let engine: { p50: number; p95: number; max: number } | undefined;
  let engineWorkers: { p50: number; p95: number; max: number } | undefined;
  try {
    for (const k of kinds) results.push(await runOnce(k, sink));
    if (kinds.includes('docker')) {
      engine = await engineBaseline();
      engineWorkers = await engineWorkersBaseline();
    }
  } finally {
    await sink.close();
  }
  const rows: Row[] = [];
  const engineRow = (what: string, r: { p50: number; p95: number; max: number } | undefined, note: string) => {
    if (r) rows.push({ what, p50Ms: r.p50, p95Ms: r.p95, seconds: r.max / 1000, note });
  };
  engineRow(
    'baseline: podman alone, 60 containers of the worker image created and started at once, each an idle node (no Kafka, no Neo4j)',
    engine,
    'the spawner\'s host config (network, cgroup parent, limits, CPU shares from the same settings); time until each start returned',
  );
  engineRow(
    'baseline: podman with the real workers, no control plane (DockerSpawner.ensure for the 60 workers of 20 clients at once)',
    engineWorkers,
    'the spawner\'s containers (image, env, cgroup parent, limits, CPU shares); the workers boot and join Kafka and Neo4j while later ones are created; time until each start returned',
  );
  for (const r of results) {
    rows.push({
      what: `${r.spawner} spawner: 20 clients register → ${r.workers}/60 workers running`,
      p50Ms: r.perWorkerMs.p50,
      p95Ms: r.perWorkerMs.p95,
      seconds: r.allRunningMs / 1000,
      note: `target p95 < ${(r.targetP95Ms / 1000).toFixed(0)} s: ${r.perWorkerMs.p95 < r.targetP95Ms ? 'met' : 'missed'}`,
    });
    rows.push({
      what: `${r.spawner} spawner: stale detection delay, last heartbeat received → marked stale (server clock; bound = threshold + check interval)`,
      p50Ms: r.staleDelayMs.p50,
      p99Ms: r.staleDelayMs.max,
      vsBaseline: r.staleDelayMs.max / r.staleDelayMs.boundMs,
      note:
        `max ${(r.staleDelayMs.max / 1000).toFixed(2)} s vs bound ${(r.staleDelayMs.boundMs / 1000).toFixed(2)} s; ` +
        `from the last heartbeat sent to stale seen in GET /clients (adds Kafka transit and 50 ms polling): p50 ${(r.staleSeenMs.p50 / 1000).toFixed(2)} s, max ${(r.staleSeenMs.max / 1000).toFixed(2)} s`,
    });
  }
  writeResult({
    name: 'controlPlane',
    title: 'Control plane: 20 clients registering at once → 60 workers; stale detection',
    command: 'npm run build && node dist/perf/controlPlane.js both',
    rows,
    notes: [
      'Real `kgroot <role>` workers; time from sending the registrations to each worker seen running in GET /clients (50 ms polling).',
      `Containers (all three rows) run under WORKER_CGROUP_PARENT=${WORKER_CGROUP_PARENT}, which .ci/podman-setup.sh makes with CPU weight 128 for all workers together, with conmon kept out of it (containers.conf cgroups = "no-conmon"); unset, the engine's default parent is used.`,
      `Stale detection: ${STALE_CLIENTS} clients stop heartbeating; the delay is the control plane's, from \`lastHeartbeatAt\` (receive time) to \`stateSince\` of \`stale\` in GET /clients, both on its clock, as the bound is defined (\"measured on the server's receive time\"); the p99 column holds the maximum; "vs baseline" is max / bound (≤ 1 is within the bound). The note adds the client-side view.`,
    ],
  });
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`perf/controlPlane failed: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
