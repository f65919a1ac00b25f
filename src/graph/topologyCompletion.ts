import { CandidatePair } from './causality';

/**
 * Order independence (issue 14 item 7): events that arrived before the topology relating them
 * got no causal edge when they were written. When the topology builder (or an inferred CALLS
 * edge) relates two resources that were not related (or brings them closer), the pairs of events
 * on them are evaluated then, with the same scoring ({@link causalEdges}). These are the plain
 * functions of that plan; the statements are in cypher.ts, the adapter runs them.
 */
export type RelatedSets = ReadonlyMap<string, ReadonlyArray<{ rid: string; d: number }>>;

/** A resource pair that became related (or closer), with its new distance. */
export interface NewRelation {
  a: string;
  b: string;
  d: number;
}

/**
 * The relations `after` has that `before` had not (or at a shorter distance), each unordered pair
 * once at its shortest distance. A resource missing from `before` had none of them.
 *
 * @example relatedDelta(new Map([['Pod/a/p', []]]), new Map([['Pod/a/p', [{ rid: 'Node//n', d: 1 }]]]))
 *          // [{ a: 'Node//n', b: 'Pod/a/p', d: 1 }]
 */
export function relatedDelta(before: RelatedSets, after: RelatedSets): NewRelation[] {
  const out = new Map<string, NewRelation>();
  for (const [rid, now] of after) {
    const was = new Map<string, number>();
    for (const x of before.get(rid) ?? []) was.set(x.rid, Math.min(was.get(x.rid) ?? Infinity, x.d));
    for (const x of now) {
      if (x.rid === rid) continue;
      const prev = was.get(x.rid);
      if (prev !== undefined && prev <= x.d) continue;
      const [a, b] = rid < x.rid ? [rid, x.rid] : [x.rid, rid];
      const key = `${a}\u0000${b}`;
      const seen = out.get(key);
      if (!seen || x.d < seen.d) out.set(key, { a, b, d: x.d });
    }
  }
  return [...out.values()].sort((x, y) => (x.a < y.a ? -1 : x.a > y.a ? 1 : x.b < y.b ? -1 : x.b > y.b ? 1 : 0));
}

/** The related sets read back ({rid, related: [{rid, d}]} rows), each resource's nearest distance per neighbour. */
export function relatedSetsOf(rows: ReadonlyArray<Record<string, unknown>>): Map<string, Array<{ rid: string; d: number }>> {
  const out = new Map<string, Array<{ rid: string; d: number }>>();
  for (const row of rows) {
    const best = new Map<string, number>();
    for (const n of (row.related ?? []) as Array<{ rid: string; d: number }>) best.set(n.rid, Math.min(best.get(n.rid) ?? Infinity, Number(n.d)));
    out.set(row.rid as string, [...best].map(([rid, d]) => ({ rid, d })));
  }
  return out;
}

/** Candidate pairs from the events found on newly related resources ({a, ats, acat, b, bts, bcat, d} rows). */
export function completionPairs(rows: ReadonlyArray<Record<string, unknown>>): CandidatePair[] {
  return rows.map((r) => ({ a: r.a as string, ats: Number(r.ats), acat: r.acat as string, b: r.b as string, bts: Number(r.bts), bcat: r.bcat as string, d: Number(r.d) }));
}
