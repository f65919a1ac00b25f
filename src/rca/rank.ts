import { priorOf, reachOf, ruleFor, scorePair, timeFactor } from '../graph/causalRules';
import { abstractGraph, AbstractGraph, bestPattern, FAULT_TYPE_OF_CATEGORY, FaultPattern, PatternMatch } from './patterns';
import { fingerprintOfEid, RcaSlice, SliceEdge, SliceEvent } from './slice';

/**
 * The explained ranking of an alert's root causes: a pure function of its slice (src/rca/slice.ts).
 *
 * Method — a personalised PageRank on the reversed causal graph (Groot's GrootRank, MicroRank's
 * personalised PageRank), combined with event priors:
 *   1. The causal graph: the stored POTENTIAL_CAUSE edges of the slice; edges from the events on the
 *      alert's subject (and its related resources) within the lookback that the write path did not
 *      link (scored here by the same rule table, so an alert is explained whatever order its evidence
 *      arrived in); and dependency edges from the events of the pods of a Service that a slice
 *      resource CALLS to that resource's events (a dependency's failure, two hops away: caller →
 *      Service → pod).
 *   2. The walk starts at the alert and, at an event v, moves to a cause u with weight conf(u→v),
 *      back to an effect w with weight ρ·conf(v→w) (CloudRanger / MicroRank's backward edges, so a
 *      symptom with no cause of its own does not trap the walker), or stays with weight λ·prior(v)
 *      (a root-cause-like event holds it); with probability α it restarts at the alert. The stationary
 *      distribution π is found by power iteration.
 *   3. score(v) = π(v) · prior(v) (GrootRank multiplies the walk's score by the event type's prior),
 *      and with the FEKG (src/rca/patterns.ts) × (1 + β · similarity of v's evidence to the best fault
 *      pattern rooted at v's category); normalised to sum to 1 over the candidates.
 * Why: the walk aggregates every path (a node that explains many symptoms collects more), weighs
 * each by its edges' confidences and needs no training data; the priors separate a cause from the
 * symptoms it produces, which path strength alone cannot (a BackOff is always closer to the alert
 * than the OOM that caused it). Every cause comes with its strongest path to the alert (the largest
 * product of confidences, ≤ maxHops edges), each edge with its rule and confidence.
 */
export interface RankOptions {
  windowMs: number;
  alertLookbackMs: number;
  /** Restart probability of the walk. */
  alpha: number;
  /** Weight of the backward (cause → effect) moves, relative to the confidence. */
  rho: number;
  /** Weight of staying, relative to the prior. */
  lambda: number;
  /** Use the fault patterns to re-rank and name the fault type. */
  fekg: boolean;
  /** Weight of the pattern similarity in the re-ranking. */
  beta: number;
  /** Below this similarity the fault type comes from the top cause's category instead. */
  minSimilarity: number;
  maxHops: number;
  limit: number;
}

export const DEFAULT_RANK: RankOptions = {
  windowMs: 300_000,
  alertLookbackMs: 1_800_000,
  alpha: 0.15,
  rho: 0.2,
  lambda: 1,
  fekg: true,
  beta: 1,
  minSimilarity: 0.35,
  maxHops: 8,
  limit: 10,
};

/** One step of an evidence path: an event and the edge leaving it towards the alert (null at the alert). */
export interface PathStep {
  eid: string;
  reason: string;
  resource: string | null;
  at: string;
  rule: string | null;
  confidence: number | null;
}

export interface RankedCause {
  rank: number;
  score: number;
  eid: string;
  reason: string;
  category: string;
  resource: string | null;
  at: string;
  hops: number;
  path: PathStep[];
  /** The fault pattern its evidence matches best (FEKG), with the WL similarity. */
  pattern: { id: string; faultType: string; similarity: number } | null;
}

export interface RcaAnswer {
  client: string;
  alert: { fingerprint: string; eid: string; alertname: string; status: string; startsAt: string };
  faultType: string | null;
  causes: RankedCause[];
}

export interface GraphEdge extends SliceEdge {
  kind: 'stored' | 'lookback' | 'dependency';
}

/** Dependency edges travel caller → Service → pod: two hops. */
const DEPENDENCY_HOPS = 2;

/**
 * What a callee's failure explains on its caller: failed calls (refused, reset, timed out, 5xx, a
 * name that does not resolve, a TLS failure, other error logs) and an alert on it — not the
 * caller's own terminations, probe failures or back-offs, whose causes are its own (H-calls).
 */
const CALL_SYMPTOMS: ReadonlySet<string> = new Set(['log-conn', 'log-dns', 'log-tls', 'error-log', 'alert']);

/** The causal graph of a slice: stored edges, read-time lookback edges to the alert, dependency edges. */
export function causalGraph(slice: RcaSlice, o: Pick<RankOptions, 'windowMs' | 'alertLookbackMs'>): { events: Map<string, SliceEvent>; edges: GraphEdge[] } {
  const events = new Map(slice.events.map((e) => [e.eid, e]));
  const edges = new Map<string, GraphEdge>();
  const key = (c: string, e: string) => `${c}\u0000${e}`;
  for (const e of slice.edges) if (events.has(e.cause) && events.has(e.effect)) edges.set(key(e.cause, e.effect), { ...e, kind: 'stored' });
  const alert = events.get(slice.alert.eid);
  if (alert) {
    const scoring = { windowMs: o.windowMs, alertLookbackMs: o.alertLookbackMs, minConfidence: 0.05 };
    for (const n of slice.near) {
      const c = events.get(n.eid);
      if (!c || edges.has(key(c.eid, alert.eid))) continue;
      const s = scorePair(c, alert, n.d, scoring);
      if (s) edges.set(key(c.eid, alert.eid), { cause: c.eid, effect: alert.eid, rule: s.rule, confidence: s.confidence, kind: 'lookback' });
    }
  }
  const byRid = new Map<string, SliceEvent[]>();
  for (const e of events.values()) if (e.rid) byRid.set(e.rid, [...(byRid.get(e.rid) ?? []), e]);
  for (const call of slice.calls) {
    if (call.target === call.caller) continue;
    for (const u of byRid.get(call.target) ?? []) {
      if (u.category === 'alert' || u.category === 'normal') continue;
      for (const v of byRid.get(call.caller) ?? []) {
        if (!CALL_SYMPTOMS.has(v.category)) continue;
        const lag = v.ts - u.ts;
        if (lag < 0 || lag > reachOf(v.category, o) || edges.has(key(u.eid, v.eid))) continue;
        const weight = ruleFor(u.category, v.category)?.weight ?? ruleFor(u.category, 'log-conn')?.weight ?? 0.4;
        const confidence = Math.round(weight * timeFactor(lag, v.category, o) * (1 / (1 + 0.5 * DEPENDENCY_HOPS)) * 1000) / 1000;
        edges.set(key(u.eid, v.eid), { cause: u.eid, effect: v.eid, rule: `dependency:${u.category}->${v.category}`, confidence, kind: 'dependency' });
      }
    }
  }
  return { events, edges: [...edges.values()] };
}

/**
 * The stationary distribution of the walk (see the file comment) over `nodes`, restarting at `start`.
 * Deterministic: a fixed number of power iterations or until the L1 change is below 1e-10.
 */
export function personalisedRank(nodes: readonly string[], edges: ReadonlyArray<{ cause: string; effect: string; confidence: number }>, prior: (eid: string) => number, start: string, o: Pick<RankOptions, 'alpha' | 'rho' | 'lambda'>): Map<string, number> {
  const idx = new Map(nodes.map((n, i) => [n, i]));
  const out: Array<Array<[number, number]>> = nodes.map(() => []);
  for (const e of edges) {
    const c = idx.get(e.cause);
    const f = idx.get(e.effect);
    if (c === undefined || f === undefined || c === f) continue;
    out[f].push([c, e.confidence]);
    out[c].push([f, o.rho * e.confidence]);
  }
  const self = nodes.map((n) => o.lambda * prior(n));
  const total = out.map((l, i) => l.reduce((s, [, w]) => s + w, 0) + self[i]);
  const s = idx.get(start)!;
  let pi = new Float64Array(nodes.length);
  pi[s] = 1;
  for (let it = 0; it < 200; it++) {
    const next = new Float64Array(nodes.length);
    let lost = 0;
    for (let v = 0; v < nodes.length; v++) {
      const m = pi[v];
      if (m === 0) continue;
      if (total[v] === 0) {
        lost += m;
        continue;
      }
      const k = ((1 - o.alpha) * m) / total[v];
      next[v] += k * self[v];
      for (const [u, w] of out[v]) next[u] += k * w;
      lost += o.alpha * m;
    }
    next[s] += lost;
    let delta = 0;
    for (let v = 0; v < nodes.length; v++) delta += Math.abs(next[v] - pi[v]);
    pi = next;
    if (delta < 1e-10) break;
  }
  return new Map(nodes.map((n, i) => [n, pi[i]]));
}

/** Each event's strongest path to `target` (largest product of confidences, ≤ maxHops edges): the next event, the edge and the product. */
export function bestPaths(edges: readonly GraphEdge[], target: string, maxHops: number): Map<string, { score: number; hops: number; next: GraphEdge | null }> {
  const best = new Map<string, { score: number; hops: number; next: GraphEdge | null }>([[target, { score: 1, hops: 0, next: null }]]);
  const byEffect = new Map<string, GraphEdge[]>();
  for (const e of edges) byEffect.set(e.effect, [...(byEffect.get(e.effect) ?? []), e]);
  let frontier = [target];
  for (let h = 1; h <= maxHops && frontier.length > 0; h++) {
    const changed = new Set<string>();
    for (const f of frontier) {
      const bf = best.get(f)!;
      for (const e of byEffect.get(f) ?? []) {
        if (e.cause === target) continue;
        const score = bf.score * e.confidence;
        const seen = best.get(e.cause);
        // A tie keeps the shorter path, then the smaller id of the next event (deterministic).
        if (!seen || score > seen.score + 1e-12 || (Math.abs(score - seen.score) <= 1e-12 && (bf.hops + 1 < seen.hops || (bf.hops + 1 === seen.hops && seen.next && e.effect < seen.next.effect)))) {
          best.set(e.cause, { score, hops: bf.hops + 1, next: e });
          changed.add(e.cause);
        }
      }
    }
    frontier = [...changed];
  }
  return best;
}

/**
 * A candidate's evidence as an abstract graph: the categories of the events downstream of it (on
 * its paths to the alert) and the edges among them, a dependency edge drawn through a `dependency`
 * node. This is what is matched against the fault patterns and what `confirm` stores.
 */
export function evidenceGraph(cause: string, events: ReadonlyMap<string, SliceEvent>, edges: readonly GraphEdge[], reachesAlert: ReadonlySet<string>): AbstractGraph {
  const byCause = new Map<string, GraphEdge[]>();
  for (const e of edges) byCause.set(e.cause, [...(byCause.get(e.cause) ?? []), e]);
  const seen = new Set([cause]);
  const stack = [cause];
  const abstract: Array<{ cause: string; effect: string }> = [];
  const cat = (eid: string) => events.get(eid)?.category ?? 'warning';
  while (stack.length > 0) {
    const v = stack.pop()!;
    for (const e of byCause.get(v) ?? []) {
      if (!reachesAlert.has(e.effect)) continue;
      if (e.kind === 'dependency') abstract.push({ cause: cat(e.cause), effect: 'dependency' }, { cause: 'dependency', effect: cat(e.effect) });
      else abstract.push({ cause: cat(e.cause), effect: cat(e.effect) });
      if (!seen.has(e.effect)) (seen.add(e.effect), stack.push(e.effect));
    }
  }
  return abstractGraph(abstract, [cat(cause)]);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The ranked, explained root causes of the slice's alert. */
export function rankCauses(client: string, slice: RcaSlice, patterns: readonly FaultPattern[], opts: Partial<RankOptions> = {}): RcaAnswer {
  const o = { ...DEFAULT_RANK, ...opts };
  const { events, edges } = causalGraph(slice, o);
  const alertEid = slice.alert.eid;
  const answer: RcaAnswer = {
    client,
    alert: { fingerprint: slice.alert.fingerprint || (fingerprintOfEid(alertEid) ?? ''), eid: alertEid, alertname: slice.alert.alertname, status: slice.alert.status, startsAt: slice.alert.startsAt },
    faultType: null,
    causes: [],
  };
  if (!events.has(alertEid)) return answer;
  const paths = bestPaths(edges, alertEid, o.maxHops);
  const nodes = [...paths.keys()].sort();
  const inGraph = edges.filter((e) => paths.has(e.cause) && paths.has(e.effect));
  const prior = (eid: string) => priorOf(events.get(eid)?.category ?? 'warning');
  const pi = personalisedRank(nodes, inGraph, prior, alertEid, o);
  const reaches = new Set(nodes);
  const scored = nodes
    .filter((n) => n !== alertEid)
    .map((eid) => {
      const ev = events.get(eid)!;
      let match: PatternMatch | null = null;
      if (o.fekg) match = bestPattern(ev.category, evidenceGraph(eid, events, inGraph, reaches), patterns);
      const base = (pi.get(eid) ?? 0) * prior(eid);
      return { ev, base, match, score: o.fekg ? base * (1 + o.beta * (match?.similarity ?? 0)) : base };
    });
  const sum = scored.reduce((s, x) => s + x.score, 0) || 1;
  scored.sort((x, y) => y.score - x.score || x.ev.ts - y.ev.ts || (x.ev.eid < y.ev.eid ? -1 : 1));
  answer.causes = scored.slice(0, o.limit).map((x, i) => ({
    rank: i + 1,
    score: Math.round((x.score / sum) * 1000) / 1000,
    eid: x.ev.eid,
    reason: x.ev.reason,
    category: x.ev.category,
    resource: x.ev.rid,
    at: iso(x.ev.ts),
    hops: paths.get(x.ev.eid)!.hops,
    path: pathOf(x.ev.eid, events, paths),
    pattern: x.match ? { id: x.match.pattern.id, faultType: x.match.pattern.faultType, similarity: x.match.similarity } : null,
  }));
  const top = answer.causes[0];
  if (top) answer.faultType = top.pattern && top.pattern.similarity >= o.minSimilarity ? top.pattern.faultType : (FAULT_TYPE_OF_CATEGORY[top.category] ?? null);
  return answer;
}

function pathOf(eid: string, events: ReadonlyMap<string, SliceEvent>, paths: ReturnType<typeof bestPaths>): PathStep[] {
  const out: PathStep[] = [];
  for (let v: string | undefined = eid, guard = 0; v !== undefined && guard < 64; guard++) {
    const ev = events.get(v)!;
    const p: { next: GraphEdge | null } = paths.get(v)!;
    out.push({ eid: v, reason: ev.reason, resource: ev.rid, at: iso(ev.ts), rule: p.next?.rule ?? null, confidence: p.next?.confidence ?? null });
    v = p.next?.effect;
  }
  return out;
}
