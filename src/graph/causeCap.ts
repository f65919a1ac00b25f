import { CausalEdgeRow } from './causality';

/** A POTENTIAL_CAUSE edge as stored. */
export interface StoredCause {
  cause: string;
  effect: string;
  confidence: number;
}

/**
 * The most causes an effect keeps, applied over the graph and not over one batch: of the edges
 * stored into an effect and those proposed now (a proposed edge replaces a stored one between the
 * same events unless it scores lower), the `max` with the highest confidence (then the smaller cause id) stay. So the
 * causes an effect ends with do not depend on which of them arrived first — a cause that comes
 * late still displaces a weaker one that came early. Returns the proposed edges to write and the
 * stored ones to delete.
 *
 * @example capCauses([{ cause: 'a', effect: 'e', confidence: 0.2 }], [{ cause: 'b', effect: 'e', confidence: 0.9, ... }], 1)
 *          // { write: [b → e], drop: [{ cause: 'a', effect: 'e' }] }
 */
export function capCauses(stored: readonly StoredCause[], proposed: readonly CausalEdgeRow[], max: number): { write: CausalEdgeRow[]; drop: Array<{ cause: string; effect: string }> } {
  const byEffect = new Map<string, Map<string, { confidence: number; stored: boolean; row?: CausalEdgeRow }>>();
  const slot = (effect: string) => {
    let m = byEffect.get(effect);
    if (!m) byEffect.set(effect, (m = new Map()));
    return m;
  };
  for (const s of stored) slot(s.effect).set(s.cause, { confidence: s.confidence, stored: true });
  for (const p of proposed) {
    const m = slot(p.effect);
    const seen = m.get(p.cause);
    // The same pair scored lower (found over a longer path, or a stale topology) keeps the stored edge: the nearest relation counts.
    if (seen?.stored && seen.confidence > p.confidence) continue;
    m.set(p.cause, { confidence: p.confidence, stored: seen?.stored ?? false, row: p });
  }
  const write: CausalEdgeRow[] = [];
  const drop: Array<{ cause: string; effect: string }> = [];
  for (const [effect, causes] of byEffect) {
    const ranked = [...causes].sort(([ca, a], [cb, b]) => b.confidence - a.confidence || (ca < cb ? -1 : ca > cb ? 1 : 0));
    ranked.forEach(([cause, c], i) => {
      if (i < max) {
        if (c.row) write.push(c.row);
      } else if (c.stored) drop.push({ cause, effect });
    });
  }
  return { write, drop };
}
