import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import neo4j, { Driver } from 'neo4j-driver';
import { lastValueFrom, Subscription } from 'rxjs';
import { decodeNormalizedLog } from '../../src/avro/normalizedCodec';
import { formatKey, formatNormalizedKey } from '../../src/domain/keys';
import { ensureTopics } from '../../src/kafka/admin';
import { KafkaConnection } from '../../src/kafka/kafkaConfig';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { KafkaSource } from '../../src/kafka/kafkaSource';
import { OutRecord } from '../../src/kafka/record';
import { TOPICS } from '../../src/kafka/topics';
import { Logger, rootLogger } from '../../src/log/logger';
import { app, coreEvent, K8sObject, uid, vectorLog } from '../../src/simulator/k8sShapes';
import { stackDown, stackUp } from '../../src/stack/localStack';
import { boltUriOf, loadStackConfig, StackConfig } from '../../src/stack/stackConfig';
import { CLI, ControlPlaneProcess, HeartbeatingClients, until } from './controlPlaneProcess';
import { freePort } from './kubeApiServer';

/**
 * The fault matrix of issue 16 on a Kafka and a Neo4j of its own (the shared stack is never
 * stopped): the real `kgroot` processes (control plane with the process spawner and its per-client
 * workers, the topology builder, in routed mode the router) run on it; each case streams real
 * core/v1 Events (or Vector log lines, or Pod objects) of two clients, a few truncated ones among
 * them, injects its fault mid-stream and counts where every acknowledged record ended: a graph node
 * (Event by eid, Pod resource), a normalized record (logs) or a dlq.raw record — nothing lost,
 * nothing dead-lettered that was valid, duplicates counted and absorbed.
 */
const ROLES = ['event-normalizer', 'log-normalizer', 'graph-builder'] as const;
type Role = (typeof ROLES)[number];
export const POOL_ROLES = ['event-normalizer-pool', 'log-normalizer-pool', 'graph-builder-pool'] as const;
export type PoolRole = (typeof POOL_ROLES)[number];

export interface FaultResult {
  fault: string;
  /** Records acknowledged by the broker at the edge (valid + truncated). */
  recordsIn: number;
  /** Of those, truncated ones (an agent's cut record): they belong in dlq.raw. */
  truncated: number;
  /** Of those, found in the graph (or, for logs, in logs.normalized). */
  reachedGraph: number;
  /** Of those, in dlq.raw (distinct keys). */
  deadLettered: number;
  /** Acknowledged records found nowhere. */
  lost: number;
  /** Valid records dead-lettered (should be 0). */
  validDeadLettered: number;
  /** Records delivered again downstream (offsets replayed) and absorbed by MERGE / keys. */
  duplicates: number;
  /** Graph nodes of the case beyond the distinct records (should be 0). */
  extraNodes: number;
  /** dlq.raw copies of the case's truncated records beyond one each (a replay writing a dead letter again; should be 0). */
  extraDeadLetters: number;
  /** Logs: per client, the lines its log Events count (sum of `count`) and the valid lines produced (should be equal). */
  logLines: Array<{ client: string; counted: number; produced: number }>;
  /** Fault end (kill, service back, restart) → every record accounted for, ms. */
  recoverMs: number;
  notes: string[];
}

export interface MatrixOptions {
  /** Records per case, both clients together. FAULT_RECORDS, default 2000. */
  records: number;
  /** How long Neo4j stays down. FAULT_NEO4J_DOWN_SECONDS, default 60. */
  neo4jDownMs: number;
  /** MAX_CLIENTS of the control plane (the flood case goes past it). */
  maxClients: number;
  log?: Logger;
}

export function matrixOptions(env: NodeJS.ProcessEnv = process.env): MatrixOptions {
  const num = (name: string, dflt: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return dflt;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw} is not a positive number; unset it for the default (${dflt})`);
    return n;
  };
  return { records: num('FAULT_RECORDS', 2000), neo4jDownMs: num('FAULT_NEO4J_DOWN_SECONDS', 60) * 1000, maxClients: 4 };
}

/** What a case produces and how it is counted. */
type Kind = 'events' | 'logs' | 'resources';

interface Batch {
  kind: Kind;
  namespace: string;
  first: OutRecord[];
  rest: OutRecord[];
  /** Per client: the graph identities (eids, pod names) or normalized-log namespaces expected. */
  expected: Map<string, string[]>;
  poisonKeys: Set<string>;
  validKeys: Set<string>;
}

/** A context handed to a fault: waits for progress, sends the rest of the stream when it wants. */
export interface FaultContext {
  /** Resolves once the first client's graph holds `fraction` of its expected records. */
  reached(fraction: number): Promise<void>;
  /** Sends the second half of the stream (once; the case sends it after the fault if not). */
  sendRest(): Promise<void>;
  /** Resolves once the first client's normalizer has written `fraction` of all its valid records of the case. */
  normalized(fraction: number): Promise<void>;
}

interface CaseSpec {
  fault: string;
  kind: Kind;
  /** Injects the fault; resolves with the time the fault ended (the clock of recovery starts there). */
  inject: (ctx: FaultContext) => Promise<number>;
  clients?: [string, string];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Processes on this machine running `cli.js <role>` with KG_CLIENT=client, by /proc (the worker's own args and labels). */
export function workerProcesses(clients: readonly string[]): Array<{ pid: number; client: string; role: string }> {
  const out: Array<{ pid: number; client: string; role: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!args.some((a) => a.endsWith('cli.js'))) continue;
      if (/\) Z /.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) continue;
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      const client = env.find((kv) => kv.startsWith('KG_CLIENT='))?.slice('KG_CLIENT='.length);
      if (!client || !clients.includes(client)) continue;
      const role = args[args.findIndex((a) => a.endsWith('cli.js')) + 1] ?? '?';
      out.push({ pid: Number(entry), client, role });
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return out;
}

/** A `kgroot <role>` child process whose stdout lines are kept. */
class Component {
  readonly child: ChildProcess;
  /** `lines` is shared by the restarts of one component: its log across them. */
  constructor(role: string, env: Record<string, string>, readonly lines: string[] = []) {
    this.child = spawn(process.execPath, [CLI, role], { env: { ...process.env, LOG_LEVEL: 'info', METRICS_PORT: '-1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let rest = '';
    this.child.stdout!.on('data', (chunk) => {
      const parts = (rest + String(chunk)).split('\n');
      rest = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    this.child.stderr!.on('data', (chunk) => this.lines.push(String(chunk)));
  }
  exited(): Promise<unknown> {
    return this.child.exitCode !== null || this.child.signalCode !== null ? Promise.resolve() : new Promise((r) => this.child.once('exit', r));
  }
  async stop(): Promise<void> {
    const done = this.exited();
    this.child.kill('SIGTERM');
    await done;
  }
}

/** Sum of `rows - eventsAdded` over graph-builder "batch written" lines: rows the graph had seen already. */
function graphReplays(text: string): { rows: number; added: number } {
  let rows = 0;
  let added = 0;
  for (const line of text.split('\n')) {
    if (!line.includes('"batch written"')) continue;
    try {
      const j = JSON.parse(line) as { rows?: number; eventsAdded?: number };
      rows += j.rows ?? 0;
      added += j.eventsAdded ?? 0;
    } catch {
      /* a partial line */
    }
  }
  return { rows, added };
}

export class FaultMatrix {
  readonly results: FaultResult[] = [];
  private stack!: StackConfig;
  private connection!: KafkaConnection;
  private sink!: KafkaSink;
  private driver!: Driver;
  private heartbeats!: HeartbeatingClients;
  private collector!: KafkaSource;
  private collecting: Subscription | undefined;
  /** dlq.raw keys → copies; logs.normalized key → [namespace, copies]. */
  private readonly dlq = new Map<string, number>();
  private readonly normalizedLogs = new Map<string, { namespace: string; copies: number }>();
  /** events.normalized key → copies. */
  private readonly normalizedEvents = new Map<string, number>();
  private cp!: ControlPlaneProcess;
  private cpEnv!: Record<string, string>;
  private topology!: Component;
  private topologyEnv!: Record<string, string>;
  private router: Component | undefined;
  private routerEnv: Record<string, string> = {};
  private readonly tmp = mkdtempSync(join(tmpdir(), 'kgroot-faults-'));
  private readonly run = Date.now().toString(36);
  private caseNo = 0;
  readonly log: Logger;
  /** The two clients of the shared-mode cases, then of the routed ones. */
  readonly shared: [string, string];
  readonly routed: [string, string];
  /** The two clients of the WORKER_MODE=pooled cases. */
  readonly pooled: [string, string];
  private readonly flooders: string[] = [];
  /** WORKER_MODE=pooled: the three pools (restarted after a kill as a supervisor would), by role. */
  private readonly pools = new Map<string, Component>();
  private poolEnv: Record<string, string> = {};

  constructor(readonly options: MatrixOptions) {
    this.log = options.log ?? rootLogger().child({ component: 'fault-matrix' });
    this.shared = [`fm${this.run}a`, `fm${this.run}b`];
    this.routed = [`fm${this.run}c`, `fm${this.run}d`];
    this.pooled = [`fm${this.run}e`, `fm${this.run}f`];
  }

  /** Its own Kafka and Neo4j, the topics, the control plane (TENANCY=shared, the default), the topology builder, two live clients with their 6 workers. */
  async start(): Promise<void> {
    const [kafkaPort, controllerPort, boltPort] = [await freePort(), await freePort(), await freePort()];
    this.stack = loadStackConfig({
      ...process.env,
      KGROOT_STACK_DIR: join(this.tmp, 'stack'),
      KGROOT_KAFKA_PORT: String(kafkaPort),
      KGROOT_KAFKA_CONTROLLER_PORT: String(controllerPort),
      KGROOT_KAFKA_SASL_PORT: '0',
      KGROOT_NEO4J_BOLT_PORT: String(boltPort),
      KGROOT_KAFKA_HEAP: '512m',
      KGROOT_NEO4J_HEAP: '1g',
      KGROOT_NEO4J_PAGECACHE: '256m',
    });
    await stackUp(this.stack, this.log);
    this.connection = { brokers: `127.0.0.1:${kafkaPort}`, clientId: 'fault-matrix', maxMessageBytes: 1_000_000 };
    await ensureTopics(this.connection, this.log);
    this.sink = await KafkaSink.connect({ connection: this.connection, component: 'fault-matrix' }, this.log);
    this.driver = neo4j.driver(boltUriOf(this.stack));
    this.startCollector();
    const base = {
      KAFKA_BROKERS: this.connection.brokers,
      NEO4J_URI: boltUriOf(this.stack),
      KGROOT_CACHE_DIR: this.stack.cacheDir,
      GRAPH_BATCH_MS: '100',
    };
    this.cpEnv = {
      ...base,
      SPAWNER: 'process',
      CONTROL_PLANE_STATE_DIR: join(this.tmp, 'cp'),
      CONTROL_PLANE_GROUP_SUFFIX: `-${this.run}`,
      MAX_CLIENTS: String(this.options.maxClients),
      // Heartbeats stop while the broker restarts: a client must not go stale meanwhile.
      STALE_CLIENT_THRESHOLD_SECONDS: '300',
    };
    this.topologyEnv = { ...base, TOPOLOGY_BATCH_MS: '100' };
    this.topology = new Component('topology-builder', this.topologyEnv);
    this.cp = new ControlPlaneProcess(this.cpEnv);
    await until('the control plane listening', () => this.cp.clients(), 90_000);
    this.heartbeats = new HeartbeatingClients(this.sink);
    await this.heartbeats.register(...this.shared);
    await this.workersRunning(this.shared, 120_000);
  }

  /** Reads dlq.raw and logs.normalized of this broker from the beginning, for the whole run. */
  private startCollector(): void {
    this.collector = new KafkaSource({ connection: this.connection, groupId: `fault-collector-${this.run}`, topics: [TOPICS.dlqRaw.name, TOPICS.logsNormalized.name, TOPICS.eventsNormalized.name], maxInFlight: 20_000, fromBeginning: true }, this.log);
    this.collecting = this.collector.records$.subscribe((r) => {
      r.ack();
      const key = r.key?.toString() ?? '';
      if (r.topic === TOPICS.dlqRaw.name) this.dlq.set(key, (this.dlq.get(key) ?? 0) + 1);
      else if (r.topic === TOPICS.eventsNormalized.name) this.normalizedEvents.set(key, (this.normalizedEvents.get(key) ?? 0) + 1);
      else if (r.value) {
        const seen = this.normalizedLogs.get(key);
        if (seen) seen.copies++;
        else this.normalizedLogs.set(key, { namespace: decodeNormalizedLog(r.value).namespace ?? '', copies: 1 });
      }
    });
  }

  /** Each of the clients has exactly its 3 workers running (the control plane's view and the process list agree). */
  private async workersRunning(clients: readonly string[], ms: number): Promise<Array<{ pid: number; client: string; role: string }>> {
    return until(
      `3 running workers for each of ${clients.join(', ')}`,
      async () => {
        const view = await this.cp.clients();
        for (const c of clients) {
          const ws = view.clients.find((x) => x.client === c)?.workers ?? [];
          if (ws.filter((w) => w.state === 'running').length !== 3) return undefined;
        }
        const procs = workerProcesses(clients);
        return procs.length === clients.length * 3 ? procs : undefined;
      },
      ms,
      500,
    );
  }

  private async workerPid(client: string, role: Role): Promise<number> {
    const view = await this.cp.clients();
    const w = view.clients.find((x) => x.client === client)?.workers.find((x) => x.role === role && x.state === 'running');
    if (!w || !w.id) throw new Error(`no running ${role} for ${client}`);
    return Number(w.id);
  }

  private graphLogSize(clients: readonly string[]): Map<string, number> {
    return new Map(clients.map((c) => {
      const f = join(this.cpEnv.CONTROL_PLANE_STATE_DIR, 'logs', `kg-graph-builder-${c}.log`);
      return [f, existsSync(f) ? statSync(f).size : 0];
    }));
  }

  private graphLogSince(sizes: Map<string, number>): string {
    let text = '';
    for (const [f, size] of sizes) if (existsSync(f)) text += readFileSync(f).subarray(size).toString('utf8');
    return text;
  }

  /** The records of one case: 2 clients, `records` in all, 1 in 100 truncated (dead-lettered by the normalizer). */
  private batch(kind: Kind, clients: readonly string[]): Batch {
    const tag = `${this.run}-${++this.caseNo}`;
    const namespace = `fm-${tag}`;
    const per = Math.floor(this.options.records / clients.length);
    const template = app({ namespace, app: 'api', replicas: 1, nodes: ['node-1'], image: 'shop/api:1.2' }).pods[0];
    const pod = (i: number): K8sObject => {
      const name = `api-7d9f8c6b5-${i.toString(36).padStart(5, '0')}`;
      const p = structuredClone(template);
      p.metadata.name = name;
      p.metadata.uid = uid('pod', namespace, name);
      (p.spec as { nodeName: string }).nodeName = `node-${(i % 3) + 1}`;
      return p;
    };
    const expected = new Map<string, string[]>();
    const poisonKeys = new Set<string>();
    const validKeys = new Set<string>();
    const all: OutRecord[][] = clients.map(() => []);
    // A day apart per case: each case's Events have their own names and uids.
    const at0 = Date.parse('2026-11-01T10:00:00Z') + this.caseNo * 86_400_000;
    clients.forEach((client, ci) => {
      const ids: string[] = [];
      for (let i = 0; i < per; i++) {
        const at = new Date(at0 + i * 250);
        let rec: OutRecord;
        if (kind === 'events') {
          // Two Events per pod: its readiness probe fails, then the kubelet backs off restarting it.
          const p = pod(i >> 1);
          const ev = coreEvent(p, i % 2 ? 'BackOff' : 'Unhealthy', i % 2 ? `Back-off restarting failed container api in pod ${p.metadata.name}_${namespace}(${p.metadata.uid})` : 'Readiness probe failed: HTTP probe failed with statuscode: 503', 'Warning', at, i, { node: (p.spec as { nodeName: string }).nodeName });
          const eventUid = (ev.metadata as { uid: string }).uid;
          rec = { topic: TOPICS.rawEvents.name, key: formatKey(client, 'event', eventUid), value: Buffer.from(JSON.stringify(ev)) };
          ids.push(`evt:${eventUid}`);
        } else if (kind === 'logs') {
          const line = vectorLog(pod(i % 200), JSON.stringify({ level: 'error', ts: at.getTime() / 1000, msg: `dial tcp 10.0.${i % 250}.5:5432: connect: connection refused` }), at, 'stderr');
          rec = { topic: TOPICS.rawLogs.name, key: formatKey(client, 'log', uid('log', tag, client, String(i))), value: Buffer.from(JSON.stringify(line)) };
        } else {
          const p = pod(i);
          rec = { topic: TOPICS.resources.name, key: formatKey(client, 'Pod', `${namespace}/${p.metadata.name}`), value: Buffer.from(JSON.stringify(p)) };
          ids.push(p.metadata.name);
        }
        // What an agent cut at its size limit sends: the start of the same record.
        if (i % 100 === 99) {
          rec = { ...rec, value: (rec.value as Buffer).subarray(0, 60) };
          poisonKeys.add(String(rec.key));
          if (kind !== 'logs') ids.pop();
        } else validKeys.add(String(rec.key));
        all[ci].push(rec);
      }
      expected.set(client, ids);
    });
    // Interleaved, then split in two halves: the fault lands between them.
    const mixed: OutRecord[] = [];
    for (let i = 0; i < per; i++) for (const recs of all) mixed.push(recs[i]);
    return { kind, namespace, first: mixed.slice(0, mixed.length / 2), rest: mixed.slice(mixed.length / 2), expected, poisonKeys, validKeys };
  }

  /** How many of the batch's records of `client` reached the graph (or, for logs, logs.normalized). */
  private async reachedOf(b: Batch, client: string): Promise<number> {
    if (b.kind === 'logs') {
      let n = 0;
      for (const [k, v] of this.normalizedLogs) if (v.namespace === b.namespace && k.startsWith(`${client}::`)) n++;
      return n;
    }
    const q =
      b.kind === 'events'
        ? 'MATCH (e:Event {client: $client}) WHERE e.eid IN $ids RETURN count(e) AS n'
        : "MATCH (r:Resource {client: $client, namespace: $ns}) WHERE r.kind = 'Pod' AND r.name IN $ids AND coalesce(r.stub, false) = false RETURN count(r) AS n";
    const r = await this.driver.executeQuery(q, { client, ids: b.expected.get(client), ns: b.namespace });
    return (r.records[0].get('n') as { toNumber(): number }).toNumber();
  }

  /** Distinct normalized records of the batch's valid records of `client` seen so far. */
  private normalizedOf(b: Batch, client: string): number {
    if (b.kind === 'logs') {
      let n = 0;
      for (const [k, v] of this.normalizedLogs) if (v.namespace === b.namespace && k.startsWith(`${client}::`)) n++;
      return n;
    }
    if (b.kind === 'resources') return 0;
    let n = 0;
    for (const eid of b.expected.get(client)!) if (this.normalizedEvents.has(formatNormalizedKey(client, 'evt', eid.slice('evt:'.length)))) n++;
    return n;
  }

  /** Extra events.normalized copies of the batch's events (an event normalizer's replays). */
  private normalizedEventCopies(b: Batch, clients: readonly string[]): number {
    let n = 0;
    for (const c of clients) for (const eid of b.expected.get(c)!) n += Math.max(0, (this.normalizedEvents.get(formatNormalizedKey(c, 'evt', eid.slice('evt:'.length))) ?? 0) - 1);
    return n;
  }

  /** The lines the graph's log Events of the batch's pods count (sum of their `count`). */
  private async logLinesInGraph(b: Batch, client: string): Promise<number> {
    const r = await this.driver.executeQuery("MATCH (e:Event {client: $client})-[:ABOUT]->(:Resource {client: $client, namespace: $ns}) WHERE e.source = 'log' RETURN sum(e.count) AS n", { client, ns: b.namespace });
    const n = r.records[0].get('n') as number | { toNumber(): number } | null;
    return n === null ? 0 : typeof n === 'number' ? n : n.toNumber();
  }

  private expectedOf(b: Batch, client: string): number {
    if (b.kind === 'logs') return [...b.validKeys].filter((k) => k.startsWith(`${client}::`)).length;
    return b.expected.get(client)!.length;
  }

  private async send(records: OutRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 1000) await lastValueFrom(this.sink.sendBatch$(records.slice(i, i + 1000)));
  }

  /** Runs one case: half the stream, the fault, the other half, then waits until every record is accounted for. */
  async runCase(spec: CaseSpec): Promise<FaultResult> {
    const clients = spec.clients ?? this.shared;
    const b = this.batch(spec.kind, clients);
    const logSizes = this.graphLogSize(clients);
    const poolLines = this.pools.get('graph-builder-pool')?.lines.length ?? 0;
    const topologyLines = this.topology.lines.length;
    this.log.info({ fault: spec.fault, records: b.first.length + b.rest.length, namespace: b.namespace }, 'fault case starting');
    await this.send(b.first);
    let restSent: Promise<void> | undefined;
    const ctx: FaultContext = {
      reached: async (fraction) => {
        await until(`${Math.round(fraction * 100)} % of ${clients[0]}'s first half in the graph`, async () => ((await this.reachedOf(b, clients[0])) >= (this.expectedOf(b, clients[0]) / 2) * fraction ? true : undefined), 120_000, 100);
      },
      sendRest: () => (restSent ??= this.send(b.rest)),
      normalized: async (fraction) => {
        await until(`${Math.round(fraction * 100)} % of ${clients[0]}'s records normalized`, () => (this.normalizedOf(b, clients[0]) >= this.expectedOf(b, clients[0]) * fraction ? true : undefined), 120_000, 20);
      },
    };
    const faultEnd = await spec.inject(ctx);
    await ctx.sendRest();
    const inCount = b.first.length + b.rest.length;
    const dlqOf = () => [...b.poisonKeys].filter((k) => this.dlq.has(k)).length;
    let reached = 0;
    const done = await until(
      `${spec.fault}: every record in the graph or the DLQ`,
      async () => {
        reached = 0;
        for (const c of clients) reached += await this.reachedOf(b, c);
        if (reached !== b.validKeys.size || dlqOf() !== b.poisonKeys.size) return undefined;
        // Logs: the graph counts each client's lines too (classified error lines, aggregated per pod and window).
        if (b.kind === 'logs') for (const c of clients) if ((await this.logLinesInGraph(b, c)) < this.expectedOf(b, c)) return undefined;
        return Date.now();
      },
      300_000,
      250,
    ).catch((err: Error) => {
      this.log.error({ fault: spec.fault, reached, expected: b.validKeys.size, dlq: dlqOf(), poison: b.poisonKeys.size }, 'not caught up');
      throw err;
    });
    // Let replays still in flight land before they are counted.
    await sleep(3000);
    reached = 0;
    for (const c of clients) reached += await this.reachedOf(b, c);
    let duplicates = 0;
    const notes: string[] = [];
    const logLines: FaultResult['logLines'] = [];
    if (b.kind === 'events') {
      const poolText = (this.pools.get('graph-builder-pool')?.lines.slice(poolLines) ?? []).filter((l) => clients.some((c) => l.includes(`"client":"${c}"`))).join('\n');
      const { rows, added } = graphReplays(`${this.graphLogSince(logSizes)}\n${poolText}`);
      duplicates = rows - added;
      const copies = this.normalizedEventCopies(b, clients);
      if (copies > 0) notes.push(`${copies} of them extra events.normalized copies (the normalizer's replays)`);
    } else if (b.kind === 'logs') {
      for (const v of this.normalizedLogs.values()) if (v.namespace === b.namespace) duplicates += v.copies - 1;
      for (const c of clients) {
        const counted = await this.logLinesInGraph(b, c);
        logLines.push({ client: c, counted, produced: this.expectedOf(b, c) });
        notes.push(`${c}'s log Events count ${counted.toLocaleString('en')} lines for ${this.expectedOf(b, c).toLocaleString('en')} produced`);
      }
    } else {
      let upserted = 0;
      for (const line of this.topology.lines.slice(topologyLines)) {
        if (!line.includes('"batch written"')) continue;
        try {
          for (const c of (JSON.parse(line) as { clients: Array<{ client: string; upserted: number }> }).clients) if (clients.includes(c.client)) upserted += c.upserted;
        } catch {
          /* partial */
        }
      }
      duplicates = Math.max(0, upserted - b.validKeys.size);
    }
    const dlqCopies = [...b.poisonKeys].reduce((n, k) => n + (this.dlq.get(k) ?? 0), 0);
    const extraDeadLetters = dlqCopies - dlqOf();
    notes.push(`${extraDeadLetters} extra dlq.raw copies`);
    const result: FaultResult = {
      fault: spec.fault,
      recordsIn: inCount,
      truncated: b.poisonKeys.size,
      reachedGraph: Math.min(reached, b.validKeys.size),
      deadLettered: dlqOf(),
      lost: inCount - Math.min(reached, b.validKeys.size) - dlqOf(),
      validDeadLettered: [...b.validKeys].filter((k) => this.dlq.has(k)).length,
      duplicates,
      extraNodes: Math.max(0, reached - b.validKeys.size),
      extraDeadLetters,
      logLines,
      recoverMs: done - faultEnd,
      notes,
    };
    this.log.info(result, 'fault case done');
    this.results.push(result);
    return result;
  }

  /** The baseline: the same stream with no fault; "recovery" is the catch-up from the middle of the stream. */
  noFault(): Promise<FaultResult> {
    return this.runCase({
      fault: 'no fault (baseline)',
      kind: 'events',
      inject: async (ctx) => {
        await ctx.reached(0.2);
        void ctx.sendRest();
        return Date.now();
      },
    });
  }

  /** kill -9 of one client's worker of `role`, once a fifth of the stream is in the graph. */
  killWorker(role: Role): Promise<FaultResult> {
    return this.runCase({
      fault: `kill -9 ${role}`,
      kind: role === 'log-normalizer' ? 'logs' : 'events',
      inject: async (ctx) => {
        let pid: number;
        if (role === 'graph-builder') {
          await ctx.reached(0.2);
          pid = await this.workerPid(this.shared[0], role);
        } else {
          // A normalizer outruns the graph: kill it while it writes the second half.
          pid = await this.workerPid(this.shared[0], role);
          void ctx.sendRest();
          await ctx.normalized(0.6);
        }
        process.kill(pid, 'SIGKILL');
        const at = Date.now();
        void ctx.sendRest();
        // The spawner restarts it.
        await until(`${role} restarted`, async () => ((await this.workerPid(this.shared[0], role).catch(() => pid)) !== pid ? true : undefined), 60_000, 200);
        return at;
      },
    });
  }

  /** kill -9 of the shared topology builder, restarted as its supervisor (compose, systemd) would. */
  killTopologyBuilder(): Promise<FaultResult> {
    return this.runCase({
      fault: 'kill -9 topology-builder',
      kind: 'resources',
      inject: async (ctx) => {
        await ctx.reached(0.2);
        const exited = this.topology.exited();
        this.topology.child.kill('SIGKILL');
        await exited;
        const at = Date.now();
        void ctx.sendRest();
        this.topology = new Component('topology-builder', this.topologyEnv, this.topology.lines);
        return at;
      },
    });
  }

  neo4jDown(): Promise<FaultResult> {
    return this.runCase({
      fault: `Neo4j down ${this.options.neo4jDownMs / 1000} s`,
      kind: 'events',
      inject: async (ctx) => {
        await ctx.reached(0.2);
        const down = Date.now();
        await stackDown(this.stack, this.log, ['neo4j']);
        await ctx.sendRest();
        await sleep(Math.max(0, this.options.neo4jDownMs - (Date.now() - down)));
        await stackUp(this.stack, this.log, ['neo4j']);
        return Date.now();
      },
    });
  }

  brokerRestart(): Promise<FaultResult> {
    return this.runCase({
      fault: 'broker restart',
      kind: 'events',
      inject: async (ctx) => {
        await ctx.reached(0.2);
        await stackDown(this.stack, this.log, ['kafka']);
        await stackUp(this.stack, this.log, ['kafka']);
        return Date.now();
      },
    });
  }

  /**
   * kill -9 of the control plane with live clients: its workers see their watch pipe close and stop;
   * a restarted control plane spawns each client's 3 workers again, no more (no duplicate, no orphan).
   */
  async killControlPlane(): Promise<FaultResult & { workersAfter: Array<{ client: string; role: string }>; orphansBeforeRestart: number }> {
    let orphansBeforeRestart = 0;
    let workersAfter: Array<{ client: string; role: string }> = [];
    const r = await this.runCase({
      fault: 'kill -9 control plane, restart',
      kind: 'events',
      inject: async (ctx) => {
        await ctx.reached(0.2);
        this.cp.child.kill('SIGKILL');
        await new Promise((res) => (this.cp.child.exitCode !== null || this.cp.child.signalCode !== null ? res(null) : this.cp.child.once('exit', res)));
        void ctx.sendRest();
        // The workers stop themselves (a graceful drain) once their watch pipe closes.
        await until('the dead control plane’s workers gone', () => (workerProcesses(this.shared).length === 0 ? true : undefined), 60_000, 250).catch(() => undefined);
        orphansBeforeRestart = workerProcesses(this.shared).length;
        this.cp = new ControlPlaneProcess(this.cpEnv);
        const at = Date.now();
        await until('the restarted control plane listening', () => this.cp.clients(), 90_000);
        const procs = await this.workersRunning(this.shared, 120_000);
        workersAfter = procs.map((p) => ({ client: p.client, role: p.role }));
        return at;
      },
    });
    // Still exactly 3 per client once everything settled.
    workersAfter = workerProcesses(this.shared).map((p) => ({ client: p.client, role: p.role }));
    r.notes.push(`${orphansBeforeRestart} worker processes left before the restart; ${workersAfter.length} after (3 per client)`);
    return { ...r, workersAfter, orphansBeforeRestart };
  }

  /**
   * `count` registrations at once past MAX_CLIENTS while both clients stream: the first ones up to the
   * cap are accepted, the rest rejected with the reason; no worker beyond the cap.
   */
  async registrationFlood(count: number): Promise<FaultResult & { accepted: string[]; rejected: number; rejectReasons: string[]; floodWorkers: number; maxWorkerProcesses: number }> {
    const ids = Array.from({ length: count }, (_, i) => `fm${this.run}f${i}`);
    this.flooders.push(...ids);
    let maxWorkerProcesses = 0;
    const rejectedBefore = this.cp.logged(/^rejected$/).length;
    const r = await this.runCase({
      fault: `registration flood (${count} past MAX_CLIENTS=${this.options.maxClients})`,
      kind: 'events',
      inject: async (ctx) => {
        await ctx.reached(0.2);
        await lastValueFrom(this.sink.sendBatch$(ids.map((id) => ({ topic: TOPICS.registry.name, key: id, value: Buffer.from(JSON.stringify({ client_id: id, cluster_name: `${id}-cluster`, k8s_version: '1.30' })) }))));
        const at = Date.now();
        void ctx.sendRest();
        await until('every flood registration decided', () => (this.cp.logged(/^rejected$/).length - rejectedBefore >= count - (this.options.maxClients - 2) ? true : undefined), 60_000, 250);
        for (let i = 0; i < 20; i++) {
          maxWorkerProcesses = Math.max(maxWorkerProcesses, workerProcesses([...this.shared, ...ids]).length);
          await sleep(250);
        }
        return at;
      },
    });
    const view = await this.cp.clients();
    const accepted = view.clients.filter((c) => ids.includes(c.client)).map((c) => c.client);
    const rejections = this.cp.logged(/^rejected$/).slice(rejectedBefore);
    const floodWorkers = workerProcesses(ids).length;
    maxWorkerProcesses = Math.max(maxWorkerProcesses, workerProcesses([...this.shared, ...ids]).length);
    r.notes.push(`${accepted.length} accepted up to the cap, ${rejections.length} rejected ("${String(rejections[0]?.reason ?? '')}"); at most ${maxWorkerProcesses} worker processes`);
    return { ...r, accepted, rejected: rejections.length, rejectReasons: rejections.map((l) => String(l.reason)), floodWorkers, maxWorkerProcesses };
  }

  /**
   * TENANCY=routed: the shared clients and the flood deregister, the control plane restarts in routed
   * mode beside a router, two new clients register.
   */
  async switchToRouted(): Promise<void> {
    for (const id of [...this.shared, ...this.flooders]) {
      this.heartbeats.silence(id);
      await this.sink.send({ topic: TOPICS.registry.name, key: id, value: null });
    }
    await until('the shared-mode workers removed', () => (workerProcesses([...this.shared, ...this.flooders]).length === 0 ? true : undefined), 120_000, 500);
    await this.cp.stop();
    // From the end of the shared topics: their shared-mode history names clients that now have no
    // topics, which the router would hold for ROUTER_UNREGISTERED_GRACE_SECONDS (ahead of the new
    // clients' records), then dead-letter. The restart after the kill resumes from the committed offsets.
    this.routerEnv = { KAFKA_BROKERS: this.connection.brokers, TENANCY: 'routed', ROUTER_GROUP: `router-${this.run}`, ROUTER_START: 'latest' };
    this.router = new Component('router', this.routerEnv);
    await until('the router assigned its partitions', () => (this.router!.lines.some((l) => l.includes('partitions assigned')) ? true : undefined), 60_000, 250);
    // Deregistered routed clients' topics go (the pooled phase's pools then do not read them).
    this.cpEnv = { ...this.cpEnv, TENANCY: 'routed', CONTROL_PLANE_GROUP_SUFFIX: `-${this.run}-routed`, TENANT_TOPICS_ON_REMOVE: 'delete' };
    this.cp = new ControlPlaneProcess(this.cpEnv);
    await until('the routed control plane listening', () => this.cp.clients(), 90_000);
    await this.heartbeats.register(...this.routed);
    await this.workersRunning(this.routed, 120_000);
  }

  /** kill -9 of the router mid-stream (between its produce and its offset commit), restarted as its supervisor would. */
  killRouter(): Promise<FaultResult> {
    return this.runCase({
      fault: 'kill -9 router (TENANCY=routed)',
      kind: 'events',
      clients: this.routed,
      inject: async (ctx) => {
        await ctx.reached(0.2);
        const r = this.router!;
        const exited = r.exited();
        r.child.kill('SIGKILL');
        await exited;
        const at = Date.now();
        void ctx.sendRest();
        this.router = new Component('router', this.routerEnv, r.lines);
        return at;
      },
    });
  }

  /**
   * WORKER_MODE=pooled: the routed clients deregister (their topics are deleted), the control plane
   * restarts in pooled mode (it spawns no worker), the three pools start beside the router, and two
   * new clients register; ready once the graph-builder pool has their topics assigned.
   */
  async switchToPooled(): Promise<void> {
    // Pooled needs TENANCY=routed (the router, per-client topics): from shared mode, switch to routed first.
    if (!this.router) await this.switchToRouted();
    for (const id of this.routed) {
      this.heartbeats.silence(id);
      await this.sink.send({ topic: TOPICS.registry.name, key: id, value: null });
    }
    await until('the routed workers removed', () => (workerProcesses(this.routed).length === 0 ? true : undefined), 120_000, 500);
    await this.cp.stop();
    this.cpEnv = { ...this.cpEnv, WORKER_MODE: 'pooled', CONTROL_PLANE_GROUP_SUFFIX: `-${this.run}-pooled` };
    this.cp = new ControlPlaneProcess(this.cpEnv);
    await until('the pooled control plane listening', () => this.cp.clients(), 90_000);
    this.poolEnv = { KAFKA_BROKERS: this.connection.brokers, NEO4J_URI: this.cpEnv.NEO4J_URI, KGROOT_CACHE_DIR: this.cpEnv.KGROOT_CACHE_DIR, TENANCY: 'routed', WORKER_MODE: 'pooled', POOL_TOPIC_REFRESH_MS: '1000', GRAPH_BATCH_MS: '100' };
    for (const role of POOL_ROLES) this.pools.set(role, new Component(role, this.poolEnv));
    await this.heartbeats.register(...this.pooled);
    const assigned = (role: PoolRole, topic: string) => this.pools.get(role)!.lines.some((l) => l.includes('"partitions assigned"') && l.includes(topic));
    await until(
      'the pools assigned the pooled clients\' topics',
      () => (this.pooled.every((c) => assigned('event-normalizer-pool', `${TOPICS.rawEvents.name}.${c}`) && assigned('graph-builder-pool', `${TOPICS.eventsNormalized.name}.${c}`)) ? true : undefined),
      120_000,
      250,
    );
    // No per-client worker in pooled mode.
    const procs = workerProcesses(this.pooled);
    if (procs.length > 0) throw new Error(`pooled mode spawned per-client workers: ${JSON.stringify(procs)}`);
  }

  /** kill -9 of one pool mid-stream (between its sink write and its commit), restarted as its supervisor would. */
  killPool(role: PoolRole): Promise<FaultResult> {
    return this.runCase({
      fault: `kill -9 ${role} (WORKER_MODE=pooled)`,
      kind: 'events',
      clients: this.pooled,
      inject: async (ctx) => {
        await ctx.reached(0.2);
        const p = this.pools.get(role)!;
        const exited = p.exited();
        p.child.kill('SIGKILL');
        await exited;
        const at = Date.now();
        void ctx.sendRest();
        this.pools.set(role, new Component(role, this.poolEnv, p.lines));
        return at;
      },
    });
  }

  async stop(): Promise<void> {
    this.heartbeats?.stop();
    for (const p of this.pools.values()) await p.stop().catch(() => undefined);
    await this.cp?.stop().catch(() => undefined);
    await this.router?.stop().catch(() => undefined);
    await this.topology?.stop().catch(() => undefined);
    this.collecting?.unsubscribe();
    await this.collector?.closed.catch(() => undefined);
    await this.sink?.close().catch(() => undefined);
    await this.driver?.close().catch(() => undefined);
    if (this.stack) await stackDown(this.stack, this.log);
    // The logs stay for a look afterwards; the brokers' and the graph's data go.
    if (this.topology) writeFileSync(join(this.tmp, 'topology-builder.log'), this.topology.lines.join('\n'));
    if (this.router) writeFileSync(join(this.tmp, 'router.log'), this.router.lines.join('\n'));
    for (const [role, p] of this.pools) writeFileSync(join(this.tmp, `${role}.log`), p.lines.join('\n'));
    if (this.cp) writeFileSync(join(this.tmp, 'control-plane.log'), this.cp.lines.join('\n'));
    rmSync(join(this.tmp, 'stack'), { recursive: true, force: true });
    this.log.info({ logs: this.tmp }, 'fault matrix stopped');
  }
}
