import { batchCandidatePairs, CausalEdgeOptions, CausalEdgeRow, causalEdges, StoredCandidates } from './causality';
import type { CausalEdgeRef } from './cypher';
import { EventRow } from './eventRows';

/** `[eid, elementId, new in this batch, ts, category, rid, created_by_batch]` of an event written ({@link eventBatchWrite}'s refs). */
export type WrittenRef = [string, string, boolean, number, string, string, string | null];

/** Stored candidates with the element id of each (`bref`; '' for an event of an earlier batch still in flight). */
export type StoredWithRefs = StoredCandidates & { cands: ReadonlyArray<{ b: string; bref: string }> };

export interface CausalPlanOptions extends CausalEdgeOptions {
  maxCandidates: number;
}

/** Where each event of a batch's plan is: its element id and whether the batch created it. */
export type EventRefs = ReadonlyMap<string, { ref: string; fresh: boolean }>;

export interface CausalPlan {
  /** The scored edges of the batch (its pairs, each effect cut at the cap within the batch). */
  proposed: CausalEdgeRow[];
  /** Effects stored before this batch: the cap must count the causes they hold already. */
  old: string[];
  refs: EventRefs;
  /** Candidate pairs considered. */
  pairs: number;
}

/**
 * The causal edges of a batch, a plain function of its rows, the stored candidates found for them
 * and what the event write returned: the candidate pairs ({@link batchCandidatePairs}), scored and
 * oriented ({@link causalEdges}), with the effects that were stored before (their cap is counted
 * over the graph by the caller, which reads their stored causes).
 *
 * @example planCausalEdges([oomRow, backoffRow], [], [['evt:oom', '4:1', true, ...], ['evt:bo', '4:2', true, ...]], opts)
 *          // { proposed: [evt:oom → evt:bo, oom->backoff], old: [], pairs: 2, ... }
 */
export function planCausalEdges(rows: readonly EventRow[], stored: readonly StoredWithRefs[], written: readonly WrittenRef[], opts: CausalPlanOptions): CausalPlan {
  const refs = new Map<string, { ref: string; fresh: boolean }>();
  for (const s of stored) for (const c of s.cands) refs.set(c.b, { ref: c.bref, fresh: false });
  for (const [eid, ref, fresh] of written) refs.set(eid, { ref, fresh });
  const pairs = batchCandidatePairs(rows, stored, opts.windowMs, opts.maxCandidates, opts.alertLookbackMs);
  const proposed = causalEdges(pairs, opts);
  const old = [...new Set(proposed.filter((e) => refs.get(e.effect)?.fresh === false).map((e) => e.effect))];
  return { proposed, old, refs, pairs: pairs.length };
}

/**
 * The edges to write now, by element id, and those to an event of an earlier batch still in flight
 * (an empty ref), written by event id once that batch has ended.
 */
export function placeEdges(edges: readonly CausalEdgeRow[], refs: EventRefs): { now: CausalEdgeRef[]; later: CausalEdgeRow[] } {
  const now: CausalEdgeRef[] = [];
  const later: CausalEdgeRow[] = [];
  for (const e of edges) {
    const c = refs.get(e.cause);
    const f = refs.get(e.effect);
    if (!c || !f) throw new Error(`causal plan: edge ${e.cause} -> ${e.effect} names an event the batch neither wrote nor found`);
    if (c.ref === '' || f.ref === '') later.push(e);
    else now.push({ ...e, cause_ref: c.ref, effect_ref: f.ref, fresh: c.fresh || f.fresh });
  }
  return { now, later };
}
