import { Statement } from './cypher';

/**
 * The reads (and the one feedback write) of the HTTP API, every value a parameter and every
 * pattern scoped by `$client`, like src/graph/cypher.ts.
 */

/**
 * Whether the answer stored on alert node `a` (src/delivery/storedAnswer.ts) is still the answer:
 * stored for the alert's current state, and no event of its evidence window ($window ms before the
 * alert) first written, and no FEKG pattern confirmed (`learned`, bound by {@link LEARNED}), after
 * the answer's time.
 */
const freshAnswer = (a: string) => `(${a}.answer_at IS NOT NULL AND ${a}.answer_status = coalesce(${a}.detail, 'firing') AND coalesce(learned, -1) <= ${a}.answer_at
  AND NOT EXISTS { MATCH (w:Event {client: $client}) WHERE w.written_at > ${a}.answer_at AND ${a}.ts - $window <= w.ts <= ${a}.ts })`;

/** `learned`: when the client's FEKG last learned a pattern (null: never). */
const LEARNED = `CALL { MATCH (p:FaultPattern {client: $client}) RETURN max(p.confirmedAt) AS learned }`;

/**
 * A statement's text on one line: the neo4j driver writes a message in 1400-byte pieces on a socket
 * without TCP_NODELAY, so a statement past that waits for the server's delayed ACK (~40 ms).
 */
const compact = (text: string) => text.replace(/\s+/g, ' ').trim();

const INCIDENTS = compact(`
${LEARNED}
MATCH (a:Event {client: $client, source: 'alert'})
WHERE $status IS NULL OR a.detail = $status
WITH learned, a, split(a.eid, ':')[1] AS fingerprint ORDER BY a.ts DESC
WITH learned, fingerprint, collect(a)[0] AS a
ORDER BY a.ts DESC, fingerprint ASC
LIMIT toInteger($limit)
RETURN fingerprint, a.eid AS eid, a.reason AS alertname, a.detail AS status, a.severity AS severity, a.ts AS startsAt,
       a.last_ts AS lastTs, a.rid AS resource, a.message AS summary, a.confirmed_cause AS confirmedCause,
       a.enriched_revision AS enrichedRevision, a.enriched_status AS enrichedStatus,
       ${freshAnswer('a')} AS answerFresh, a.answer_fault_type AS faultType,
       a.answer_top_eid AS topEid, a.answer_top_reason AS topReason, a.answer_top_rid AS topResource, a.answer_top_score AS topScore, a.answer_top_at AS topAt
ORDER BY startsAt DESC, fingerprint ASC`);

/**
 * The client's alerts, one row per fingerprint (its latest firing), newest first; `status` filters
 * ('firing' | 'resolved'). Each row carries the top cause and fault type of the answer stored on
 * the alert and whether that answer is fresh (`answerFresh`; `window`: the evidence window, ms),
 * and the revision and state alerts.enriched last published (`enrichedRevision`, `enrichedStatus`).
 */
export function incidentsOf(client: string, limit: number, status: string | null, window: number): Statement {
  return { text: INCIDENTS, params: { client, limit, status, window } };
}

/** The fields of an alert node the API shows: column → property. */
const ALERT_COLUMNS: ReadonlyArray<[string, string]> = [
  ['eid', 'eid'], ['alertname', 'reason'], ['status', 'detail'], ['severity', 'severity'], ['startsAt', 'ts'], ['lastTs', 'last_ts'], ['resource', 'rid'],
  ['summary', 'message'], ['confirmedCause', 'confirmed_cause'], ['rejectedCauses', 'rejected_causes'], ['feedbackAt', 'feedback_at'], ['feedbackBy', 'feedback_by'],
];

const ALERT_FIELDS = ALERT_COLUMNS.map(([c, p]) => (c === 'rejectedCauses' ? `coalesce(a.${p}, []) AS ${c}` : `a.${p} AS ${c}`)).join(', ');

/** An alert node's properties (a map projection `a {.*}`) as {@link alertNode}'s row. */
export function alertOfProperties(props: Record<string, unknown>): Record<string, unknown> {
  const row = Object.fromEntries(ALERT_COLUMNS.map(([c, p]) => [c, props[p] ?? null]));
  return { ...row, rejectedCauses: row.rejectedCauses ?? [] };
}

const ALERT_NODE = `
MATCH (a:Event {client: $client, eid: $eid})
RETURN ${ALERT_FIELDS}`;

export function alertNode(client: string, eid: string): Statement {
  return { text: ALERT_NODE, params: { client, eid } };
}

/** The events of the list `eids` and the POTENTIAL_CAUSE edges among them, one row each (`e`, `out`), oldest first. */
const subgraphOf = (eids: string) => `
MATCH (e:Event {client: $client}) WHERE e.eid IN ${eids}
WITH collect(e) AS ns
UNWIND ns AS e
OPTIONAL MATCH (e)-[p:POTENTIAL_CAUSE]->(b:Event)
WHERE b IN ns AND p.client = $client
WITH e, collect(CASE WHEN b IS NOT NULL THEN {to: b.eid, rule: p.rule, confidence: p.confidence} END) AS out
ORDER BY e.ts, e.eid`;

/** The columns of a subgraph row: name → expression. */
const SUBGRAPH_FIELDS: ReadonlyArray<[string, string]> = [
  ['eid', 'e.eid'], ['reason', 'e.reason'], ['category', 'e.category'], ['source', 'e.source'], ['severity', 'e.severity'], ['resource', 'e.rid'],
  ['ts', 'e.ts'], ['lastTs', 'e.last_ts'], ['count', 'e.count'], ['message', 'e.message'], ['out', 'out'],
];

const SUBGRAPH = `${subgraphOf('$eids')}
RETURN ${SUBGRAPH_FIELDS.map(([k, x]) => `${x} AS ${k}`).join(', ')}`;

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

// ---- stored answers (src/delivery/storedAnswer.ts) ----

const LATEST_ALERT = `
${LEARNED}
MATCH (a:Event {client: $client}) WHERE a.eid STARTS WITH $prefix AND a.source = 'alert'
WITH learned, a ORDER BY a.ts DESC LIMIT 1`;

const STORED_ANSWER = compact(`${LATEST_ALERT}
RETURN a.eid AS eid, a.answer_json AS answer, a.answer_limit AS answerLimit, ${freshAnswer('a')} AS fresh`);

/**
 * The answer stored on the latest alert of fingerprint `fingerprint` (the one the ranking answers,
 * src/rca alertLookup) and whether it is fresh (`window`: the evidence window, ms). No row: no such alert.
 */
export function storedAnswer(client: string, fingerprint: string, window: number): Statement {
  return { text: STORED_ANSWER, params: { client, prefix: `alert:${fingerprint}:`, window } };
}

const STORED_INCIDENT = compact(`${LATEST_ALERT}
WITH a, ${freshAnswer('a')} AS fresh
CALL (a, fresh) {
  WITH a WHERE fresh
  ${subgraphOf('coalesce(a.answer_eids, [])')}
  RETURN collect(e {.eid, .reason, .category, .source, .severity, .ts, .count, .message, resource: e.rid, lastTs: e.last_ts, out: out}) AS sub
}
RETURN a {.*} AS alert, fresh, sub`);

/**
 * The incident page in one read: the latest alert of `fingerprint` (its node's properties in
 * `alert`, {@link alertOfProperties}; the stored answer in `answer_json`), whether that answer is
 * fresh, and (when fresh) the subgraph of the answer's events as {@link eventSubgraph}'s rows in `sub`.
 */
export function storedIncident(client: string, fingerprint: string, window: number): Statement {
  return { text: STORED_INCIDENT, params: { client, prefix: `alert:${fingerprint}:`, window } };
}

const STORE_ANSWER = `
MATCH (a:Event {client: $client, eid: $eid})
WHERE a.answer_at IS NULL OR a.answer_at <= $at
SET a.answer_json = $json, a.answer_at = $at, a.answer_status = $status, a.answer_limit = $limit, a.answer_eids = $eids,
    a.answer_fault_type = $faultType, a.answer_top_eid = $top.eid, a.answer_top_reason = $top.reason, a.answer_top_rid = $top.rid,
    a.answer_top_score = $top.score, a.answer_top_at = $top.at
RETURN count(a) AS n`;

/**
 * Stores an answer on its alert node: the JSON, `at` (server ms its reads started from), the alert
 * state it answered, its limit, the events its page shows (`eids`), its fault type and top cause.
 * An answer older than the one stored is not written.
 */
export function storeAnswer(
  client: string,
  eid: string,
  a: { json: string; at: number; status: string; limit: number; eids: readonly string[]; faultType: string | null; top: { eid: string; reason: string; rid: string | null; score: number; at: string | null } | null },
): Statement {
  return { text: STORE_ANSWER, params: { client, eid, ...a, eids: [...a.eids], top: a.top ?? { eid: null, reason: null, rid: null, score: null, at: null } } };
}

/** The graph server's clock (ms): the time events' `written_at` is set from. */
export const SERVER_NOW: Statement = { text: 'RETURN timestamp() AS now', params: {} };
