import type { Statement } from '../graph/cypher';

/**
 * The rca answer of /work/helpers/CONTRACT-RCA.md, as the API, the alerts.enriched publisher and
 * the notifications consume it. The ranking (`src/rca`) produces it; until it lands,
 * `answerSource.ts` adapts today's `rootCauses` statement to it.
 */
export interface PathStep {
  eid: string;
  reason: string;
  resource: string | null;
  /** ISO time of the event. */
  at: string | null;
  /** The rule of the POTENTIAL_CAUSE edge that leads into this step. */
  rule: string;
  confidence: number;
}

export interface RankedCause {
  rank: number;
  score: number;
  eid: string;
  reason: string;
  category: string | null;
  resource: string | null;
  at: string | null;
  hops: number;
  /** From the cause (exclusive) to the alert (inclusive), one step per edge. */
  path: PathStep[];
}

export interface RcaAnswer {
  client: string;
  alert: { fingerprint: string; eid: string; alertname: string; status: string; startsAt: string };
  faultType: string | null;
  causes: RankedCause[];
}

/** What an answer function reads with: GraphStore satisfies it. */
export interface GraphReader {
  read(client: string, statement: Statement): Promise<Record<string, unknown>[]>;
}

/**
 * The answer function: the ranked causes of the client's alert with this fingerprint (its latest
 * firing, by startsAt), or null when the client's graph holds no such alert.
 */
export type AnswerFunction = (reader: GraphReader, client: string, fingerprint: string, limit?: number) => Promise<RcaAnswer | null>;
