import { inCausalReach, reachOf } from './causalRules';
import { StoredCandidates } from './causality';
import { candidateGroups, eventsInRange, relatedOf, Statement, TOPOLOGY_CLOCK_READ } from './cypher';
import { EventRow } from './eventRows';

/** A stored event that can take part in a causal edge (it has a resource and is not normal). */
export interface RememberedEvent {
  eid: string;
  ts: number;
  category: string;
  rid: string;
  /** Its element id, so edges address it without an index lookup. */
  ref: string;
  /** The start number of the batch of this process that created it; absent when it was stored before (or read from Neo4j). */
  seq?: number;
}

export interface CausalMemoryOptions {
  windowMs: number;
  /** How far an alert reaches back for causes, ms (the window when absent): the covered range reaches as far. */
  alertLookbackMs?: number;
  maxCandidates: number;
  /** Most events held; past it the oldest (by event time) go, and the covered range shrinks with them. */
  maxEvents: number;
  /** How long a resource's related set is trusted before it is read again, ms. */
  topologyTtlMs: number;
  /** The same for a resource with no related resource yet (its topology often arrives after its first events), ms. */
  isolatedTtlMs: number;
}

export interface StoredCandidatesWithRefs extends StoredCandidates {
  cands: ReadonlyArray<{ a: string; b: string; bts: number; bcat: string; bref: string; d: number }>;
}

type Related = ReadonlyArray<{ rid: string; d: number }>;

/** The start number of a batch in flight (or ended after the oldest one in flight began) by its id; undefined for any other. */
export type SeqOf = (batchId: string | null | undefined) => number | undefined;

/** Runs a read in the caller's transaction. */
export type ReadRows = (s: Statement) => Promise<Array<Record<string, unknown>>>;

/**
 * One client's causal candidate search in memory, so a batch costs Neo4j its writes and not a
 * search: the related resources of each resource (read once, trusted for `topologyTtlMs`) and the
 * stored events that can be causes, over a covered range of event time.
 *
 * Coverage: every stored event with a resource, not normal, whose time lies in [from, to] is held,
 * plus every event this process wrote since (the graph builder is its client's only event writer).
 * A batch needs [its earliest − window, its latest + window]; what is missing is read from Neo4j
 * (the `(client, ts)` index) first. A range holding more than `maxEvents` cannot be covered: that
 * batch takes the search in Neo4j instead ({@link CausalMemory.prepare} returns null).
 *
 * The candidates are the same set the Neo4j search gives (nearest first by distance, then time
 * apart, then id, at most `maxCandidates` per event), as the integration test checks edge for edge.
 * What differs: a topology change reaches the search up to `topologyTtlMs` late, and a second
 * process writing the same client's events would go unseen.
 */
export class CausalMemory {
  private readonly related = new Map<string, { related: Related; at: number }>();
  private readonly byRid = new Map<string, Map<string, RememberedEvent>>();
  /** Events of batches still in flight: by batch number, then by resource; never evicted. */
  private readonly pending = new Map<number, Map<string, RememberedEvent[]>>();
  private size = 0;
  private from = Infinity;
  private to = -Infinity;
  /** Bumped when the covered range shrinks, so a read begun before cannot extend it over the gap. */
  private generation = 0;
  /** The client's topology clock when the related sets were read; another value drops them all. */
  private topologyVersion: unknown = undefined;

  constructor(
    readonly client: string,
    private readonly opts: CausalMemoryOptions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Events held and the covered range (for logs and tests). */
  stats(): { events: number; from: number; to: number; resources: number } {
    return { events: this.size, from: this.from, to: this.to, resources: this.related.size };
  }

  /**
   * Brings the memory up to what `rows` need (related sets, covered range) with reads in `read`'s
   * transaction, and returns each resource's related set and stored candidates, as the Neo4j
   * search would; null when the range needed holds too many events to keep.
   */
  async prepare(rows: readonly EventRow[], read: ReadRows, seq = Infinity, seqOf: SeqOf = () => undefined): Promise<StoredCandidatesWithRefs[] | null> {
    const groups = candidateGroups(rows);
    if (groups.length === 0) return [];
    let hi = -Infinity;
    for (const g of groups) for (const r of g.rows) hi = Math.max(hi, r.ts);
    // An alert reaches back by the lookback, and any event forward to alerts up to the lookback.
    let from = Infinity;
    for (const g of groups) for (const r of g.rows) from = Math.min(from, r.ts - reachOf(r.category, this.opts));
    if (!(await this.cover(from, hi + reachOf('alert', this.opts), read, seqOf))) return null;
    // Relations changed since (the topology builder counts every change): no cached related set is trusted.
    const [clock] = await read({ text: TOPOLOGY_CLOCK_READ, params: { client: this.client } });
    if ((clock?.version ?? null) !== this.topologyVersion) (this.related.clear(), (this.topologyVersion = clock?.version ?? null));
    await this.refreshRelated(groups.map((g) => g.rid), read);
    return groups.map((g) => this.candidatesOf(g.rid, g.rows, seq));
  }

  /**
   * Holds the events of batch `seq` while its transaction is in flight, so a later batch (a higher
   * `seq`) finds them as candidates as if they were stored, with an empty `bref` (no element id
   * yet: an edge to one waits for that batch's commit). An earlier batch does not see them.
   */
  hold(seq: number, rows: readonly EventRow[]): void {
    const byRid = new Map<string, RememberedEvent[]>();
    for (const g of candidateGroups(rows)) byRid.set(g.rid, g.rows.map((r) => ({ eid: r.eid, ts: r.ts, category: r.category, rid: g.rid, ref: '' })));
    this.pending.set(seq, byRid);
  }

  /** Ends batch `seq`'s hold: on commit, `written` (as {@link remember} takes it) replaces it in one step; on failure (null) it goes. */
  settle(seq: number, written: readonly RememberedEvent[] | null): void {
    this.pending.delete(seq);
    if (written) this.remember(written);
  }

  /** Takes in what a committed batch wrote (its events with a resource, not normal; `ts` as stored). */
  remember(events: readonly RememberedEvent[]): void {
    for (const e of events) {
      let m = this.byRid.get(e.rid);
      if (!m) this.byRid.set(e.rid, (m = new Map()));
      const prev = m.get(e.eid);
      if (!prev) this.size++;
      // The earliest batch that wrote it is the one that created it in a serial run (no number: before them all).
      const seq = !prev ? e.seq : prev.seq === undefined || e.seq === undefined ? undefined : Math.min(prev.seq, e.seq);
      m.set(e.eid, seq === e.seq ? e : { ...e, seq });
    }
    if (this.size > this.opts.maxEvents) this.evict(Math.floor(this.opts.maxEvents * 0.75));
  }

  private async cover(from: number, to: number, read: ReadRows, seqOf: SeqOf): Promise<boolean> {
    if (from >= this.from && to <= this.to) return true;
    // Read ahead by a window on the late side: batches mostly move forward in event time.
    const ahead = to + this.opts.windowMs;
    const missing: Array<[number, number]> =
      this.from > this.to
        ? [[from, ahead]]
        : [
            ...(from < this.from ? [[from, this.from - 1] as [number, number]] : []),
            ...(to > this.to ? [[this.to + 1, ahead] as [number, number]] : []),
          ];
    const generation = this.generation;
    for (const [a, b] of missing) {
      const room = this.opts.maxEvents - this.size;
      if (room <= 0) return false;
      const rows = await read(eventsInRange(this.client, a, b, room + 1));
      // An eviction meanwhile (another batch in flight) moved the range this read was to extend.
      if (rows.length > room || generation !== this.generation) return false;
      // An event created by a batch in flight (or just ended) keeps that batch's number: a batch begun before it does not see it.
      this.remember(rows.map(({ by, ...e }) => ({ ...(e as unknown as RememberedEvent), seq: seqOf(by as string | null) })));
      this.from = Math.min(this.from, a);
      this.to = Math.max(this.to, b);
    }
    return true;
  }

  private async refreshRelated(rids: readonly string[], read: ReadRows): Promise<void> {
    const now = this.now();
    const stale = rids.filter((rid) => {
      const c = this.related.get(rid);
      return !c || now - c.at > (c.related.length > 1 ? this.opts.topologyTtlMs : this.opts.isolatedTtlMs);
    });
    if (stale.length === 0) return;
    const found = new Map<string, Related>();
    for (const row of await read(relatedOf(this.client, stale))) {
      const best = new Map<string, number>([[row.rid as string, 0]]);
      for (const n of row.related as Array<{ rid: string; d: number }>) best.set(n.rid, Math.min(best.get(n.rid) ?? Infinity, Number(n.d)));
      found.set(row.rid as string, [...best].map(([rid, d]) => ({ rid, d })));
    }
    // A resource not stored yet is related to itself only (the batch creates it as a stub).
    for (const rid of stale) this.related.set(rid, { related: found.get(rid) ?? [{ rid, d: 0 }], at: now });
    if (this.related.size > 4 * this.opts.maxEvents) this.dropStaleRelated(now);
  }

  private dropStaleRelated(now: number): void {
    for (const [rid, c] of this.related) if (now - c.at > this.opts.topologyTtlMs) this.related.delete(rid);
  }

  private candidatesOf(rid: string, rows: readonly EventRow[], seq: number): StoredCandidatesWithRefs {
    const related = this.related.get(rid)?.related ?? [{ rid, d: 0 }];
    const cands: Array<{ a: string; b: string; bts: number; bcat: string; bref: string; d: number }> = [];
    for (const ev of rows) {
      const found: Array<{ e: RememberedEvent; d: number }> = [];
      const near = (c: RememberedEvent) => c.eid !== ev.eid && inCausalReach(ev, c, this.opts);
      const seen = new Set<string>();
      for (const nb of related) {
        for (const c of this.byRid.get(nb.rid)?.values() ?? []) {
          if ((c.seq ?? 0) < seq && near(c)) (found.push({ e: c, d: nb.d }), seen.add(c.eid));
        }
        // Held events of earlier batches in flight, each once, unless already found as stored.
        for (const [s, byRid] of this.pending) {
          if (s >= seq) continue;
          for (const c of byRid.get(nb.rid) ?? []) if (!seen.has(c.eid) && near(c)) (found.push({ e: c, d: nb.d }), seen.add(c.eid));
        }
      }
      found.sort((x, y) => x.d - y.d || Math.abs(x.e.ts - ev.ts) - Math.abs(y.e.ts - ev.ts) || (x.e.eid < y.e.eid ? -1 : x.e.eid > y.e.eid ? 1 : 0));
      for (const { e, d } of found.slice(0, this.opts.maxCandidates)) cands.push({ a: ev.eid, b: e.eid, bts: e.ts, bcat: e.category, bref: e.ref, d });
    }
    return { rid, related, cands };
  }

  /** Keeps the `keep` latest events (by event time); the covered range starts at the earliest kept. */
  private evict(keep: number): void {
    this.generation++;
    const times: number[] = [];
    for (const m of this.byRid.values()) for (const e of m.values()) times.push(e.ts);
    times.sort((a, b) => a - b);
    const cut = times[times.length - keep] ?? Infinity;
    for (const [rid, m] of this.byRid) {
      for (const [eid, e] of m) {
        if (e.ts < cut) {
          m.delete(eid);
          this.size--;
        }
      }
      if (m.size === 0) this.byRid.delete(rid);
    }
    this.from = Math.max(this.from, cut);
    if (this.from > this.to) {
      this.from = Infinity;
      this.to = -Infinity;
    }
  }
}
