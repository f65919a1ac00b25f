import type { Truth } from './faults';

/**
 * Scoring of RCA answers against a corpus's truth (contract: a ranked cause is right when its
 * resource is `root.rid` and its reason one of `root.reasons`). A@K = share of incidents whose right
 * cause is ranked K or better; MAR = mean rank of the right cause, an incident without it counted
 * at `limit + 1` (so MAR cannot look good by answering nothing). Pure functions over plain values.
 *
 * @example scoreAnswers(truth, [{ id: 'inc-1', causes: [{ reason: 'OOMKilled', resource: 'Pod/shop/a' }], ms: 12 }], 10)
 */
export interface CauseLike {
  reason: string;
  resource: string | null;
  eid?: string;
  score?: number;
}

export interface Answer {
  id: string;
  /** False when the alert was not found in the graph (never written, or not linked). */
  alertFound: boolean;
  causes: CauseLike[];
  /** Time to answer, ms. */
  ms: number;
  error?: string;
}

export interface Scores {
  n: number;
  at1: number;
  at3: number;
  at5: number;
  /** Mean rank, misses counted at limit + 1. */
  mar: number;
  /** Alerts with no cause at all (no causal path reaches them). */
  noPath: number;
  alertMissing: number;
}

export interface Miss {
  id: string;
  faultType: string;
  rank: number | null;
  want: string;
  /** The top answer (reason @ resource), or why there is none. */
  top: string;
  note: string;
}

/** 1-based rank of the first right cause, or null. */
export function rankOf(t: Pick<Truth, 'root'>, causes: readonly CauseLike[]): number | null {
  const i = causes.findIndex((c) => c.resource === t.root.rid && t.root.reasons.includes(c.reason));
  return i < 0 ? null : i + 1;
}

function scoresOf(rows: Array<{ rank: number | null; answer: Answer | undefined }>, limit: number): Scores {
  const n = rows.length;
  const within = (k: number) => rows.filter((r) => r.rank !== null && r.rank <= k).length;
  return {
    n,
    at1: within(1),
    at3: within(3),
    at5: within(5),
    mar: n === 0 ? NaN : rows.reduce((s, r) => s + (r.rank ?? limit + 1), 0) / n,
    noPath: rows.filter((r) => r.answer !== undefined && r.answer.alertFound && r.answer.causes.length === 0).length,
    alertMissing: rows.filter((r) => r.answer === undefined || !r.answer.alertFound).length,
  };
}

export function scoreAnswers(truth: readonly Truth[], answers: readonly Answer[], limit = 10): { overall: Scores; byType: Record<string, Scores>; misses: Miss[] } {
  const byId = new Map(answers.map((a) => [a.id, a]));
  const rows = truth.map((t) => {
    const answer = byId.get(t.id);
    return { t, answer, rank: answer ? rankOf(t, answer.causes.slice(0, limit)) : null };
  });
  const byType: Record<string, Scores> = {};
  for (const type of [...new Set(truth.map((t) => t.faultType))].sort()) byType[type] = scoresOf(rows.filter((r) => r.t.faultType === type), limit);
  const misses: Miss[] = rows
    .filter((r) => r.rank !== 1)
    .map((r) => ({
      id: r.t.id,
      faultType: r.t.faultType,
      rank: r.rank,
      want: `${r.t.root.reasons[0]} @ ${r.t.root.rid}`,
      top: !r.answer ? 'no answer' : r.answer.error ? `error: ${r.answer.error}` : !r.answer.alertFound ? 'alert not in the graph' : r.answer.causes.length === 0 ? 'no causal path' : `${r.answer.causes[0].reason} @ ${r.answer.causes[0].resource}`,
      note: r.t.note,
    }));
  return { overall: scoresOf(rows, limit), byType, misses };
}

export function pct(x: number, n: number): string {
  return n === 0 ? '-' : `${Math.round((100 * x) / n)} %`;
}
