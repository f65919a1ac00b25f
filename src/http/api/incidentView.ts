import { RcaAnswer } from '../../delivery/answer';

/** The shapes the API answers with, built by plain functions from the rows GraphStore reads. */
const iso = (ts: unknown): string | null => (ts === null || ts === undefined ? null : new Date(Number(ts)).toISOString());
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export interface IncidentSummary {
  fingerprint: string;
  eid: string;
  alertname: string;
  /** firing | resolved: a resolved alert resolves its incident. */
  state: string;
  severity: string | null;
  startsAt: string | null;
  /** When it resolved (null while firing). */
  endsAt: string | null;
  resource: string | null;
  summary: string | null;
  faultType: string | null;
  topCause: { eid: string; reason: string; resource: string | null; score: number; at: string | null } | null;
  confirmedCause: string | null;
}

/**
 * Whether an incidents row carries the top cause and fault type of a fresh stored answer
 * (src/delivery/storedAnswer.ts; then the list needs no ranking); rows without one are answered.
 */
export function hasStoredAnswer(row: Record<string, unknown>): boolean {
  return row.answerFresh === true;
}

/** An incidents row (readCypher incidentsOf) and its answer (or, with none given, the stored answer's summary on the row) → one incident of the list. */
export function incidentSummary(row: Record<string, unknown>, answer: RcaAnswer | null): IncidentSummary {
  const state = str(row.status) ?? 'firing';
  const stored = answer === null && hasStoredAnswer(row);
  const top = stored
    ? row.topEid === null || row.topEid === undefined
      ? undefined
      : { eid: String(row.topEid), reason: String(row.topReason), resource: str(row.topResource), score: Number(row.topScore), at: str(row.topAt) }
    : answer?.causes[0];
  return {
    fingerprint: String(row.fingerprint),
    eid: String(row.eid),
    alertname: String(row.alertname),
    state,
    severity: str(row.severity),
    startsAt: iso(row.startsAt),
    endsAt: state === 'resolved' && Number(row.lastTs) > Number(row.startsAt) ? iso(row.lastTs) : null,
    resource: str(row.resource),
    summary: str(row.summary),
    faultType: stored ? str(row.faultType) : (answer?.faultType ?? null),
    topCause: top ? { eid: top.eid, reason: top.reason, resource: top.resource, score: top.score, at: top.at } : null,
    confirmedCause: str(row.confirmedCause),
  };
}

export interface GraphNode {
  id: string;
  reason: string;
  category: string | null;
  source: string | null;
  resource: string | null;
  at: string | null;
  /** 'alert' for the incident's alert, 'root' for the top-ranked cause, 'cause' for other ranked causes, 'step' otherwise. */
  role: 'alert' | 'root' | 'cause' | 'step';
  rank: number | null;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  rule: string;
  confidence: number;
}

export interface TimelineEntry {
  at: string | null;
  eid: string;
  reason: string;
  source: string | null;
  resource: string | null;
  severity: string | null;
  count: number;
  message: string | null;
}

export interface IncidentDetail {
  client: string;
  incident: IncidentSummary & { rejectedCauses: string[]; feedbackAt: string | null; feedbackBy: string | null };
  faultType: string | null;
  causes: RcaAnswer['causes'];
  graph: { nodes: GraphNode[]; edges: GraphEdge[] };
  timeline: TimelineEntry[];
}

/** The answer, the alert's node and the subgraph rows (readCypher eventSubgraph) → the incident page's data. */
export function incidentDetail(client: string, fingerprint: string, answer: RcaAnswer, alert: Record<string, unknown>, subgraph: ReadonlyArray<Record<string, unknown>>): IncidentDetail {
  const rank = new Map(answer.causes.map((c) => [c.eid, c.rank]));
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const timeline: TimelineEntry[] = [];
  for (const r of subgraph) {
    const eid = String(r.eid);
    const rk = rank.get(eid) ?? null;
    nodes.push({
      id: eid,
      reason: String(r.reason),
      category: str(r.category),
      source: str(r.source),
      resource: str(r.resource),
      at: iso(r.ts),
      role: eid === answer.alert.eid ? 'alert' : rk === 1 ? 'root' : rk !== null ? 'cause' : 'step',
      rank: rk,
    });
    for (const e of (r.out as Array<Record<string, unknown>>) ?? []) {
      edges.push({ id: `${eid}->${String(e.to)}`, source: eid, target: String(e.to), rule: String(e.rule), confidence: Number(e.confidence) });
    }
    timeline.push({ at: iso(r.ts), eid, reason: String(r.reason), source: str(r.source), resource: str(r.resource), severity: str(r.severity), count: Number(r.count ?? 1), message: str(r.message) });
  }
  const summary = incidentSummary({ ...alert, fingerprint }, answer);
  return {
    client,
    incident: {
      ...summary,
      rejectedCauses: ((alert.rejectedCauses as string[] | null) ?? []).map(String),
      feedbackAt: iso(alert.feedbackAt),
      feedbackBy: str(alert.feedbackBy),
    },
    faultType: answer.faultType,
    causes: answer.causes,
    graph: { nodes, edges },
    timeline,
  };
}

/** Rows of readCypher resourcesAround → nodes and edges. */
export function resourceGraph(rows: ReadonlyArray<Record<string, unknown>>): { nodes: Array<Record<string, unknown>>; edges: Array<{ id: string; source: string; target: string; type: string }> } {
  const nodes = rows.map((r) => ({ id: String(r.rid), kind: str(r.kind), namespace: str(r.namespace), name: str(r.name), phase: str(r.phase), stub: Boolean(r.stub), deleted: Boolean(r.deleted), events: Number(r.events ?? 0) }));
  const edges = rows.flatMap((r) => ((r.out as Array<Record<string, unknown>>) ?? []).map((e) => ({ id: `${String(r.rid)}-${String(e.type)}->${String(e.to)}`, source: String(r.rid), target: String(e.to), type: String(e.type) })));
  return { nodes, edges };
}
