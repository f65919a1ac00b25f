import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import neo4j from 'neo4j-driver';
import { Subscription } from 'rxjs';
import { eventNormalizer } from '../../../pipelines/eventNormalizer/eventNormalizer';
import { graphBuilder } from '../../../pipelines/graphBuilder/graphBuilder';
import { logNormalizer } from '../../../pipelines/logNormalizer/logNormalizer';
import { topologyBuilder } from '../../../pipelines/topologyBuilder/topologyBuilder';
import { rootCauses, Statement } from '../../graph/cypher';
import { deleteTopic, ensureTopics } from '../../kafka/admin';
import { KafkaConnection, loadKafkaConnection } from '../../kafka/kafkaConfig';
import { KafkaSink } from '../../kafka/kafkaSink';
import { KafkaSource } from '../../kafka/kafkaSource';
import { Logger } from '../../log/logger';
import { GraphStore } from '../../neo4j/graphStore';
import { loadNeo4jConfig } from '../../neo4j/neo4jConfig';
import { isTransientGraphError } from '../../neo4j/neo4jErrors';
import { Answer, CauseLike } from './evaluate';
import { feedRecords, FeedTopics } from './feed';
import type { Corpus } from './generate';
import { settled } from '../../runner/settle';

/**
 * A corpus fed through the real stack, in one process, on the local Kafka and Neo4j: the event and
 * log normalizer pipelines (raw → normalized Avro), the topology builder (objects → resources and
 * topology) and the graph builder (normalized events, logs, alerts → the client's graph), each on
 * its own consumer group over topics unique to the run. Records are produced in their time order,
 * paced (`speedup` × real time), keyed as a client's agent keys them; `waitProcessed` returns once
 * every record went through every stage. Answers come from the rca command (contract:
 * `rca --client C --alert FP --json`) or, where it does not take `--alert` yet, from the
 * `rootCauses` statement on the alert's event (the baseline adapter).
 */
export interface ReplayTopics extends FeedTopics {
  eventsNormalized: string;
  logsNormalized: string;
  topology: string;
  dlq: string;
}

export interface Produced {
  events: number;
  logs: number;
  resources: number;
  alerts: number;
}

export class StackReplay {
  private subs: Subscription[] = [];
  private sources: Record<'topology' | 'events' | 'logs' | 'graph', KafkaSource>;
  private normalized = { events: 0, logs: 0, eventsDead: 0, logsDead: 0 };
  /** Events the topology builder derived from object state and produced to the normalized events topic. */
  private evidence = 0;
  private failures: string[] = [];
  readonly produced: Produced = { events: 0, logs: 0, resources: 0, alerts: 0 };
  graphDeadLettered = 0;

  private constructor(
    readonly client: string,
    readonly topics: ReplayTopics,
    readonly store: GraphStore,
    private readonly sink: KafkaSink,
    private readonly connection: KafkaConnection,
    private readonly log: Logger,
    run: string,
  ) {
    const src = (name: string, list: string[], batchSize = 500) => new KafkaSource({ connection, groupId: `${run}-${name}`, topics: list, maxInFlight: 4000, batchSize }, log);
    this.sources = {
      topology: src('topology', [topics.resources, topics.topology]),
      events: src('events', [topics.events], 250),
      logs: src('logs', [topics.logs], 250),
      graph: src('graph', [topics.eventsNormalized, topics.logsNormalized, topics.alerts]),
    };
    const fail = (what: string) => (err: unknown) => this.failures.push(`${what}: ${(err as Error).message}`);
    const norm = { maxValueBytes: 1024 * 1024, maxMessageChars: 4096, progressEveryRecords: 1e9, progressIntervalMs: 3_600_000 };
    // Evidence derived from object state (once the topology builder makes it) goes to this run's normalized events.
    const topologyConfig = { topics: { resources: topics.resources, topology: topics.topology }, maxBatchMs: 100, eventsTopic: topics.eventsNormalized };
    this.subs.push(
      topologyBuilder(
        { records$: this.sources.topology.records$ },
        { writeTopology: (b) => store.writeTopology$(b), send: (o) => sink.send$(o.topic === topics.eventsNormalized ? o : { ...o, topic: topics.dlq }), isTransient: isTransientGraphError },
        topologyConfig,
      ).pipe(settled()).subscribe({
        next: (e) => {
          if (e.kind === 'topology/batch-written') this.evidence += (e as { evidence?: number }).evidence ?? 0;
        },
        error: fail('topology builder'),
      }),
      eventNormalizer({ batches$: this.sources.events.batches$ }, { sendBatch: (o) => sink.sendBatch$(o) }, { clientId: client, outputTopic: topics.eventsNormalized, ...norm }).pipe(settled()).subscribe({
        next: (e) => {
          if (e.kind !== 'normalizer/batch') return;
          this.normalized.events += e.normalized;
          this.normalized.eventsDead += e.deadLettered.length;
        },
        error: fail('event normalizer'),
      }),
      logNormalizer({ batches$: this.sources.logs.batches$ }, { sendBatch: (o) => sink.sendBatch$(o) }, { clientId: client, outputTopic: topics.logsNormalized, templateMaxClusters: 5000, ...norm }).pipe(settled()).subscribe({
        next: (e) => {
          if (e.kind !== 'normalizer/batch') return;
          this.normalized.logs += e.normalized;
          this.normalized.logsDead += e.deadLettered.length;
        },
        error: fail('log normalizer'),
      }),
      graphBuilder(
        { records$: this.sources.graph.records$ },
        { writeEvents: (b) => store.writeEvents$(b), send: (o) => sink.send$({ ...o, topic: topics.dlq }), isTransient: isTransientGraphError },
        { client, topics: { events: topics.eventsNormalized, logs: topics.logsNormalized, alerts: topics.alerts }, maxBatchMs: 100, maxBatchesInFlight: 2 },
      ).pipe(settled()).subscribe({
        next: (e) => {
          if (e.kind === 'graph/dead-lettered') {
            this.graphDeadLettered++;
            log.warn({ reason: e.reason }, 'graph builder dead-lettered a corpus record');
          }
        },
        error: fail('graph builder'),
      }),
    );
  }

  static async start(o: { run: string; client: string; log: Logger; partitions?: number }): Promise<StackReplay> {
    const connection = loadKafkaConnection(process.env, `kgroot-replay-${o.run}`);
    const p = (s: string) => `kgreplay-${o.run}-${s}`;
    const topics: ReplayTopics = { events: p('raw-events'), logs: p('raw-logs'), resources: p('resources'), alerts: p('alerts'), eventsNormalized: p('events'), logsNormalized: p('logs'), topology: p('topology'), dlq: p('dlq') };
    await ensureTopics(connection, o.log, Object.values(topics).map((name) => ({ name, key: '', compacted: false, retentionMs: 6 * 3_600_000, partitions: o.partitions ?? 3 })));
    const store = await GraphStore.connect(loadNeo4jConfig(process.env), o.log);
    await store.prepareClient(o.client);
    const sink = await KafkaSink.connect({ connection }, o.log);
    return new StackReplay(o.client, topics, store, sink, connection, o.log, o.run);
  }

  /** Produces the corpus in time order, `speedup` times faster than real time (Infinity: as fast as possible). */
  async feed(c: Corpus, speedup: number): Promise<void> {
    const t0 = performance.now();
    const pending: Promise<unknown>[] = [];
    for (const r of c.records) {
      const due = (r.at - c.start) / speedup;
      const wait = due - (performance.now() - t0);
      if (wait > 5) await new Promise((res) => setTimeout(res, wait));
      for (const rec of feedRecords(this.client, r, this.topics)) {
        pending.push(this.sink.send(rec));
        if (r.topic === 'event') this.produced.events++;
        else if (r.topic === 'log') this.produced.logs++;
        else if (r.topic === 'resource') this.produced.resources++;
        else this.produced.alerts++;
      }
      if (pending.length >= 5000) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  }

  /** Waits until every produced record went through every stage (acked by each consumer). */
  async waitProcessed(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const acked = (s: KafkaSource) => s.stats().acked;
    for (;;) {
      if (this.failures.length > 0) throw new Error(`pipeline failed: ${this.failures.join('; ')}`);
      const normDone = acked(this.sources.events) >= this.produced.events && acked(this.sources.logs) >= this.produced.logs;
      const graphWant = this.normalized.events + this.normalized.logs + this.produced.alerts + this.evidence;
      if (normDone && acked(this.sources.topology) >= this.produced.resources && acked(this.sources.graph) >= graphWant && this.sources.graph.stats().inFlight === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `not processed after ${timeoutMs} ms: topology ${acked(this.sources.topology)}/${this.produced.resources}, events ${acked(this.sources.events)}/${this.produced.events}, logs ${acked(this.sources.logs)}/${this.produced.logs}, graph ${acked(this.sources.graph)}/${graphWant}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  stats(): { produced: Produced; normalized: { events: number; logs: number; eventsDead: number; logsDead: number }; evidence: number; graphDeadLettered: number } {
    return { produced: { ...this.produced }, normalized: { ...this.normalized }, evidence: this.evidence, graphDeadLettered: this.graphDeadLettered };
  }

  /** The baseline adapter: the alert's event by fingerprint, then today's `rootCauses` statement. */
  async answerByStatement(id: string, fingerprint: string, limit = 10): Promise<Answer> {
    const t = performance.now();
    const rows = await this.store.read(this.client, {
      text: "MATCH (a:Event {client: $client}) WHERE a.source = 'alert' AND a.eid STARTS WITH $prefix RETURN a.eid AS eid ORDER BY a.ts ASC LIMIT 1",
      params: { client: this.client, prefix: `alert:${fingerprint}:` },
    });
    if (rows.length === 0) return { id, alertFound: false, causes: [], ms: performance.now() - t };
    const causes = await this.store.read(this.client, rootCauses(this.client, rows[0].eid as string, limit));
    return {
      id,
      alertFound: true,
      causes: causes.map((r) => ({ reason: r.reason as string, resource: (r.rid as string | null) ?? null, eid: r.eid as string, score: neo4j.isInt(r.score) ? (r.score as { toNumber(): number }).toNumber() : Number(r.score) })),
      ms: performance.now() - t,
    };
  }

  /** The eid of the truth's root event in the graph (for `rca confirm`), or null. */
  async rootEventOf(rid: string, reasons: readonly string[], from: number): Promise<string | null> {
    const rows = await this.store.read(this.client, {
      text: 'MATCH (e:Event {client: $client})-[:ABOUT]->(:Resource {client: $client, rid: $rid}) WHERE e.reason IN $reasons AND e.ts >= $from RETURN e.eid AS eid ORDER BY e.ts ASC LIMIT 1',
      params: { client: this.client, rid, reasons: [...reasons], from },
    });
    return rows.length > 0 ? (rows[0].eid as string) : null;
  }

  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    await Promise.all(Object.values(this.sources).map((s) => s.closed));
  }

  /** Removes this run's graph and topics. */
  async cleanup(): Promise<void> {
    const session = this.store.driver.session();
    try {
      for (const label of ['Event', 'Resource', 'Peer']) await session.run(`MATCH (n:${label} {client: $c}) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS`, { c: this.client });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'replay cleanup failed');
    } finally {
      await session.close();
    }
    await this.sink.close();
    await this.store.close();
    for (const t of Object.values(this.topics)) await deleteTopic(this.connection, t).catch(() => undefined);
  }
}

/** The built CLI (dist/src/cli.js), from the compiled file or from the sources under ts-jest. */
export function cliPath(): string {
  const compiled = join(__dirname, '..', '..', 'cli.js');
  return existsSync(compiled) ? compiled : join(__dirname, '..', '..', '..', 'dist', 'src', 'cli.js');
}

/**
 * The rca command's answer (contract: `rca --client C --alert FP --json`): `contract` when it printed
 * the contract's shape, `legacy` when it printed something else (a command that ignores --alert),
 * `failed` (non-zero exit, the message on stderr) otherwise.
 */
export function answerByCommand(client: string, id: string, fingerprint: string, extraArgs: string[] = []): Promise<{ kind: 'contract' | 'legacy' | 'failed'; answer: Answer }> {
  const t = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath(), 'rca', '--client', client, '--alert', fingerprint, '--json', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      const ms = performance.now() - t;
      let j: { alert?: unknown; causes?: CauseLike[] } | undefined;
      try {
        j = JSON.parse(out);
      } catch {
        j = undefined;
      }
      if (code === 0 && j && j.alert !== undefined) return resolve({ kind: 'contract', answer: { id, alertFound: true, causes: j.causes ?? [], ms } });
      if (code === 0 && j) return resolve({ kind: 'legacy', answer: { id, alertFound: false, causes: [], ms } });
      resolve({ kind: 'failed', answer: { id, alertFound: false, causes: [], ms, error: err.trim().split('\n').pop() ?? `exit ${code}` } });
    });
  });
}

/** `rca confirm --client C --alert FP --cause EID` (ranking helper's FEKG learning); false when the command does not exist yet. */
export function confirmByCommand(client: string, fingerprint: string, causeEid: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath(), 'rca', 'confirm', '--client', client, '--alert', fingerprint, '--cause', causeEid], { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, LOG_LEVEL: 'warn' } });
    child.on('exit', (code) => resolve(code === 0));
  });
}

export type AnswerMode = 'in-process' | 'command' | 'statement';

/** What src/rca/answer.ts offers once the ranking work is merged (loaded at run time: it may not exist yet). */
interface RcaModule {
  answerAlert(reader: { readRca(client: string, s: Statement): Promise<Array<Record<string, unknown>>> }, client: string, fp: string, opts?: { rank?: { fekg?: boolean; limit?: number } }): Promise<{ causes: CauseLike[] }>;
  confirmCause?(writer: unknown, client: string, fp: string, causeEid: string): Promise<unknown>;
}

function loadRcaModule(): RcaModule | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require('../../rca/answer') as Partial<RcaModule>;
    return typeof m.answerAlert === 'function' ? (m as RcaModule) : null;
  } catch {
    return null;
  }
}

export interface Answerer {
  mode: AnswerMode;
  answer: (t: { id: string; alert: { fingerprint: string } }, o?: { fekg?: boolean }) => Promise<Answer>;
  /** Confirms the true root of an answered incident (FEKG learning); absent where `rca confirm` does not exist. */
  confirm?: (t: { alert: { fingerprint: string } }, causeEid: string) => Promise<boolean>;
}

/**
 * How to ask for answers: the rca functions in this process (src/rca/answer.ts: `answerAlert`,
 * `confirmCause`) when they exist, else the rca command when it follows the contract (probed with
 * one alert), else the baseline adapter over the `rootCauses` statement.
 */
export async function answerer(replay: StackReplay, probe: { alert: { fingerprint: string }; id: string }, limit = 10): Promise<Answerer> {
  const store = replay.store as unknown as { read(c: string, s: Statement): Promise<Array<Record<string, unknown>>>; readRca?: unknown; writeRca?: unknown };
  const rca = loadRcaModule();
  if (rca) {
    const reader = typeof store.readRca === 'function' ? (store as never) : { readRca: (c: string, st: Statement) => store.read(c, st) };
    return {
      mode: 'in-process',
      answer: async (t, o = {}) => {
        const started = performance.now();
        try {
          const a = await rca.answerAlert(reader, replay.client, t.alert.fingerprint, { rank: { limit, ...(o.fekg === false ? { fekg: false } : {}) } });
          return { id: t.id, alertFound: true, causes: a.causes, ms: performance.now() - started };
        } catch (err) {
          return { id: t.id, alertFound: false, causes: [], ms: performance.now() - started, error: (err as Error).message };
        }
      },
      confirm:
        rca.confirmCause && typeof store.writeRca === 'function'
          ? async (t, eid) => {
              try {
                await rca.confirmCause!(store, replay.client, t.alert.fingerprint, eid);
                return true;
              } catch {
                return false;
              }
            }
          : undefined,
    };
  }
  const p = await answerByCommand(replay.client, probe.id, probe.alert.fingerprint);
  if (p.kind === 'contract') {
    return {
      mode: 'command',
      answer: async (t, o = {}) => (await answerByCommand(replay.client, t.id, t.alert.fingerprint, o.fekg === false ? ['--no-fekg'] : [])).answer,
      confirm: (t, eid) => confirmByCommand(replay.client, t.alert.fingerprint, eid),
    };
  }
  return { mode: 'statement', answer: (t) => replay.answerByStatement(t.id, t.alert.fingerprint, limit) };
}
