import { Statement } from './cypher';

/**
 * The reads (and the one feedback write) of the HTTP API, every value a parameter and every
 * pattern scoped by `$client`, like src/graph/cypher.ts.
 */

const INCIDENTS = `
MATCH (a:Event {client: $client, source: 'alert'})
WHERE $status IS NULL OR a.detail = $status
WITH a, split(a.eid, ':')[1] AS fingerprint ORDER BY a.ts DESC
WITH fingerprint, collect(a)[0] AS a
RETURN fingerprint, a.eid AS eid, a.reason AS alertname, a.detail AS status, a.severity AS severity, a.ts AS startsAt,
       a.last_ts AS lastTs, a.rid AS resource, a.message AS summary, a.confirmed_cause AS confirmedCause,
       a.enriched_revision AS enrichedRevision, a.enriched_status AS enrichedStatus, a.fault_type AS faultType,
       a.top_cause AS topEid, a.top_cause_reason AS topReason, a.top_cause_rid AS topResource, a.top_cause_score AS topScore, a.top_cause_ts AS topTs
ORDER BY startsAt DESC, fingerprint ASC
LIMIT toInteger($limit)`;

/** The client's alerts, one row per fingerprint (its latest firing), newest first; `status` filters ('firing' | 'resolved'). */
export function incidentsOf(client: string, limit: number, status: string | null): Statement {
  return { text: INCIDENTS, params: { client, limit, status } };
}

const ALERT_NODE = `
MATCH (a:Event {client: $client, eid: $eid})
RETURN a.eid AS eid, a.reason AS alertname, a.detail AS status, a.severity AS severity, a.ts AS startsAt, a.last_ts AS lastTs,
       a.rid AS resource, a.message AS summary, a.confirmed_cause AS confirmedCause, coalesce(a.rejected_causes, []) AS rejectedCauses,
       a.feedback_at AS feedbackAt, a.feedback_by AS feedbackBy`;

export function alertNode(client: string, eid: string): Statement {
  return { text: ALERT_NODE, params: { client, eid } };
}

const SUBGRAPH = `
MATCH (e:Event {client: $client}) WHERE e.eid IN $eids
WITH collect(e) AS ns
UNWIND ns AS a
OPTIONAL MATCH (a)-[p:POTENTIAL_CAUSE]->(b:Event)
WHERE b IN ns AND p.client = $client
RETURN a.eid AS eid, a.reason AS reason, a.category AS category, a.source AS source, a.severity AS severity, a.rid AS resource,
       a.ts AS ts, a.last_ts AS lastTs, a.count AS count, a.message AS message,
       [x IN collect(CASE WHEN b IS NULL THEN null ELSE {to: b.eid, rule: p.rule, confidence: p.confidence, lagMs: p.lag_ms} END) WHERE x IS NOT NULL] AS out
ORDER BY ts ASC, eid ASC`;

/** The events `eids` of the client's graph and the POTENTIAL_CAUSE edges among them. */
export function eventSubgraph(client: string, eids: readonly string[]): Statement {
  return { text: SUBGRAPH, params: { client, eids } };
}

/** Variable-length bounds cannot be parameters: one fixed text per allowed depth. */
const aroundText = (depth: number) => `
MATCH (r:Resource {client: $client, rid: $rid})
CALL {
  WITH r
  MATCH p = (r)-[:RUNS_ON|CONTROLS|SELECTS*0..${depth}]-(n:Resource)
  WHERE n.client = $client AND all(x IN relationships(p) WHERE x.client = $client)
  RETURN collect(DISTINCT n)[0..toInteger($maxNodes)] AS ns
}
UNWIND ns AS n
OPTIONAL MATCH (n)-[t:RUNS_ON|CONTROLS|SELECTS]->(m:Resource)
WHERE m IN ns AND t.client = $client
RETURN n.rid AS rid, n.kind AS kind, n.namespace AS namespace, n.name AS name, n.phase AS phase, coalesce(n.stub, false) AS stub,
       coalesce(n.deleted, false) AS deleted, COUNT { (n)<-[:ABOUT]-(:Event) } AS events,
       [x IN collect(CASE WHEN m IS NULL THEN null ELSE {to: m.rid, type: type(t)} END) WHERE x IS NOT NULL] AS out
ORDER BY rid`;

export const MAX_GRAPH_DEPTH = 3;
const AROUND = Array.from({ length: MAX_GRAPH_DEPTH + 1 }, (_, d) => aroundText(d));

/** Resources within `depth` (0..3) topology edges of `rid`, at most `maxNodes`, and the edges among them. */
export function resourcesAround(client: string, rid: string, depth: number, maxNodes = 500): Statement {
  if (!Number.isInteger(depth) || depth < 0 || depth > MAX_GRAPH_DEPTH) throw new RangeError(`depth must be 0..${MAX_GRAPH_DEPTH}, got ${depth}`);
  return { text: AROUND[depth], params: { client, rid, maxNodes } };
}

const HAS_GRAPH = `RETURN EXISTS { MATCH (:Resource {client: $client}) } OR EXISTS { MATCH (:Event {client: $client}) } AS known`;

export function hasGraph(client: string): Statement {
  return { text: HAS_GRAPH, params: { client } };
}

const FEEDBACK = `
MATCH (a:Event {client: $client, eid: $alert})
MATCH (c:Event {client: $client, eid: $cause})
WITH a, [x IN coalesce(a.rejected_causes, []) WHERE x <> $cause] AS rejected
SET a.confirmed_cause = CASE WHEN $verdict = 'confirmed' THEN $cause WHEN a.confirmed_cause = $cause THEN null ELSE a.confirmed_cause END,
    a.rejected_causes = CASE WHEN $verdict = 'rejected' THEN rejected + $cause ELSE rejected END,
    a.feedback_at = $at, a.feedback_by = $by
RETURN a.confirmed_cause AS confirmedCause, a.rejected_causes AS rejectedCauses, a.feedback_at AS feedbackAt`;

/**
 * Feedback on one cause of an alert, on the alert's Event node: `confirmed_cause` (one eid),
 * `rejected_causes` (eids), `feedback_at` (ms), `feedback_by` (who). No row when either event is
 * not in the client's graph.
 */
export function causeFeedback(client: string, alertEid: string, causeEid: string, verdict: 'confirmed' | 'rejected', by: string, at: number): Statement {
  return { text: FEEDBACK, params: { client, alert: alertEid, cause: causeEid, verdict, by, at } };
}

const RECORD_ANSWER = `
MATCH (a:Event {client: $client, eid: $eid})
SET a.enriched_revision = $revision, a.enriched_at = $at, a.enriched_status = $status, a.fault_type = $faultType,
    a.top_cause = $top.eid, a.top_cause_reason = $top.reason, a.top_cause_rid = $top.rid, a.top_cause_score = $top.score, a.top_cause_ts = $top.ts
RETURN count(a) AS n`;

/**
 * The summary of a published answer on the alert's node (what the alerts.enriched publisher sent
 * last: revision, state, fault type, top cause), so the incident list reads it instead of ranking
 * every alert again.
 */
export function recordAnswer(
  client: string,
  eid: string,
  revision: number,
  status: string,
  faultType: string | null,
  top: { eid: string; reason: string; rid: string | null; score: number; ts: number | null } | null,
  at: number,
): Statement {
  return { text: RECORD_ANSWER, params: { client, eid, revision, status, faultType, top: top ?? { eid: null, reason: null, rid: null, score: null, ts: null }, at } };
}
