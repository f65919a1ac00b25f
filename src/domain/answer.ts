/**
 * The rca answer, as the ranking (`src/rca`) produces it and the API, the alerts.enriched
 * publisher and the notifications consume it (`kgroot rca --json` prints it).
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
