import { randomUUID } from 'node:crypto';
import neo4j, { Driver, ManagedTransaction, Session } from 'neo4j-driver';
import { defer, lastValueFrom, Observable } from 'rxjs';
import { CausalMemory } from '../graph/causalMemory';
import { placeEdges, planCausalEdges, StoredWithRefs, WrittenRef } from '../graph/causalPlan';
import { CausalEdgeOptions, CausalEdgeRow, causalEdges } from '../graph/causality';
import { capCauses, StoredCause } from '../graph/causeCap';
import { CausalEdgeRef, causalEdgesById, causalEdgeUpserts, completionCandidates, datedAsStored, storedTimes, dropCauses, incomingCauses, inferredCallWrites, pruneCauses, eventBatchWrite, storedCandidates, GRAPH_COUNTS, inLockOrder, linkSignature, linkSignatures, publishedTopology, relatedOf, resourceDeletes, resourceUpserts, SCHEMA_STATEMENTS, Statement, topologyArea, topologyClockBump, topologyClockHold, TOPOLOGY_CLOCK_READ } from '../graph/cypher';
import { completionPairs, relatedDelta, RelatedSets, relatedSetsOf } from '../graph/topologyCompletion';
import { EventRow } from '../graph/eventRows';
import { InferredCallRow } from '../graph/callInference';
import { alertNode, causeFeedback, eventSubgraph, hasGraph, incidentsOf, recordAnswer, resourcesAround } from '../graph/readCypher';
import { PublishedEdge, ResourceRow } from '../graph/k8sObject';
import { Logger } from '../log/logger';
import { AgentTopologyOps } from '../agent/agentTopology';
import { socketsNoDelay } from './socketNoDelay';
import { EVIDENCE_WINDOW_MS } from '../rca/answer';
import { AgentWriteCounts, applyAgentTopology, planAgentTopology } from '../agent/agentCypher';
import { IsolationMode, Neo4jConfig } from './neo4jConfig';
import { ensureSchemaRule, UNSUPPORTED_ADMINISTRATION } from './neo4jErrors';
import { checkAtLeast, checkBetween } from '../config/options';
import type { Service } from '../domain/service';

/** ALERT_LOOKBACK_SECONDS's default (the graph builder's causal search and the rca answer read the same). */
export const DEFAULT_ALERT_LOOKBACK_SECONDS = 1800;

/** The causal search's defaults, the one place they live (the graph-builder command reads CAUSAL_* over them). */
export const CAUSAL_DEFAULTS: CausalSearchOptions = {
  windowMs: 300_000,
  alertLookbackMs: DEFAULT_ALERT_LOOKBACK_SECONDS * 1000,
  minConfidence: 0.1,
  maxCausesPerEffect: 5,
  maxCandidates: 50,
  memoryEvents: 200_000,
  topologyTtlMs: 10_000,
};

/** The causal search's options, checked before the store uses them (kafkajs-style messages). */
export function checkCausalOptions(o: CausalSearchOptions): void {
  checkAtLeast('windowMs', o.windowMs, 1);
  checkAtLeast('alertLookbackMs', o.alertLookbackMs, o.windowMs);
  checkBetween('minConfidence', o.minConfidence, 0, 1, false);
  checkAtLeast('maxCausesPerEffect', o.maxCausesPerEffect, 1);
  checkAtLeast('maxCandidates', o.maxCandidates, 1);
  checkAtLeast('memoryEvents', o.memoryEvents, 0);
  checkAtLeast('topologyTtlMs', o.topologyTtlMs, 0);
}

/**
 * A GraphStore connected on first use, for a process that must not wait for Neo4j at start (the
 * control plane's API): `get()` connects (waiting up to `waitMs`), a failed connection is tried
 * again on the next `get()`; `shutdown()` closes what was connected, and is safe when nothing was.
 */
export function lazyGraphStore(config: Neo4jConfig, log: Logger, waitMs = 5_000): { get(): Promise<GraphStore>; shutdown(): Promise<void> } {
  let store: Promise<GraphStore> | undefined;
  return {
    get: () => {
      if (!store) {
        store = GraphStore.connect(config, log, {}, waitMs);
        store.catch(() => (store = undefined));
      }
      return store;
    },
    shutdown: async () => {
      const s = store;
      store = undefined;
      if (s) await (await s.catch(() => undefined))?.close();
    },
  };
}

/** One client's events to write in one transaction. */
export interface EventBatch {
  client: string;
  rows: readonly EventRow[];
  /** The peers the batch's error logs name (src/graph/callInference.ts): CALLS edges inferred in the same transaction. */
  calls?: readonly InferredCallRow[];
}

/** How causal candidates are found: `maxCandidates` per event; with `memoryEvents` > 0, in a per-client {@link CausalMemory}. */
export interface CausalSearchOptions extends CausalEdgeOptions {
  maxCandidates: number;
  /** Most stored events a client's candidate memory holds; 0 searches in Neo4j for every batch. */
  memoryEvents: number;
  /** How long a resource's related set is trusted before it is read again, ms. */
  topologyTtlMs: number;
}

export interface EventWriteResult {
  rows: number;
  eventsAdded: number;
  causalEdgesAdded: number;
  /** Candidate pairs examined and edges merged (new or not). */
  candidates: number;
  causalEdges: number;
  /** Where the candidates came from: the client's memory, or a search in Neo4j (memory off, or the range too large to hold). */
  search: 'memory' | 'neo4j';
  /** Of `causalEdges`, those to events of an earlier batch still in flight, written after it ended. */
  deferredEdges: number;
  /** CALLS edges the batch's logs completed (a pod naming a Service already known), inferred. */
  callsInferred?: number;
  writeMs: number;
}

/** One client's topology changes; `published` undefined = no change of the published edge set. */
export interface TopologyBatch {
  client: string;
  upserts: readonly ResourceRow[];
  deletes: readonly string[];
  published?: readonly PublishedEdge[] | null;
  /** The kg-rca-agent's resource and edge records (src/agent). */
  agent?: AgentTopologyOps;
}

export interface TopologyWriteResult {
  client: string;
  upserted: number;
  deleted: number;
  /** Resources whose relations may have changed (new, stub, other links, deleted, published edge ends). */
  changed?: number;
  /** POTENTIAL_CAUSE edges created between stored events on resources this batch newly related. */
  causalEdgesAdded?: number;
  writeMs: number;
  /** What the agent's records did (unchangedInGraph: rows skipped because the stored hash was theirs). */
  agent?: AgentWriteCounts;
}

export interface GraphCounts {
  resources: number;
  events: number;
  about: number;
  causes: number;
  topology: number;
}

/**
 * The Neo4j adapter: one driver, per-client isolation (a database per client, or the shared
 * database with the client on every node), constraints and indexes created once per database,
 * and batch writes as cold Observables (`defer`), each one transaction with the driver's managed
 * retries (`executeWrite`).
 *
 * @example
 *   const store = await GraphStore.connect(loadNeo4jConfig(process.env), log);
 *   await store.prepareClient('acme');
 *   store.writeEvents$({ client: 'acme', rows }).subscribe(...)
 */
export class GraphStore implements Service {
  private resolvedMode: Promise<IsolationMode> | undefined;
  private readonly prepared = new Map<string, Promise<string | undefined>>();
  private readonly schemaDone = new Map<string, Promise<void>>();
  private readonly memories = new Map<string, CausalMemory>();
  /** Per client, the batches in flight (by start number) and a promise of each one's end. */
  private readonly flights = new Map<string, { inFlight: Map<number, Promise<void>>; started: Map<string, { seq: number; eids: string[] }> }>();
  private flightSeq = 0;

  private constructor(
    readonly driver: Driver,
    private readonly config: Neo4jConfig,
    private readonly log: Logger,
    readonly causal: CausalSearchOptions,
    private readonly waitMs = 60_000,
  ) {}

  /** Connects and checks the server answers (retrying for up to `waitMs`): create, then start. */
  static async connect(config: Neo4jConfig, log: Logger, causal: Partial<CausalSearchOptions> = {}, waitMs = 60_000): Promise<GraphStore> {
    const store = GraphStore.create(config, log, causal, waitMs);
    await store.start();
    return store;
  }

  /** A store whose options are checked and whose driver is created (it connects on first use): `start()` waits for the server. */
  static create(config: Neo4jConfig, log: Logger, causal: Partial<CausalSearchOptions> = {}, waitMs = 60_000): GraphStore {
    const search = { ...CAUSAL_DEFAULTS, ...causal };
    checkCausalOptions(search);
    checkAtLeast('waitMs', waitMs, 0);
    checkAtLeast('maxConnectionPoolSize', config.maxConnectionPoolSize, 1);
    checkAtLeast('maxTransactionRetryTimeMs', config.maxTransactionRetryTimeMs, 0);
    socketsNoDelay();
    const driver = neo4j.driver(config.uri, config.auth ? neo4j.auth.basic(config.auth.user, config.auth.password) : undefined, {
      disableLosslessIntegers: true,
      maxTransactionRetryTime: config.maxTransactionRetryTimeMs,
      maxConnectionPoolSize: config.maxConnectionPoolSize,
      connectionAcquisitionTimeout: 30_000,
      logging: { level: 'error', logger: (_level, message) => log.debug({ neo4j: message }, 'neo4j driver') },
    });
    return new GraphStore(driver, config, log, search, waitMs);
  }

  private started: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;

  /** Waits until the server answers (retrying for up to the `waitMs` given at creation); on timeout the driver is closed and the promise rejects. */
  start(): Promise<void> {
    this.started ??= (async () => {
      const deadline = Date.now() + this.waitMs;
      for (;;) {
        if (this.stopped) throw new Error('GraphStore shut down while starting');
        try {
          await this.driver.getServerInfo();
          return;
        } catch (err) {
          if (Date.now() > deadline) {
            await this.shutdown();
            throw new Error(`Neo4j at ${this.config.uri} did not answer within ${this.waitMs} ms: ${(err as Error).message}`);
          }
          this.log.warn({ uri: this.config.uri, err: (err as Error).message }, 'waiting for Neo4j');
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    })();
    return this.started;
  }

  /** Closes the driver once (sessions end, the pool closes); safe without start, and a second call waits for the first. */
  shutdown(): Promise<void> {
    this.stopped ??= this.driver.close();
    return this.stopped;
  }

  /** The isolation mode, resolved once: configured, or for `auto` by trying CREATE DATABASE for `client`. */
  mode(client: string): Promise<IsolationMode> {
    if (!this.resolvedMode) {
      this.resolvedMode = this.resolveMode(client);
      this.resolvedMode.catch(() => (this.resolvedMode = undefined));
    }
    return this.resolvedMode;
  }

  private async resolveMode(client: string): Promise<IsolationMode> {
    if (this.config.isolation === 'shared') {
      this.log.info({ isolation: 'shared', configured: true }, 'graph isolation: shared database, client id on every node and relationship');
      return 'shared';
    }
    try {
      await this.createDatabase(this.databaseName(client));
      this.log.info({ isolation: 'database', configured: this.config.isolation === 'database' }, 'graph isolation: one database per client');
      return 'database';
    } catch (err) {
      if (this.config.isolation === 'auto' && (err as { code?: string }).code === UNSUPPORTED_ADMINISTRATION) {
        this.log.info(
          { isolation: 'shared', detected: true, reason: 'CREATE DATABASE unsupported (Neo4j Community)' },
          'graph isolation: shared database (detected), client id on every node and relationship',
        );
        return 'shared';
      }
      throw err;
    }
  }

  private databaseName(client: string): string {
    return this.config.database ?? client;
  }

  private async createDatabase(name: string): Promise<void> {
    const session = this.driver.session({ database: 'system' });
    try {
      await session.run('CREATE DATABASE $name IF NOT EXISTS WAIT', { name });
    } finally {
      await session.close();
    }
  }

  /**
   * Makes `client`'s graph ready: its database (database mode) and the constraints and indexes.
   * Idempotent and memoized; resolves with the database name (undefined = the server default).
   */
  prepareClient(client: string): Promise<string | undefined> {
    let p = this.prepared.get(client);
    if (!p) {
      p = (async () => {
        const mode = await this.mode(client);
        let database: string | undefined;
        if (mode === 'database') {
          database = this.databaseName(client);
          await this.createDatabase(database);
        } else {
          database = this.config.sharedDatabase;
        }
        await this.ensureSchema(database);
        return database;
      })();
      p.catch(() => this.prepared.delete(client));
      this.prepared.set(client, p);
    }
    return p;
  }

  private ensureSchema(database: string | undefined): Promise<void> {
    const key = database ?? '';
    let p = this.schemaDone.get(key);
    if (!p) {
      p = (async () => {
        const session = this.driver.session({ database });
        try {
          for (const s of SCHEMA_STATEMENTS) {
            await ensureSchemaRule(() => session.run(s).then(() => undefined), (attempt, err) => this.log.warn({ database: database ?? '(default)', attempt, code: (err as { code?: string }).code }, 'schema statement retried'));
          }
          await session.run('CALL db.awaitIndexes(300)');
        } finally {
          await session.close();
        }
        this.log.info({ database: database ?? '(default)', statements: SCHEMA_STATEMENTS.length }, 'constraints and indexes ensured');
      })();
      p.catch(() => this.schemaDone.delete(key));
      this.schemaDone.set(key, p);
    }
    return p;
  }

  private async write<T>(client: string, work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    const database = await this.prepareClient(client);
    const session: Session = this.driver.session({ database, defaultAccessMode: neo4j.session.WRITE });
    try {
      return await session.executeWrite(work);
    } finally {
      await session.close();
    }
  }

  /**
   * Drops what this store holds for `client` in memory (its candidate memory), when none of its
   * batches is in flight: a pooled graph builder calls it for a client gone quiet. A later batch of
   * the client starts a new memory, which reads from Neo4j what it lacks, as after a restart.
   * Returns whether it was dropped (false: a batch of the client is in flight, or there was nothing).
   */
  releaseClient(client: string): boolean {
    if (this.flights.has(client)) return false;
    return this.memories.delete(client);
  }

  /** The client's candidate memory (created on first use); undefined when memory is off. */
  memoryOf(client: string): CausalMemory | undefined {
    if (this.causal.memoryEvents <= 0) return undefined;
    let m = this.memories.get(client);
    if (!m) {
      const { windowMs, alertLookbackMs, maxCandidates, memoryEvents: maxEvents, topologyTtlMs } = this.causal;
      m = new CausalMemory(client, { windowMs, alertLookbackMs, maxCandidates, maxEvents, topologyTtlMs, isolatedTtlMs: Math.min(1000, topologyTtlMs) });
      this.memories.set(client, m);
    }
    return m;
  }

  /**
   * Writes a batch of events in one transaction: first the causal candidates among the stored
   * events — from the client's {@link CausalMemory} (reading only what it lacks), or searched in
   * Neo4j before the writes (memory off, or a range too large to hold) — then the events and their
   * ABOUT edges, then the pairs inside the batch and the scoring in code ({@link planCausalEdges},
   * {@link causalEdges}), then the POTENTIAL_CAUSE edges, addressed by element id. Rows go in
   * resource order so concurrent batches lock shared resources in the same order. After the commit
   * the memory takes in the batch's events. Cold: runs on subscribe.
   *
   * Batches in flight at once (a client's batches are numbered as they start) see what a serial
   * run would: an earlier batch's events are candidates from the start (held in memory while its
   * transaction runs), and the edges to them — which this transaction cannot see — are written by
   * event id in a second transaction once every earlier batch has ended. The Neo4j search cannot
   * see them, so it first waits for the earlier batches (its transaction holds no lock by then).
   * The result comes after that second transaction, so the records are acked only when every edge
   * of theirs is stored.
   */
  writeEvents$(batch: EventBatch): Observable<EventWriteResult> {
    return defer(async () => {
      const started = performance.now();
      const batchId = randomUUID();
      const batchRows = inLockOrder(batch.rows);
      const memory = this.memoryOf(batch.client);
      const flight = this.beginFlight(batch.client, batchId);
      memory?.hold(flight.seq, batchRows);
      const once = (searchInNeo4j: boolean, lastTry: boolean) =>
        this.write(batch.client, async (tx) => {
          const [clock] = await run(tx, { text: TOPOLOGY_CLOCK_READ, params: { client: batch.client } });
          // A later copy of a stored event (a log window's next line, an Event seen again) pairs from the stored first time.
          const times = storedTimes(batch.client, batchRows);
          const rows = times ? datedAsStored(batchRows, new Map((await run(tx, times)).map((r) => [String(r.eid), Number(r.ts)]))) : batchRows;
          if (times) memory?.hold(flight.seq, rows);
          const fromMemory = searchInNeo4j || !memory ? null : await memory.prepare(rows, (s) => run(tx, s), flight.seq, flight.seqOf);
          // Too much to hold: leave (nothing written yet) and search in Neo4j once the earlier batches ended.
          if (!fromMemory && !searchInNeo4j) throw NEEDS_SEARCH;
          const cand = fromMemory ? null : storedCandidates(batch.client, rows, this.causal.windowMs, this.causal.maxCandidates, flight.later(), flight.earlierEids(), this.causal.alertLookbackMs);
          const stored = fromMemory ?? (cand ? ((await run(tx, cand)) as unknown as StoredWithRefs[]) : []);
          const [w] = await run(tx, eventBatchWrite(batch.client, batchId, rows));
          let callsInferred = 0;
          for (const st of inferredCallWrites(batch.client, batch.calls ?? [])) callsInferred += await created(tx, st);
          // New relations: the candidate memories read the related sets again.
          if (callsInferred > 0) await run(tx, topologyClockBump(batch.client));
          const written = (w?.refs ?? []) as WrittenRef[];
          // The plan is plain code over what was read and written; this runs its statements.
          const plan = planCausalEdges(rows, stored, written, this.causal);
          const { proposed, old } = plan;
          // Effects stored before this batch may hold causes already: the cap counts them too.
          const capped = old.length === 0 ? { edges: proposed, dropped: 0 } : await this.capOverGraph(tx, batch.client, proposed, old);
          const { now, later } = placeEdges(capped.edges, plan.refs);
          // Net: edges displaced by stronger causes count against those created.
          let edgesAdded = -capped.dropped;
          for (const s of causalEdgeUpserts(batch.client, now)) edgesAdded += await created(tx, s);
          // Relations committed by the topology builder while this ran are not in its candidates:
          // write the batch again (its completion could not see these events either).
          const [held] = await run(tx, topologyClockHold(batch.client));
          if (!lastTry && Number(held?.version ?? -1) !== Number(clock?.version ?? -1)) throw TOPOLOGY_MOVED;
          const search: EventWriteResult['search'] = fromMemory ? 'memory' : 'neo4j';
          return { eventsAdded: Number(w?.added ?? 0), causalEdgesAdded: edgesAdded, candidates: plan.pairs, causalEdges: now.length + later.length, search, later, written, old, ...(callsInferred > 0 ? { callsInferred } : {}) };
        });
      const attempt = async (searchInNeo4j: boolean) => {
        for (let i = 1; ; i++) {
          try {
            return await once(searchInNeo4j, i >= TOPOLOGY_MOVED_TRIES);
          } catch (err) {
            if (err !== TOPOLOGY_MOVED) throw err;
            this.log.debug({ client: batch.client, attempt: i }, 'topology changed during the event write; writing the batch again');
          }
        }
      };
      try {
        let result;
        if (memory) {
          result = await attempt(false).catch((err: unknown) => (err === NEEDS_SEARCH ? null : Promise.reject(err)));
        }
        if (!result) {
          // The search in Neo4j cannot see batches in flight: it waits for them, outside any transaction.
          await flight.earlierEnded();
          result = await attempt(true);
        }
        const { later, written, old, ...counts } = { ...result, deferredEdges: result.later.length };
        // Numbered by this batch when it created them or their creator is in flight too (the memory
        // keeps the earliest number); stored before every batch in flight: no number.
        const tagged = written.map(([eid, ref, fresh, ts, category, rid, by]) => ({ eid, ref, ts, category, rid, seq: fresh || flight.seqOf(by) !== undefined ? flight.seq : undefined }));
        flight.wrote(tagged.map((e) => e.eid));
        memory?.settle(flight.seq, tagged);
        // Batches in flight before this one could not see each other's edges: once they ended, the
        // effects this batch gave causes to keep only the strongest (the cap over the graph).
        const effects = [...new Set([...old, ...later.map((e) => e.effect)])];
        const prune = flight.hadEarlier && effects.length > 0;
        if (later.length > 0 || prune) {
          // The edges to an earlier batch's events, once it ended, then the prune. This batch is
          // committed: a failure here is retried here (from the step that failed), not by writing the
          // batch again (log counts would add up twice).
          await flight.earlierEnded();
          let added: number | undefined;
          let dropped: number | undefined;
          const result = (): EventWriteResult => ({ rows: batch.rows.length, ...counts, causalEdgesAdded: counts.causalEdgesAdded + (added ?? 0) - (dropped ?? 0), writeMs: Math.round(performance.now() - started) });
          const remainder$ = defer(async () => {
            if (added === undefined) {
              const s = causalEdgesById(batch.client, later);
              added = later.length > 0 ? await this.write(batch.client, (tx) => created(tx, s)) : 0;
            }
            if (dropped === undefined) {
              const s = pruneCauses(batch.client, effects, this.causal.maxCausesPerEffect);
              dropped = prune ? await this.write(batch.client, (tx) => deleted(tx, s)) : 0;
            }
            return result();
          });
          try {
            return await lastValueFrom(remainder$);
          } catch (err) {
            throw new DeferredEdgesFailed(err, result(), remainder$);
          }
        }
        return { rows: batch.rows.length, ...counts, writeMs: Math.round(performance.now() - started) };
      } finally {
        memory?.settle(flight.seq, null);
        flight.end();
      }
    });
  }

  /**
   * Numbers a batch of `client` as it starts. `earlierEnded()` resolves when every batch begun
   * before it has ended (committed or failed); `later()` names the batches begun after it so far,
   * whose events it must not take as candidates, as a serial run would not have them yet, unless a
   * batch begun before it wrote them too (`earlierEids()`); `seqOf(batchId)` numbers a batch still
   * tracked (undefined: one that ended before every batch in flight began).
   */
  private beginFlight(client: string, batchId: string) {
    const seq = ++this.flightSeq;
    let f = this.flights.get(client);
    if (!f) this.flights.set(client, (f = { inFlight: new Map(), started: new Map() }));
    const flights = f;
    const earlier = [...flights.inFlight.values()];
    let end!: () => void;
    flights.inFlight.set(seq, new Promise<void>((resolve) => (end = resolve)));
    const self = { seq, eids: [] as string[] };
    flights.started.set(batchId, self);
    return {
      seq,
      /** Batches were in flight when this one began (their edges are invisible to it until they end). */
      hadEarlier: earlier.length > 0,
      later: () => [...flights.started].filter(([, s]) => s.seq > seq).map(([id]) => id),
      earlierEids: () => [...flights.started.values()].filter((s) => s.seq < seq).flatMap((s) => s.eids),
      seqOf: (id: string | null | undefined) => (id ? flights.started.get(id)?.seq : undefined),
      wrote: (eids: string[]) => void (self.eids = eids),
      earlierEnded: () => Promise.all(earlier).then(() => undefined),
      end: () => {
        end();
        flights.inFlight.delete(seq);
        // A batch begun before the oldest one in flight is no longer anyone's "later" or "earlier".
        const oldest = Math.min(...flights.inFlight.keys());
        for (const [id, s] of flights.started) if (s.seq < oldest) flights.started.delete(id);
        if (flights.inFlight.size === 0) this.flights.delete(client);
      },
    };
  }

  /**
   * Writes one client's topology changes in one transaction. Where the relations of a resource may
   * change (it is new or a stub, its links differ from what is stored, it is deleted, or a
   * published edge ends at it), the related sets around it are read before and after the writes,
   * and the stored events on every pair of resources newly related (or brought closer) get their
   * causal edges then, scored like the graph builder's ({@link causalEdges}): the graph does not
   * depend on whether events or objects came first. Cold: runs on subscribe.
   */
  writeTopology$(batch: TopologyBatch): Observable<TopologyWriteResult> {
    return defer(async () => {
      const started = performance.now();
      const now = Date.now();
      let agent: AgentWriteCounts | undefined;
      const { changed, causalEdgesAdded } = await this.write(batch.client, async (tx) => {
        const own = await changedResources(tx, batch);
        // The kg-rca-agent's resources and edges take part in the completion like the builder's own objects.
        const agentPlan = batch.agent ? await planAgentTopology((s) => run(tx, s), batch.client, batch.agent) : undefined;
        const rids = [...new Set([...own.rids, ...(agentPlan?.touched ?? [])])].sort();
        const named = [...new Set([...own.named, ...(agentPlan?.named ?? [])])].filter((n) => !rids.includes(n)).sort();
        const before = rids.length > 0 ? await relatedAround(tx, batch.client, [...rids, ...named]) : null;
        if (batch.upserts.length > 0) for (const s of resourceUpserts(batch.client, batch.upserts, now)) await run(tx, s);
        if (batch.deletes.length > 0) await run(tx, resourceDeletes(batch.client, batch.deletes, now));
        if (batch.published !== undefined) for (const s of publishedTopology(batch.client, batch.published)) await run(tx, s);
        agent = batch.agent && agentPlan ? await applyAgentTopology((s) => run(tx, s), batch.client, batch.agent, agentPlan, now) : undefined;
        const added = before ? await this.completeCandidates(tx, batch.client, rids, before) : 0;
        return { changed: own.rids.length, causalEdgesAdded: added };
      });
      return {
        client: batch.client,
        upserted: batch.upserts.length + (agent?.upserted ?? 0),
        deleted: batch.deletes.length + (agent?.deleted ?? 0),
        changed,
        causalEdgesAdded,
        writeMs: Math.round(performance.now() - started),
        ...(agent ? { agent } : {}),
      };
    });
  }

  /**
   * After relations changed around `rids` (related sets `before` read before the change, in the
   * same transaction): counts the change (the candidate memories read related sets again), and
   * writes the causal edges between stored events on resources now related that were not.
   */
  private async completeCandidates(tx: ManagedTransaction, client: string, rids: readonly string[], before: { area: string[]; sets: RelatedSets }): Promise<number> {
    await run(tx, topologyClockBump(client));
    const after = await relatedAround(tx, client, rids, before.area);
    const delta = relatedDelta(before.sets, after.sets);
    if (delta.length === 0) return 0;
    const proposed = causalEdges(completionPairs(await run(tx, completionCandidates(client, delta, this.causal.windowMs, this.causal.alertLookbackMs))), this.causal);
    if (proposed.length === 0) return 0;
    const { edges, dropped } = await this.capOverGraph(tx, client, proposed, [...new Set(proposed.map((e) => e.effect))]);
    return (edges.length === 0 ? 0 : await created(tx, causalEdgesById(client, edges))) - dropped;
  }

  /**
   * The proposed edges into `effects` that stay under the per-effect cap counted over the graph
   * (stored causes included, {@link capCauses}); stored edges they displace are deleted here. Edges
   * into other effects pass as they are.
   */
  private async capOverGraph(tx: ManagedTransaction, client: string, proposed: readonly CausalEdgeRow[], effects: readonly string[]): Promise<{ edges: CausalEdgeRow[]; dropped: number }> {
    const stored = (await run(tx, incomingCauses(client, effects))) as unknown as StoredCause[];
    const inScope = new Set(effects);
    const { write, drop } = capCauses(stored, proposed.filter((e) => inScope.has(e.effect)), this.causal.maxCausesPerEffect);
    const dropped = drop.length > 0 ? await deleted(tx, dropCauses(client, drop)) : 0;
    return { edges: [...proposed.filter((e) => !inScope.has(e.effect)), ...write], dropped };
  }

  /** Runs a read statement in `client`'s graph; rows as plain objects. */
  async read(client: string, statement: Statement): Promise<Record<string, unknown>[]> {
    const database = await this.prepareClient(client);
    const session = this.driver.session({ database, defaultAccessMode: neo4j.session.READ });
    try {
      return await session.executeRead((tx) => run(tx, statement));
    } finally {
      await session.close();
    }
  }

  // ---- rca reads and writes (src/rca/answer.ts's RcaReader / RcaWriter) ----

  /**
   * The database of `client` for a read that must not create anything for a client that does not
   * exist: shared mode → the shared database; database mode → the client's (an unknown one fails
   * with DatabaseNotFound); auto → the mode resolved as for the writers.
   */
  private async readDatabase(client: string): Promise<string | undefined> {
    if (this.config.isolation === 'shared') return this.config.sharedDatabase;
    if (this.config.isolation === 'database') return this.databaseName(client);
    return (await this.mode(client)) === 'database' ? this.databaseName(client) : this.config.sharedDatabase;
  }

  /** Runs one rca read statement in `client`'s graph (nothing prepared or created); rows as plain objects. */
  async readRca(client: string, statement: Statement): Promise<Record<string, unknown>[]> {
    const session = this.driver.session({ database: await this.readDatabase(client), defaultAccessMode: neo4j.session.READ });
    try {
      return await session.executeRead((tx) => run(tx, statement));
    } finally {
      await session.close();
    }
  }

  /** Runs rca write statements (the FEKG's patterns) in one transaction of `client`'s graph. */
  async writeRca(client: string, statements: readonly Statement[]): Promise<void> {
    await this.write(client, async (tx) => {
      for (const s of statements) await run(tx, s);
    });
  }

  async counts(client: string): Promise<GraphCounts> {
    const [row] = await this.read(client, { text: GRAPH_COUNTS, params: { client } });
    return row as unknown as GraphCounts;
  }

  // ---- reads and feedback of the HTTP API (issue 15) ----

  /**
   * Whether `client` has a graph, without creating one: its database exists (database mode), or
   * a node carries its id in the shared database.
   */
  async hasGraph(client: string): Promise<boolean> {
    const system = this.driver.session({ database: 'system', defaultAccessMode: neo4j.session.READ });
    try {
      const res = await system.run('SHOW DATABASES YIELD name WHERE name = $name RETURN count(*) AS n', { name: this.databaseName(client) });
      if (Number(res.records[0]?.get('n') ?? 0) > 0 && this.config.isolation !== 'shared') return true;
    } catch {
      // No access to the system database: fall through to the shared database.
    } finally {
      await system.close();
    }
    const session = this.driver.session({ database: this.config.sharedDatabase, defaultAccessMode: neo4j.session.READ });
    try {
      const s = hasGraph(client);
      return await session.executeRead(async (tx) => Boolean((await tx.run(s.text, s.params)).records[0]?.get('known')));
    } finally {
      await session.close();
    }
  }

  /** The client's incidents (one row per alert fingerprint, newest first). */
  incidents(client: string, limit: number, status: string | null): Promise<Record<string, unknown>[]> {
    return this.read(client, incidentsOf(client, limit, status, EVIDENCE_WINDOW_MS));
  }

  /** One alert Event node with its feedback, or undefined. */
  async alert(client: string, eid: string): Promise<Record<string, unknown> | undefined> {
    return (await this.read(client, alertNode(client, eid)))[0];
  }

  /** Events by id and the POTENTIAL_CAUSE edges among them, oldest first. */
  eventSubgraph(client: string, eids: readonly string[]): Promise<Record<string, unknown>[]> {
    return this.read(client, eventSubgraph(client, eids));
  }

  /** Resources within `depth` topology edges of `rid`, with the edges among them (empty: no such resource). */
  resourcesAround(client: string, rid: string, depth: number): Promise<Record<string, unknown>[]> {
    return this.read(client, resourcesAround(client, rid, depth));
  }

  /** Stores feedback on a cause of an alert on the alert's node; undefined when either event is not in the client's graph. */
  async causeFeedback(client: string, alertEid: string, causeEid: string, verdict: 'confirmed' | 'rejected', by: string): Promise<Record<string, unknown> | undefined> {
    const s = causeFeedback(client, alertEid, causeEid, verdict, by, Date.now());
    return (await this.write(client, (tx) => run(tx, s)))[0];
  }

  /** Stores a published answer's summary on its alert node (see readCypher recordAnswer). */
  async recordAnswer(client: string, eid: string, revision: number, status: string, faultType: string | null, top: Parameters<typeof recordAnswer>[5]): Promise<void> {
    const s = recordAnswer(client, eid, revision, status, faultType, top, Date.now());
    await this.write(client, (tx) => run(tx, s));
  }

  async close(): Promise<void> {
    await this.shutdown();
  }
}


/**
 * The batch committed, its causal edges to an earlier batch's events (or the prune of its effects'
 * causes to the cap) did not: retrying is running `remainder$` (those edges by id, idempotent, then
 * the prune; a step done is not run again), not writing the batch again (log counts would add up
 * twice). Write-or-split ({@link PartlyWritten} in pipelines/operators/writeOrSplit) retries it
 * with backoff as an effect; `partial` is the result without what failed.
 */
export class DeferredEdgesFailed extends Error {
  constructor(
    override readonly cause: unknown,
    readonly partial: EventWriteResult,
    readonly remainder$: Observable<EventWriteResult>,
  ) {
    super(`causal edges to an earlier batch not written: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** Thrown inside a transaction that found its candidates too many to hold: it rolls back before any write. */
const NEEDS_SEARCH = new Error('candidate range too large for memory: search in Neo4j');
/** The topology clock moved while an event batch was written: it is written again, at most this many times in all (the last commits as it is). */
const TOPOLOGY_MOVED = new Error('topology changed while the event batch was written');
const TOPOLOGY_MOVED_TRIES = 5;

/**
 * The resources of a topology batch whose relations may change (`rids`: upserts new, stub, deleted
 * or with other links than stored; deletes; ends of published edges) and the resources their rows
 * name (`named`: whose related sets change with them).
 */
async function changedResources(tx: ManagedTransaction, batch: TopologyBatch): Promise<{ rids: string[]; named: string[] }> {
  const stored = new Map<string, unknown>();
  if (batch.upserts.length > 0) for (const r of await run(tx, linkSignatures(batch.client, batch.upserts.map((u) => u.rid)))) stored.set(r.rid as string, r.sig);
  const rows = batch.upserts.filter((u) => stored.get(u.rid) !== linkSignature(u));
  const rids = new Set<string>([...rows.map((r) => r.rid), ...batch.deletes]);
  for (const e of batch.published ?? []) (rids.add(e.from.rid), rids.add(e.to.rid));
  const named = new Set<string>();
  for (const r of rows) for (const n of [r.runsOn, ...r.ownedBy, ...(r.mounts ?? []), ...(r.configs ?? []), r.boundTo ?? null, ...(r.routesTo ?? [])]) if (n && !rids.has(n)) named.add(n);
  return { rids: [...rids].sort(), named: [...named].sort() };
}

/** The resources around `rids` (themselves and one edge away, plus `also`) and their related sets. */
async function relatedAround(tx: ManagedTransaction, client: string, rids: readonly string[], also: readonly string[] = []): Promise<{ area: string[]; sets: RelatedSets }> {
  const [a] = await run(tx, topologyArea(client, rids));
  const area = [...new Set([...((a?.area ?? []) as string[]), ...also])].sort();
  return { area, sets: relatedSetsOf(area.length === 0 ? [] : await run(tx, relatedOf(client, area))) };
}

/** Runs a write in `tx`; the relationships it created. */
async function created(tx: ManagedTransaction, s: Statement): Promise<number> {
  return (await tx.run(s.text, s.params)).summary.counters.updates().relationshipsCreated;
}

/** Runs a write in `tx`; the relationships it deleted (counted by the server: an edge another transaction deleted first is not). */
async function deleted(tx: ManagedTransaction, s: Statement): Promise<number> {
  return (await tx.run(s.text, s.params)).summary.counters.updates().relationshipsDeleted;
}

async function run(tx: ManagedTransaction, s: Statement): Promise<Record<string, unknown>[]> {
  const res = await tx.run(s.text, s.params);
  return res.records.map((r) => r.toObject() as Record<string, unknown>);
}
