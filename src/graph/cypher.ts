import { createHash } from 'node:crypto';
import { reachOf } from './causalRules';
import { CausalEdgeRow } from './causality';
import { EventRow } from './eventRows';
import { InferredCallRow, servicePeerKeys } from './callInference';
import { PublishedEdge, ResourceRow } from './k8sObject';
import { ResourceRef } from './resourceId';

/**
 * The Cypher of the graph, with every value a parameter. Every node and relationship carries
 * `client` and every pattern is scoped by `$client`, in both isolation modes (in `database` mode
 * it is redundant, and it keeps one set of queries).
 */
export interface Statement {
  text: string;
  params: Record<string, unknown>;
}

/** Constraints and indexes, created at start (idempotent). Uniqueness includes the client. */
export const SCHEMA_STATEMENTS: readonly string[] = [
  'CREATE CONSTRAINT kg_resource_key IF NOT EXISTS FOR (r:Resource) REQUIRE (r.client, r.rid) IS UNIQUE',
  'CREATE CONSTRAINT kg_event_key IF NOT EXISTS FOR (e:Event) REQUIRE (e.client, e.eid) IS UNIQUE',
  'CREATE INDEX kg_event_resource_time IF NOT EXISTS FOR (e:Event) ON (e.client, e.rid, e.ts)',
  'CREATE INDEX kg_event_time IF NOT EXISTS FOR (e:Event) ON (e.client, e.ts)',
  // The API's incident list: a client's alerts without scanning its events (issue 15).
  'CREATE INDEX kg_event_source IF NOT EXISTS FOR (e:Event) ON (e.client, e.source)',
  'CREATE INDEX kg_resource_namespace IF NOT EXISTS FOR (r:Resource) ON (r.client, r.namespace)',
  // The fault patterns of the FEKG (src/rca/patternStore.ts).
  'CREATE CONSTRAINT kg_pattern_key IF NOT EXISTS FOR (p:FaultPattern) REQUIRE (p.client, p.pid) IS UNIQUE',
  // The kg-rca-agent tombstones resources by uid.
  'CREATE INDEX kg_resource_uid IF NOT EXISTS FOR (r:Resource) ON (r.client, r.uid)',
  // Tombstones past their grace period, swept by resourceDeletes.
  'CREATE INDEX kg_resource_tombstone IF NOT EXISTS FOR (r:Resource) ON (r.client, r.deleted_at)',
  'CREATE INDEX kg_topology_clock IF NOT EXISTS FOR (c:TopologyClock) ON (c.client)',
  // When a client's FEKG last learned a pattern: stored answers older than that are stale (src/delivery/storedAnswer.ts).
  'CREATE INDEX kg_pattern_learned IF NOT EXISTS FOR (p:FaultPattern) ON (p.client, p.confirmedAt)',
  // The names and addresses logs call peers by, and the Services known under them (src/graph/callInference.ts).
  'CREATE CONSTRAINT kg_peer_key IF NOT EXISTS FOR (p:Peer) REQUIRE (p.client, p.key) IS UNIQUE',
];

const EVENT_WRITE = `
UNWIND $rows AS row
MERGE (e:Event {client: $client, eid: row.eid})
ON CREATE SET e.created_by_batch = $batch, e.written_at = timestamp(), e.ts = row.ts, e.last_ts = row.last_ts, e.count = row.count, e.line_ids = row.lids
ON MATCH SET
  e.ts = CASE WHEN row.ts < e.ts THEN row.ts ELSE e.ts END,
  e.last_ts = CASE WHEN row.last_ts > e.last_ts THEN row.last_ts ELSE e.last_ts END,
  // A log row with line ids is counted below; one without (older writers) adds its lines.
  e.count = CASE
    WHEN row.source = 'log' AND row.lids IS NOT NULL THEN e.count
    WHEN row.source = 'log' THEN e.count + row.count
    WHEN row.count > e.count THEN row.count ELSE e.count END
SET e.source = row.source, e.reason = row.reason, e.category = row.category, e.severity = row.severity,
    e.message = row.message, e.detail = row.detail, e.rid = row.rid
// A log Event counts each line once: only the ids it has not counted yet add (a replay adds 0).
// The stored ids are read once per row (not once per compared id), and written only when some are new.
WITH e, row, CASE WHEN row.source = 'log' AND row.lids IS NOT NULL AND coalesce(e.created_by_batch, "") <> $batch THEN coalesce(e.line_ids, []) END AS have
WITH e, row, have, CASE WHEN have IS NULL THEN [] ELSE [x IN row.lids WHERE NOT x IN have] END AS fresh
FOREACH (_ IN CASE WHEN size(fresh) > 0 THEN [1] ELSE [] END | SET e.line_ids = have + fresh, e.count = e.count + size(fresh))
WITH e, row
CALL {
  WITH e, row
  WITH e, row WHERE row.rid IS NOT NULL
  MERGE (r:Resource {client: $client, rid: row.rid})
  ON CREATE SET r:$(row.kind), r.kind = row.kind, r.namespace = row.namespace, r.name = row.name, r.stub = true
  WITH e, r
  // An event created by this statement has no edges yet: CREATE skips MERGE's existence check.
  CALL { WITH e, r WITH e, r WHERE e.created_by_batch = $batch CREATE (e)-[:ABOUT {client: $client}]->(r) }
  CALL { WITH e, r WITH e, r WHERE coalesce(e.created_by_batch, "") <> $batch MERGE (e)-[a:ABOUT]->(r) ON CREATE SET a.client = $client }
}
RETURN count(CASE WHEN e.created_by_batch = $batch THEN 1 END) AS added,
       collect(CASE WHEN row.rid IS NOT NULL AND row.category <> 'normal' THEN [e.eid, elementId(e), e.created_by_batch = $batch, e.ts, e.category, e.rid, e.created_by_batch] END) AS refs`;

const STORED_TIMES = `
UNWIND $eids AS eid
MATCH (e:Event {client: $client, eid: eid})
RETURN e.eid AS eid, e.ts AS ts`;

/**
 * The stored first time of the batch's events that may exist already with an earlier one: error-log
 * events (one per template, resource and window: a later line of the window arrives in a later
 * batch) and Kubernetes events seen more than once. Null when the batch has none.
 */
export function storedTimes(client: string, rows: readonly EventRow[]): Statement | null {
  const eids = rows.filter((r) => r.source === 'log' || (r.source === 'k8s' && r.count > 1)).map((r) => r.eid);
  return eids.length === 0 ? null : { text: STORED_TIMES, params: { client, eids } };
}

/**
 * The rows dated from their event's first time: a row's `ts` is the earlier of its own and the one
 * stored (`stored`, by eid), so its causal pairs are those of the stored event whichever copy
 * arrives when. Rows not stored, or stored later, are returned as they are.
 */
export function datedAsStored(rows: readonly EventRow[], stored: ReadonlyMap<string, number>): EventRow[] {
  return rows.map((r) => {
    const ts = stored.get(r.eid);
    return ts !== undefined && ts < r.ts ? { ...r, ts } : r;
  });
}

/**
 * The batch's events (merged on `(client, eid)`) and their ABOUT edges, creating stub resources as
 * needed, returning `added` (events new in this batch) and `refs`: `[eid, elementId, new, ts,
 * category, rid, created_by_batch]` (as stored) of every event that can take part in a causal edge, so the edges
 * address them by id in the same transaction.
 */
export function eventBatchWrite(client: string, batch: string, rows: readonly EventRow[]): Statement {
  return { text: EVENT_WRITE, params: { client, batch, rows } };
}

/**
 * The resources `n` related to the resource `r`, as a list of `item(d)`, in `client`'s graph: the
 * one definition of "related" for the search in Neo4j, the candidate memory and the completion of
 * candidates when topology appears. d = 1: one RUNS_ON / CONTROLS / SELECTS / MOUNTS (Pod → PVC) /
 * USES_CONFIG (Pod → ConfigMap, Secret) / BOUND_TO (PVC → PV) / ROUTES_TO (Ingress → Service) /
 * CALLS (a workload → a Service it calls) edge away; d = 2: two CONTROLS away in one direction
 * (Deployment → ReplicaSet → Pod), a Pod's claim's volume (MOUNTS then BOUND_TO), and the pods of a
 * Service the resource calls (CALLS then SELECTS), each either way.
 */
export function relatedResources(item: (d: 1 | 2) => string): string {
  return `[(r)-[:RUNS_ON|CONTROLS|SELECTS|MOUNTS|USES_CONFIG|BOUND_TO|ROUTES_TO|CALLS]-(n:Resource) WHERE n.client = $client | ${item(1)}]
  + [(r)-[:CONTROLS]->(:Resource)-[:CONTROLS]->(n:Resource) WHERE n.client = $client | ${item(2)}]
  + [(n:Resource)-[:CONTROLS]->(:Resource)-[:CONTROLS]->(r) WHERE n.client = $client | ${item(2)}]
  + [(r)-[:MOUNTS]->(:Resource)-[:BOUND_TO]->(n:Resource) WHERE n.client = $client | ${item(2)}]
  + [(n:Resource)-[:MOUNTS]->(:Resource)-[:BOUND_TO]->(r) WHERE n.client = $client | ${item(2)}]
  + [(r)-[:CALLS]->(:Resource)-[:SELECTS]->(n:Resource) WHERE n.client = $client | ${item(2)}]
  + [(n:Resource)-[:CALLS]->(:Resource)-[:SELECTS]->(r) WHERE n.client = $client | ${item(2)}]`;
}

/**
 * Causal candidates among the events already stored, read at the start of the batch's transaction
 * (before its writes, so the index seeks do not wade through the transaction's own changes). Per
 * resource of the batch's non-normal events: the related resources — itself (0 hops), one RUNS_ON /
 * CONTROLS / SELECTS edge away (1), two CONTROLS away in one direction (2: Deployment → ReplicaSet →
 * Pod); then per event, on those of them with stored events, an index range seek on (client, rid, ts) over
 * the window (for an alert: the alert lookback before it; for any event: alerts up to the lookback after
 * it, as {@link inCausalReach}), nearest first, at most $maxCandidates. One row per resource: `rid`, `related`
 * ({rid, d}) and `cands` ({a, b, bts, bcat, bref, d}); the pairs inside the batch are found in code
 * from `related` ({@link batchCandidatePairs}). Pods that merely share a node or a service are not
 * related through it (that made every event a candidate of dozens).
 */
const STORED_CANDIDATES = `
UNWIND $groups AS g
MATCH (r:Resource {client: $client, rid: g.rid})
// Every related resource goes back (the batch's own events pair on it); only those with events are searched.
UNWIND [{rid: r.rid, d: 0, stored: COUNT { (r)<-[:ABOUT]-() } > 0}]
  + ${relatedResources((d) => `{rid: n.rid, d: ${d}, stored: COUNT { (n)<-[:ABOUT]-() } > 0}`)} AS nb
WITH g, nb.rid AS nrid, nb.stored AS stored, min(nb.d) AS d
WITH g, collect({rid: nrid, d: d, stored: stored}) AS related
CALL {
  WITH g, related
  UNWIND g.evs AS ev
  UNWIND related AS nb
  WITH ev, nb WHERE nb.stored
  MATCH (c:Event {client: $client, rid: nb.rid})
  WHERE c.ts >= ev.ts - ev.back AND c.ts <= ev.ts + $lookback AND c.eid <> ev.eid AND c.category <> 'normal'
    AND (abs(c.ts - ev.ts) <= $window OR (ev.alert AND c.ts <= ev.ts) OR (c.category = 'alert' AND c.ts >= ev.ts))
    AND NOT (coalesce(c.created_by_batch, '') IN $later AND NOT c.eid IN $earlier)
  WITH ev, c, nb.d AS d ORDER BY d, abs(c.ts - ev.ts), c.eid
  WITH ev, collect({b: c.eid, bts: c.ts, bcat: c.category, bref: elementId(c), d: d})[0..toInteger($maxCandidates)] AS cs
  UNWIND cs AS x
  RETURN collect({a: ev.eid, b: x.b, bts: x.bts, bcat: x.bcat, bref: x.bref, d: x.d}) AS cands
}
RETURN g.rid AS rid, related, cands`;

/** {@link STORED_CANDIDATES} for the batch's rows, leaving out events created by the batches in `later` (begun after this one) unless a batch begun before wrote them too (`earlier`: their event ids); null when no row can have a cause (no resource, or only normal events). */
export function storedCandidates(client: string, rows: readonly EventRow[], windowMs: number, maxCandidates: number, later: readonly string[] = [], earlier: readonly string[] = [], alertLookbackMs = windowMs): Statement | null {
  const lookback = reachOf('alert', { windowMs, alertLookbackMs });
  const groups = candidateGroups(rows).map((g) => ({ rid: g.rid, evs: g.rows.map((r) => ({ eid: r.eid, ts: r.ts, alert: r.category === 'alert', back: reachOf(r.category, { windowMs, alertLookbackMs }) })) }));
  if (groups.length === 0) return null;
  return { text: STORED_CANDIDATES, params: { client, groups, window: windowMs, lookback, maxCandidates, later, earlier } };
}

/** Rows in the order their resources are locked (by rid, then eid), so concurrent batches take locks in one order. */
export function inLockOrder(rows: readonly EventRow[]): EventRow[] {
  const key = (r: EventRow) => r.rid ?? '\uffff';
  return [...rows].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : x.eid < y.eid ? -1 : x.eid > y.eid ? 1 : 0));
}

/** The rows that can have a cause (a resource, not normal), grouped by resource: the neighbourhood is looked up once per resource. */
export function candidateGroups(rows: readonly EventRow[]): Array<{ rid: string; rows: EventRow[] }> {
  const byRid = new Map<string, EventRow[]>();
  for (const r of rows) {
    if (r.rid === null || r.category === 'normal') continue;
    const list = byRid.get(r.rid) ?? [];
    list.push(r);
    byRid.set(r.rid, list);
  }
  return [...byRid].map(([rid, rs]) => ({ rid, rows: rs }));
}

const CAUSAL_EDGES_NEW = `
UNWIND $edges AS ed
MATCH (c:Event) WHERE elementId(c) = ed.cause_ref
MATCH (e:Event) WHERE elementId(e) = ed.effect_ref
WITH c, e, ed WHERE c.client = $client AND e.client = $client AND c.eid = ed.cause AND e.eid = ed.effect
CREATE (c)-[:POTENTIAL_CAUSE {client: $client, confidence: ed.confidence, rule: ed.rule, lag_ms: ed.lag_ms, distance: ed.distance}]->(e)`;

const CAUSAL_EDGES = `
UNWIND $edges AS ed
MATCH (c:Event) WHERE elementId(c) = ed.cause_ref
MATCH (e:Event) WHERE elementId(e) = ed.effect_ref
WITH c, e, ed WHERE c.client = $client AND e.client = $client AND c.eid = ed.cause AND e.eid = ed.effect
MERGE (c)-[p:POTENTIAL_CAUSE]->(e)
SET p.client = $client, p.confidence = ed.confidence, p.rule = ed.rule, p.lag_ms = ed.lag_ms, p.distance = ed.distance`;

const CAUSAL_EDGES_BY_ID = `
UNWIND $edges AS ed
MATCH (c:Event {client: $client, eid: ed.cause})
MATCH (e:Event {client: $client, eid: ed.effect})
MERGE (c)-[p:POTENTIAL_CAUSE]->(e)
SET p.client = $client, p.confidence = ed.confidence, p.rule = ed.rule, p.lag_ms = ed.lag_ms, p.distance = ed.distance`;

/**
 * POTENTIAL_CAUSE edges addressed by event id (an index seek per end), for edges to events of a
 * batch that was still in flight when this one found them: written after that batch committed. An
 * end that is not stored (its batch failed) matches nothing, and the edge comes with that batch's
 * retry or replay. Sorted by cause, then effect, as {@link causalEdgeUpserts}.
 */
export function causalEdgesById(client: string, edges: readonly CausalEdgeRow[]): Statement {
  const sorted = [...edges].sort((x, y) => (x.cause < y.cause ? -1 : x.cause > y.cause ? 1 : x.effect < y.effect ? -1 : x.effect > y.effect ? 1 : 0));
  return {
    text: CAUSAL_EDGES_BY_ID,
    params: { client, edges: sorted.map((e) => ({ cause: e.cause, effect: e.effect, confidence: e.confidence, rule: e.rule, lag_ms: e.lag_ms, distance: e.distance })) },
  };
}

/** A causal edge with the element ids of its two events, as {@link storedCandidates} and {@link eventBatchWrite} returned them in the same transaction. */
export interface CausalEdgeRef extends CausalEdgeRow {
  cause_ref: string;
  effect_ref: string;
  /** True when either event was created in this transaction, so the edge cannot exist yet. */
  fresh: boolean;
}

/**
 * POTENTIAL_CAUSE edges between events found in this transaction, by element id (a seek by id,
 * no index lookup), both ends still checked to belong to `client` and to carry the expected event
 * id (an id remembered from an earlier batch could since name another node): CREATE where an end is new in
 * this transaction, MERGE otherwise (a replay). Sorted by the cause's then the effect's id, so
 * concurrent batches lock events in one order. Relationships created = the statements' counters.
 */
export function causalEdgeUpserts(client: string, edges: readonly CausalEdgeRef[]): Statement[] {
  const sorted = [...edges].sort((x, y) => (x.cause_ref < y.cause_ref ? -1 : x.cause_ref > y.cause_ref ? 1 : x.effect_ref < y.effect_ref ? -1 : x.effect_ref > y.effect_ref ? 1 : 0));
  const strip = (e: CausalEdgeRef) => ({ cause: e.cause, effect: e.effect, cause_ref: e.cause_ref, effect_ref: e.effect_ref, confidence: e.confidence, rule: e.rule, lag_ms: e.lag_ms, distance: e.distance });
  const fresh = sorted.filter((e) => e.fresh).map(strip);
  const old = sorted.filter((e) => !e.fresh).map(strip);
  const out: Statement[] = [];
  if (fresh.length > 0) out.push({ text: CAUSAL_EDGES_NEW, params: { client, edges: fresh } });
  if (old.length > 0) out.push({ text: CAUSAL_EDGES, params: { client, edges: old } });
  return out;
}

const INCOMING_CAUSES = `
UNWIND $eids AS eid
MATCH (e:Event {client: $client, eid: eid})<-[p:POTENTIAL_CAUSE]-(c:Event)
WHERE c.client = $client
RETURN eid AS effect, c.eid AS cause, p.confidence AS confidence`;

/** The causes stored into each of the events, so the per-effect cap holds over the graph ({@link capCauses}). */
export function incomingCauses(client: string, eids: readonly string[]): Statement {
  return { text: INCOMING_CAUSES, params: { client, eids } };
}

const DROP_CAUSES = `
UNWIND $edges AS ed
MATCH (c:Event {client: $client, eid: ed.cause})-[p:POTENTIAL_CAUSE]->(e:Event {client: $client, eid: ed.effect})
DELETE p
RETURN count(*) AS dropped`;

/** Deletes causal edges displaced by stronger causes of the same effect. */
export function dropCauses(client: string, edges: ReadonlyArray<{ cause: string; effect: string }>): Statement {
  return { text: DROP_CAUSES, params: { client, edges } };
}

const PRUNE_CAUSES = `
UNWIND $eids AS eid
MATCH (e:Event {client: $client, eid: eid})<-[p:POTENTIAL_CAUSE]-(c:Event)
WITH e, p, c ORDER BY p.confidence DESC, c.eid ASC
WITH e, collect(p) AS ps
UNWIND ps[toInteger($max)..] AS extra
DELETE extra
RETURN count(*) AS dropped`;

/** Keeps the `max` strongest causes (then the smaller cause id) of each event, deleting the rest. */
export function pruneCauses(client: string, eids: readonly string[], max: number): Statement {
  return { text: PRUNE_CAUSES, params: { client, eids, max } };
}

// ---- topology ----

const RESOURCE_UPSERT = `
UNWIND $rows AS row
MERGE (r:Resource {client: $client, rid: row.rid})
SET r:$(row.kind), r.kind = row.kind, r.namespace = row.namespace, r.name = row.name, r.uid = row.uid,
    r.labels = row.labels, r.selector = row.selector, r.phase = row.phase, r.stub = false, r.deleted = false, r.deleted_at = null,
    r.revision = row.revision, r.cluster_ips = row.clusterIPs, r.ports = row.ports, r.links_sig = row.sig,
    r.updated_at = $now
WITH r
CALL {
  WITH r
  OPTIONAL MATCH (r)-[x:RUNS_ON|SELECTS|MOUNTS|USES_CONFIG|BOUND_TO|ROUTES_TO]->() WHERE x.origin = 'object'
  DELETE x
}
CALL {
  WITH r
  OPTIONAL MATCH (r)<-[y:CONTROLS|SELECTS]-() WHERE y.origin = 'object'
  DELETE y
}
RETURN count(r) AS upserted`;

const RESOURCE_LINKS = `
UNWIND $rows AS row
MATCH (r:Resource {client: $client, rid: row.rid})
CALL {
  WITH r, row
  UNWIND row.owners AS o
  MERGE (w:Resource {client: $client, rid: o.rid})
  ON CREATE SET w.kind = o.kind, w.namespace = o.namespace, w.name = o.name, w.stub = true
  SET w:$(o.kind)
  MERGE (w)-[x:CONTROLS]->(r)
  SET x.client = $client, x.origin = 'object'
}
CALL {
  WITH r, row
  WITH r, row WHERE row.kind = 'Service' AND size(row.selector) > 0
  MATCH (p:Resource {client: $client, namespace: row.namespace})
  WHERE p.kind = 'Pod' AND coalesce(p.deleted, false) = false AND all(s IN row.selector WHERE s IN p.labels)
  MERGE (r)-[x:SELECTS]->(p)
  SET x.client = $client, x.origin = 'object'
}
CALL {
  WITH r, row
  WITH r, row WHERE row.kind = 'Pod'
  MATCH (s:Resource {client: $client, namespace: row.namespace})
  WHERE s.kind = 'Service' AND coalesce(s.deleted, false) = false AND size(s.selector) > 0 AND all(x IN s.selector WHERE x IN row.labels)
  MERGE (s)-[x:SELECTS]->(r)
  SET x.client = $client, x.origin = 'object'
}
CALL {
  WITH r, row
  UNWIND row.refs AS t
  MERGE (n:Resource {client: $client, rid: t.rid})
  ON CREATE SET n.kind = t.kind, n.namespace = t.namespace, n.name = t.name, n.stub = true
  SET n:$(t.kind)
  WITH r, t, n
  CALL { WITH r, t, n WITH r, t, n WHERE t.type = 'RUNS_ON' MERGE (r)-[x:RUNS_ON]->(n) SET x.client = $client, x.origin = 'object' }
  CALL { WITH r, t, n WITH r, t, n WHERE t.type = 'MOUNTS' MERGE (r)-[x:MOUNTS]->(n) SET x.client = $client, x.origin = 'object' }
  CALL { WITH r, t, n WITH r, t, n WHERE t.type = 'USES_CONFIG' MERGE (r)-[x:USES_CONFIG]->(n) SET x.client = $client, x.origin = 'object' }
  CALL { WITH r, t, n WITH r, t, n WHERE t.type = 'BOUND_TO' MERGE (r)-[x:BOUND_TO]->(n) SET x.client = $client, x.origin = 'object' }
  CALL { WITH r, t, n WITH r, t, n WHERE t.type = 'ROUTES_TO' MERGE (r)-[x:ROUTES_TO]->(n) SET x.client = $client, x.origin = 'object' }
}
RETURN count(r) AS linked`;

/** Marks each ReplicaSet of a Deployment in the batch as the current revision or an old one (node and CONTROLS edge). */
const REVISIONS = `
UNWIND $rows AS row
MATCH (x:Resource {client: $client, rid: row.rid}) WHERE x.kind IN ['Deployment', 'ReplicaSet']
CALL {
  WITH x
  MATCH (x)-[c:CONTROLS]->(rs:Resource) WHERE x.kind = 'Deployment' AND rs.kind = 'ReplicaSet'
  RETURN x AS d, c, rs
  UNION
  WITH x
  MATCH (d:Resource)-[c:CONTROLS]->(x) WHERE x.kind = 'ReplicaSet' AND d.kind = 'Deployment'
  RETURN d, c, x AS rs
}
WITH d, c, rs, rs.revision IS NOT NULL AND d.revision IS NOT NULL AND rs.revision = d.revision AS current
SET rs.current = current, c.current = current, c.revision = rs.revision
RETURN count(*) AS marked`;

/** What a resource's object-derived edges depend on (labels for SELECTS too), as a short hash: an unchanged resync changes no edge. */
export function linkSignature(r: ResourceRow): string {
  const parts = [r.labels, r.selector, r.runsOn, r.ownedBy, r.mounts ?? [], r.configs ?? [], r.boundTo ?? null, r.routesTo ?? []];
  return createHash('sha1').update(JSON.stringify(parts)).digest('hex').slice(0, 24);
}

function refParam(r: ResourceRef): Record<string, string> {
  return { rid: r.rid, kind: r.kind, namespace: r.namespace, name: r.name };
}

function parseRef(rid: string): ResourceRef {
  const [kind, namespace, name] = rid.split('/');
  return { rid, kind, namespace, name };
}

/**
 * Upserts resources and replaces the edges their spec implies: first every row (dropping its old
 * object-derived edges), then RUNS_ON, CONTROLS, SELECTS, MOUNTS, USES_CONFIG, BOUND_TO and
 * ROUTES_TO (targets not seen yet become stubs), then which ReplicaSets are their Deployment's
 * current revision, then the names a Service is known under and the CALLS edges logs that named
 * it before it arrived complete ({@link servicePeerWrites}), so the order within a batch does not matter.
 */
export function resourceUpserts(client: string, rows: readonly ResourceRow[], now: number): Statement[] {
  const params = rows.map((r) => ({
    ...refParam(r),
    uid: r.uid,
    labels: r.labels,
    selector: r.selector,
    phase: r.phase,
    owners: r.ownedBy.map((o) => refParam(parseRef(o))),
    revision: r.revision ?? null,
    sig: linkSignature(r),
    clusterIPs: r.clusterIPs ?? [],
    ports: r.ports ?? [],
    refs: [
      ...(r.runsOn ? [{ type: 'RUNS_ON', ...refParam(parseRef(r.runsOn)) }] : []),
      ...(r.mounts ?? []).map((rid) => ({ type: 'MOUNTS', ...refParam(parseRef(rid)) })),
      ...(r.configs ?? []).map((rid) => ({ type: 'USES_CONFIG', ...refParam(parseRef(rid)) })),
      ...(r.boundTo ? [{ type: 'BOUND_TO', ...refParam(parseRef(r.boundTo)) }] : []),
      ...(r.routesTo ?? []).map((rid) => ({ type: 'ROUTES_TO', ...refParam(parseRef(rid)) })),
    ],
  }));
  const out: Statement[] = [
    { text: RESOURCE_UPSERT, params: { client, rows: params, now } },
    { text: RESOURCE_LINKS, params: { client, rows: params } },
  ];
  const revisioned = rows.filter((r) => r.kind === 'Deployment' || r.kind === 'ReplicaSet').map((r) => ({ rid: r.rid }));
  if (revisioned.length > 0) out.push({ text: REVISIONS, params: { client, rows: revisioned } });
  out.push(...servicePeerWrites(client, rows));
  return out;
}

/**
 * How long a tombstone nothing is about keeps its object-derived edges, ms of wall time. Events and
 * objects reach the graph through different topics and components: a pod's events may be written after
 * its deletion was (a lagging consumer, a replay, the event watch behind the object watch), and they
 * must still find the topology they happened in (the claim it mounted, the ReplicaSet that owned it).
 */
export const TOMBSTONE_GRACE_MS = 30 * 60_000;

const RESOURCE_DELETE = `
UNWIND $rids AS rid
MATCH (r:Resource {client: $client, rid: rid})
SET r.deleted_at = CASE WHEN r.deleted = true AND r.deleted_at IS NOT NULL THEN r.deleted_at ELSE $now END,
    r.deleted = true, r.links_sig = null, r.updated_at = $now
WITH count(r) AS marked
CALL {
  MATCH (r:Resource {client: $client}) WHERE r.deleted_at <= $cutoff AND NOT EXISTS { (r)<-[:ABOUT]-() }
  WITH r LIMIT 1000
  CALL {
    WITH r
    OPTIONAL MATCH (r)-[x:RUNS_ON|CONTROLS|SELECTS|MOUNTS|USES_CONFIG|BOUND_TO|ROUTES_TO]-() WHERE x.origin IN ['object', 'agent']
    DELETE x
  }
  WITH r WHERE NOT (r)--()
  DELETE r
  RETURN count(*) AS removed
}
RETURN marked, removed`;

/**
 * A tombstone: the resource is marked deleted (since `now`) and keeps its object-derived edges — the
 * topology its events happened in (the ReplicaSet that owned the pod, the node it ran on, its claim),
 * so an alert answered after the pod was evicted or replaced still reaches them, and events about it
 * written after the deletion are linked as if they had come first; the Service's next upsert drops
 * its selection of it. Tombstones deleted more than {@link TOMBSTONE_GRACE_MS} before `now` that no
 * event is about lose those edges and are removed when nothing else refers to them (no published edges).
 */
export function resourceDeletes(client: string, rids: readonly string[], now: number, graceMs = TOMBSTONE_GRACE_MS): Statement {
  return { text: RESOURCE_DELETE, params: { client, rids, now, cutoff: now - graceMs } };
}

const PUBLISHED_CLEAR = `
MATCH (a:Resource {client: $client})-[x:RUNS_ON|CONTROLS|SELECTS|MOUNTS|USES_CONFIG|BOUND_TO|ROUTES_TO|CALLS]->(:Resource)
WHERE x.origin = 'published' AND x.client = $client
DELETE x
RETURN count(*) AS removed`;

const PUBLISHED_SET = `
UNWIND $edges AS ed
MERGE (a:Resource {client: $client, rid: ed.from.rid})
ON CREATE SET a.kind = ed.from.kind, a.namespace = ed.from.namespace, a.name = ed.from.name, a.stub = true, a.deleted = false
SET a:$(ed.from.kind)
MERGE (b:Resource {client: $client, rid: ed.to.rid})
ON CREATE SET b.kind = ed.to.kind, b.namespace = ed.to.namespace, b.name = ed.to.name, b.stub = true, b.deleted = false
SET b:$(ed.to.kind)
WITH a, b, ed
CALL { WITH a, b, ed WITH a, b, ed WHERE ed.type = 'RUNS_ON' MERGE (a)-[x:RUNS_ON]->(b) SET x.client = $client, x.origin = 'published' }
CALL { WITH a, b, ed WITH a, b, ed WHERE ed.type = 'CONTROLS' MERGE (a)-[x:CONTROLS]->(b) SET x.client = $client, x.origin = 'published' }
CALL { WITH a, b, ed WITH a, b, ed WHERE ed.type = 'SELECTS' MERGE (a)-[x:SELECTS]->(b) SET x.client = $client, x.origin = 'published' }
CALL { WITH a, b, ed WITH a, b, ed WHERE ed.type = 'MOUNTS' MERGE (a)-[x:MOUNTS]->(b) SET x.client = $client, x.origin = 'published' }
CALL { WITH a, b, ed WITH a, b, ed WHERE ed.type = 'USES_CONFIG' MERGE (a)-[x:USES_CONFIG]->(b) SET x.client = $client, x.origin = 'published' }
CALL { WITH a, b, ed WITH a, b, ed WHERE ed.type = 'BOUND_TO' MERGE (a)-[x:BOUND_TO]->(b) SET x.client = $client, x.origin = 'published' }
CALL { WITH a, b, ed WITH a, b, ed WHERE ed.type = 'ROUTES_TO' MERGE (a)-[x:ROUTES_TO]->(b) SET x.client = $client, x.origin = 'published' }
CALL { WITH a, b, ed WITH a, b, ed WHERE ed.type = 'CALLS' MERGE (a)-[x:CALLS {origin: 'published'}]->(b) SET x.client = $client }
RETURN count(*) AS merged`;

/** The client's published edge set replaces the previous one (null = tombstone: none). */
export function publishedTopology(client: string, edges: readonly PublishedEdge[] | null): Statement[] {
  const out: Statement[] = [{ text: PUBLISHED_CLEAR, params: { client } }];
  if (edges && edges.length > 0) {
    out.push({ text: PUBLISHED_SET, params: { client, edges: edges.map((e) => ({ type: e.type, from: refParam(e.from), to: refParam(e.to) })) } });
  }
  return out;
}

// ---- CALLS inferred from logs (src/graph/callInference.ts) ----

const NAMES_PEER = `
UNWIND $calls AS c
MATCH (a:Resource {client: $client, rid: c.rid})
MERGE (k:Peer {client: $client, key: c.key})
MERGE (a)-[n:NAMES_PEER]->(k)
ON CREATE SET n.client = $client, n.first_seen = c.first, n.last_seen = c.last, n.count = 0, n.evidence = c.eid,
              n.template = c.template, n.peer = c.peer, n.error_class = c.error_class
SET n.confidence = c.confidence, n.form = c.form, n.count = n.count + c.count,
    n.last_seen = CASE WHEN c.last > n.last_seen THEN c.last ELSE n.last_seen END,
    n.evidence = CASE WHEN c.first < n.first_seen THEN c.eid ELSE n.evidence END,
    n.template = CASE WHEN c.first < n.first_seen THEN c.template ELSE n.template END,
    n.peer = CASE WHEN c.first < n.first_seen THEN c.peer ELSE n.peer END,
    n.first_seen = CASE WHEN c.first < n.first_seen THEN c.first ELSE n.first_seen END
RETURN count(n) AS named`;

const SERVICE_PEERS = `
UNWIND $services AS sv
MATCH (s:Resource {client: $client, rid: sv.rid})
CALL { WITH s, sv MATCH (s)<-[old:RESOLVES_TO]-(k:Peer) WHERE NOT k.key IN sv.keys DELETE old }
CALL {
  WITH s, sv
  UNWIND sv.keys AS key
  MERGE (k:Peer {client: $client, key: key})
  MERGE (k)-[r:RESOLVES_TO]->(s)
  ON CREATE SET r.client = $client
  // A cluster IP names one Service at a time: one deleted and re-created elsewhere no longer has it.
  WITH k, s, key WHERE key STARTS WITH 'ip:'
  MATCH (k)-[o:RESOLVES_TO]->(t:Resource) WHERE t <> s
  DELETE o
}
RETURN count(s) AS known`;

const CALLS_MATERIALISE = `
UNWIND $keys AS key
MATCH (k:Peer {client: $client, key: key})-[:RESOLVES_TO]->(s:Resource)
MATCH (a:Resource)-[:NAMES_PEER]->(k)
WHERE a.client = $client AND s.client = $client AND a <> s
WITH DISTINCT a, s
MATCH (a)-[n:NAMES_PEER]->(:Peer)-[:RESOLVES_TO]->(s)
WITH a, s, n ORDER BY n.confidence DESC, n.first_seen ASC, n.evidence ASC
WITH a, s, collect(n) AS ns
WITH a, s, ns[0] AS best,
     reduce(m = ns[0].first_seen, x IN ns | CASE WHEN x.first_seen < m THEN x.first_seen ELSE m END) AS first,
     reduce(m = ns[0].last_seen, x IN ns | CASE WHEN x.last_seen > m THEN x.last_seen ELSE m END) AS last,
     reduce(c = 0, x IN ns | c + x.count) AS lines
MERGE (a)-[x:CALLS {origin: 'inferred'}]->(s)
ON CREATE SET x.client = $client, x.inferred = true
SET x.confidence = best.confidence, x.rule = 'log-peer:' + best.form, x.evidence = best.evidence, x.template = best.template,
    x.peer = best.peer, x.error_class = best.error_class, x.firstSeen = first, x.lastSeen = last, x.lines = lines
RETURN count(x) AS calls`;

/**
 * The peers a batch's error logs name (pod -[:NAMES_PEER {evidence, first/last seen, count}]->
 * Peer {key}), then the CALLS edges they complete: a pod that named a key some Service is known
 * under CALLS that Service (`origin: 'inferred'`, with the evidence of the strongest naming).
 */
export function inferredCallWrites(client: string, calls: readonly InferredCallRow[]): Statement[] {
  if (calls.length === 0) return [];
  return [
    { text: NAMES_PEER, params: { client, calls } },
    { text: CALLS_MATERIALISE, params: { client, keys: [...new Set(calls.map((c) => c.key))].sort() } },
  ];
}

/**
 * The keys the batch's Services are known under (Peer -[:RESOLVES_TO]-> Service: DNS name, cluster
 * IPs; keys a Service no longer has are dropped), then the CALLS edges from pods whose logs named
 * them before the Service arrived. Nothing for a batch without Services.
 */
export function servicePeerWrites(client: string, rows: readonly ResourceRow[]): Statement[] {
  const services = rows.filter((r) => r.kind === 'Service').map((r) => ({ rid: r.rid, keys: servicePeerKeys(r) }));
  if (services.length === 0) return [];
  return [
    { text: SERVICE_PEERS, params: { client, services } },
    { text: CALLS_MATERIALISE, params: { client, keys: [...new Set(services.flatMap((s) => s.keys))].sort() } },
  ];
}

// ---- completion: candidates a topology change completes (src/graph/topologyCompletion.ts) ----

const LINK_SIGNATURES = `
UNWIND $rids AS rid
OPTIONAL MATCH (r:Resource {client: $client, rid: rid})
RETURN rid, r.links_sig AS sig`;

/** The stored link signature of each resource (null: new, a stub, or deleted). */
export function linkSignatures(client: string, rids: readonly string[]): Statement {
  return { text: LINK_SIGNATURES, params: { client, rids } };
}

const TOPOLOGY_AREA = `
UNWIND $rids AS rid
MATCH (r:Resource {client: $client, rid: rid})
UNWIND [r.rid] + [(r)-[:RUNS_ON|CONTROLS|SELECTS|MOUNTS|USES_CONFIG|BOUND_TO|ROUTES_TO|CALLS]-(n:Resource) WHERE n.client = $client | n.rid] AS x
RETURN collect(DISTINCT x) AS area`;

/** The resources and their neighbours over one edge of any topology type: whose related sets a change of theirs can alter. */
export function topologyArea(client: string, rids: readonly string[]): Statement {
  return { text: TOPOLOGY_AREA, params: { client, rids } };
}

const RELATED_OF = `
UNWIND $rids AS rid
MATCH (r:Resource {client: $client, rid: rid})
RETURN rid, ${relatedResources((d) => `{rid: n.rid, d: ${d}}`)} AS related`;

/** Each resource's related set ({@link relatedResources}) as `{rid, related: [{rid, d}]}` rows. */
export function relatedOf(client: string, rids: readonly string[]): Statement {
  return { text: RELATED_OF, params: { client, rids } };
}

const EVENTS_IN_RANGE = `
MATCH (e:Event {client: $client})
WHERE e.ts >= $from AND e.ts <= $to AND e.rid IS NOT NULL AND e.category <> 'normal'
RETURN e.eid AS eid, e.ts AS ts, e.category AS category, e.rid AS rid, elementId(e) AS ref, e.created_by_batch AS by
LIMIT toInteger($limit)`;

/** The stored events that can take part in a causal edge with a time in [from, to], at most `limit` (the candidate memory's covered range). */
export function eventsInRange(client: string, from: number, to: number, limit: number): Statement {
  return { text: EVENTS_IN_RANGE, params: { client, from, to, limit } };
}

const COMPLETION_CANDIDATES = `
UNWIND $pairs AS p
MATCH (a:Event {client: $client, rid: p.a})
USING INDEX a:Event(client, rid, ts)
WHERE a.ts IS NOT NULL AND a.category <> 'normal'
MATCH (b:Event {client: $client, rid: p.b})
WHERE b.ts >= a.ts - $lookback AND b.ts <= a.ts + $lookback AND b.category <> 'normal'
  AND (abs(b.ts - a.ts) <= $window OR (a.category = 'alert' AND b.ts <= a.ts) OR (b.category = 'alert' AND b.ts >= a.ts))
RETURN a.eid AS a, a.ts AS ats, a.category AS acat, b.eid AS b, b.ts AS bts, b.category AS bcat, p.d AS d`;

/** The stored events on each pair of newly related resources in causal reach of each other (within the window, or an alert's lookback before it: {@link inCausalReach}). */
export function completionCandidates(client: string, pairs: ReadonlyArray<{ a: string; b: string; d: number }>, windowMs: number, alertLookbackMs = windowMs): Statement {
  return { text: COMPLETION_CANDIDATES, params: { client, pairs, window: windowMs, lookback: reachOf('alert', { windowMs, alertLookbackMs }) } };
}

const TOPOLOGY_CLOCK_BUMP = `
MERGE (c:TopologyClock {client: $client})
SET c.version = coalesce(c.version, 0) + 1
RETURN c.version AS version`;

/** Counts a change of the client's relations, so a candidate memory that cached related sets reads them again. */
export function topologyClockBump(client: string): Statement {
  return { text: TOPOLOGY_CLOCK_BUMP, params: { client } };
}

const TOPOLOGY_CLOCK_HOLD = `
MERGE (c:TopologyClock {client: $client})
SET c.event_batches = coalesce(c.event_batches, 0) + 1
WITH max(c.version) AS version
RETURN version`;

/**
 * Taken by a graph-builder transaction after its writes, just before it commits: a write lock on
 * the client's topology clock (the topology builder bumps it after its own writes and before its
 * completion reads the stored events), with the version now. The two serialize there, so either the
 * completion sees this batch's events, or this batch sees the clock moved and is written again.
 */
export function topologyClockHold(client: string): Statement {
  return { text: TOPOLOGY_CLOCK_HOLD, params: { client } };
}

export const TOPOLOGY_CLOCK_READ = `
OPTIONAL MATCH (c:TopologyClock {client: $client})
RETURN max(c.version) AS version`;

// ---- reading ----

const ROOT_CAUSES = `
MATCH (t:Event {client: $client, eid: $eid})
MATCH p = (root:Event)-[:POTENTIAL_CAUSE*1..4]->(t)
WHERE root.client = $client AND all(x IN relationships(p) WHERE x.client = $client)
WITH root, max(reduce(s = 1.0, x IN relationships(p) | s * x.confidence)) AS pathScore, min(length(p)) AS hops
OPTIONAL MATCH (root)<-[up:POTENTIAL_CAUSE]-(:Event)
WITH root, pathScore, hops, max(up.confidence) AS upstream
RETURN root.eid AS eid, root.reason AS reason, root.category AS category, root.rid AS rid, root.ts AS ts, hops,
       pathScore * (1 - 0.5 * coalesce(upstream, 0.0)) AS score
ORDER BY score DESC, ts ASC, eid ASC
LIMIT toInteger($limit)`;

/**
 * Root-cause ranking for one event or alert: every event with a POTENTIAL_CAUSE path (≤ 4 hops)
 * to it, scored by the best path's product of confidences, discounted by how strongly it is
 * itself explained by something upstream (so the origin ranks above its consequences).
 */
export function rootCauses(client: string, eid: string, limit = 10): Statement {
  return { text: ROOT_CAUSES, params: { client, eid, limit } };
}

/** Counts of one client's graph (tests, benchmarks, the replay check). */
export const GRAPH_COUNTS = `
CALL { MATCH (n:Resource {client: $client}) RETURN count(n) AS resources }
CALL { MATCH (n:Event {client: $client}) RETURN count(n) AS events }
CALL { MATCH (:Event {client: $client})-[r:ABOUT]->() RETURN count(r) AS about }
CALL { MATCH (:Event {client: $client})-[r:POTENTIAL_CAUSE]->() RETURN count(r) AS causes }
CALL { MATCH (:Resource {client: $client})-[r:RUNS_ON|CONTROLS|SELECTS|MOUNTS|USES_CONFIG|BOUND_TO|ROUTES_TO|CALLS]->() RETURN count(r) AS topology }
RETURN resources, events, about, causes, topology`;
