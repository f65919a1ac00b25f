import { CausalScoring, inCausalReach, ruleFor, scorePair } from './causalRules';

/** One event related to another, as the candidate query returns it (either may be the cause). */
export interface CandidatePair {
  a: string;
  ats: number;
  acat: string;
  b: string;
  bts: number;
  bcat: string;
  /** Hops between their resources over RUNS_ON / CONTROLS / SELECTS (0 = same resource). */
  d: number;
}

export interface CausalEdgeRow {
  cause: string;
  effect: string;
  confidence: number;
  rule: string;
  lag_ms: number;
  distance: number;
}

export interface CausalEdgeOptions extends CausalScoring {
  /** Most causes kept per effect (highest confidence first), so a noisy resource cannot flood the graph. */
  maxCausesPerEffect: number;
}

/**
 * POTENTIAL_CAUSE edges from candidate pairs: the earlier event is the cause (a tie goes the way a
 * rule points, else to the smaller id), each unordered pair once at its shortest distance. A pure
 * function of the pair, so a replay or another arrival order gives the same edges.
 *
 * @example causalEdges([{ a: 'e1', ats: 0, acat: 'oom', b: 'e2', bts: 10_000, bcat: 'backoff', d: 0 }], opts)
 *          // [{ cause: 'e1', effect: 'e2', rule: 'oom->backoff', confidence: 0.934, ... }]
 */
export function causalEdges(pairs: readonly CandidatePair[], opts: CausalEdgeOptions): CausalEdgeRow[] {
  const best = new Map<string, CandidatePair>();
  for (const p of pairs) {
    if (p.a === p.b) continue;
    const key = p.a < p.b ? `${p.a}\u0000${p.b}` : `${p.b}\u0000${p.a}`;
    const seen = best.get(key);
    if (!seen || p.d < seen.d) best.set(key, p);
  }
  const byEffect = new Map<string, CausalEdgeRow[]>();
  for (const p of best.values()) {
    const forward = orientForward(p);
    const [cause, effect] = forward
      ? [{ id: p.a, ts: p.ats, category: p.acat }, { id: p.b, ts: p.bts, category: p.bcat }]
      : [{ id: p.b, ts: p.bts, category: p.bcat }, { id: p.a, ts: p.ats, category: p.acat }];
    const scored = scorePair(cause, effect, p.d, opts);
    if (!scored) continue;
    const row: CausalEdgeRow = { cause: cause.id, effect: effect.id, confidence: scored.confidence, rule: scored.rule, lag_ms: effect.ts - cause.ts, distance: p.d };
    const list = byEffect.get(effect.id) ?? [];
    list.push(row);
    byEffect.set(effect.id, list);
  }
  const out: CausalEdgeRow[] = [];
  for (const list of byEffect.values()) {
    list.sort((x, y) => y.confidence - x.confidence || (x.cause < y.cause ? -1 : x.cause > y.cause ? 1 : 0));
    out.push(...list.slice(0, opts.maxCausesPerEffect));
  }
  return out;
}

function orientForward(p: CandidatePair): boolean {
  if (p.ats !== p.bts) return p.ats < p.bts;
  if (ruleFor(p.acat, p.bcat)) return true;
  if (ruleFor(p.bcat, p.acat)) return false;
  return p.a < p.b;
}

/** What the stored-candidate read returned for one resource of the batch. */
export interface StoredCandidates {
  rid: string;
  /** Resources related to it (itself at 0), with their distance. */
  related: ReadonlyArray<{ rid: string; d: number }>;
  /** Stored events near each batch event `a`, at most maxCandidates per `a`, nearest first. */
  cands: ReadonlyArray<{ a: string; b: string; bts: number; bcat: string; d: number }>;
}

/**
 * The candidate pairs of a batch: the stored candidates of each non-normal event with a resource,
 * plus the batch's own events on related resources (same resource at 0 hops, or a resource in its
 * `related` list), each event's set ordered by distance, then time apart, then id, and cut at
 * `maxCandidates` — the same set a search after the writes would give, without reading the
 * transaction's own writes back. A resource absent from `stored` (a stub the batch creates) is
 * related to itself only. Near in time = {@link inCausalReach}: within `windowMs`, or within
 * `alertLookbackMs` before an alert.
 *
 * @example batchCandidatePairs([oomRow, backoffRow], [], 300_000, 50)  // [{ a: backoff, b: oom, d: 0, ... }, { a: oom, b: backoff, ... }]
 */
export function batchCandidatePairs(
  rows: ReadonlyArray<{ eid: string; ts: number; category: string; rid: string | null }>,
  stored: readonly StoredCandidates[],
  windowMs: number,
  maxCandidates: number,
  alertLookbackMs = windowMs,
): CandidatePair[] {
  const reach = { windowMs, alertLookbackMs };
  const byRid = new Map<string, Array<{ eid: string; ts: number; category: string }>>();
  for (const r of rows) {
    if (r.rid === null || r.category === 'normal') continue;
    const list = byRid.get(r.rid) ?? [];
    list.push(r);
    byRid.set(r.rid, list);
  }
  const storedByRid = new Map(stored.map((s) => [s.rid, s]));
  const out: CandidatePair[] = [];
  for (const [rid, events] of byRid) {
    const s = storedByRid.get(rid);
    const related = s && s.related.length > 0 ? s.related : [{ rid, d: 0 }];
    const storedOf = new Map<string, Array<{ b: string; bts: number; bcat: string; d: number }>>();
    for (const c of s?.cands ?? []) {
      const list = storedOf.get(c.a) ?? [];
      list.push(c);
      storedOf.set(c.a, list);
    }
    for (const e of events) {
      const seen = new Map<string, { b: string; bts: number; bcat: string; d: number }>();
      for (const c of storedOf.get(e.eid) ?? []) seen.set(c.b, c);
      for (const nb of related) {
        for (const c of byRid.get(nb.rid) ?? []) {
          if (c.eid === e.eid || !inCausalReach(e, c, reach)) continue;
          const prev = seen.get(c.eid);
          if (!prev || nb.d < prev.d) seen.set(c.eid, { b: c.eid, bts: c.ts, bcat: c.category, d: nb.d });
        }
      }
      const list = [...seen.values()].sort((x, y) => x.d - y.d || Math.abs(x.bts - e.ts) - Math.abs(y.bts - e.ts) || (x.b < y.b ? -1 : x.b > y.b ? 1 : 0));
      for (const c of list.slice(0, maxCandidates)) out.push({ a: e.eid, ats: e.ts, acat: e.category, b: c.b, bts: c.bts, bcat: c.bcat, d: c.d });
    }
  }
  return out;
}
