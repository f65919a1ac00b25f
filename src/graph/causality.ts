import { CausalScoring, ruleFor, scorePair } from './causalRules';

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
