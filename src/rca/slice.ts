import { relatedResources, Statement } from '../graph/cypher';

/**
 * The plain graph slice a root-cause answer is computed from (src/rca/rank.ts): the alert, the
 * events that may explain it, the POTENTIAL_CAUSE edges among them (rule, confidence) and the
 * resources and topology around them. Read by at most a few statements ({@link alertLookup},
 * {@link sliceRead}, {@link dependencyRead}); everything else is code over these values.
 */
export interface SliceEvent {
  eid: string;
  reason: string;
  category: string;
  source: string;
  rid: string | null;
  ts: number;
  message: string;
}

export interface SliceEdge {
  cause: string;
  effect: string;
  rule: string;
  confidence: number;
}

/** An event near the alert's subject (on it or a related resource, within the lookback) and its distance. */
export interface NearEvent {
  eid: string;
  d: number;
}

/** A resource of the slice calls `callee` (a Service or workload) whose pods include `target`. */
export interface CallEdge {
  caller: string;
  callee: string;
  target: string;
}

export interface AlertInfo {
  eid: string;
  fingerprint: string;
  alertname: string;
  status: string;
  startsAt: string;
  ts: number;
  rid: string | null;
}

export interface RcaSlice {
  alert: AlertInfo;
  /** Every event of the slice, the alert included. */
  events: SliceEvent[];
  edges: SliceEdge[];
  near: NearEvent[];
  calls: CallEdge[];
  /** Events on the pods of called services (dependency candidates), a subset of `events`. */
  dependencies: string[];
}

/** The alert event id of Alertmanager fingerprint `fp` at `startsAt` ms (eventRowOfAlert's id). */
export function alertEid(fp: string, startsAtMs: number): string {
  return `alert:${fp}:${startsAtMs}`;
}

/** The fingerprint of an alert event id, or null for another event. */
export function fingerprintOfEid(eid: string): string | null {
  const m = /^alert:(.+):(-?\d+)$/.exec(eid);
  return m ? m[1] : null;
}

const ALERT_FIELDS = `t.eid AS eid, t.reason AS alertname, t.detail AS status, t.ts AS ts, t.rid AS rid`;

/**
 * The alerts of fingerprint `fp` in `client`'s graph, latest first (one per firing: Alertmanager
 * keeps the fingerprint across re-fires, each with its own startsAt). A prefix seek on the
 * (client, eid) constraint's index.
 */
export function alertLookup(client: string, fp: string): Statement {
  return {
    text: `MATCH (t:Event {client: $client}) WHERE t.eid STARTS WITH $prefix AND t.source = 'alert'
RETURN ${ALERT_FIELDS} ORDER BY t.ts DESC LIMIT 20`,
    params: { client, prefix: `alert:${fp}:` },
  };
}

/** The alerts of `client` (latest first, at most `limit`), with the number of causes stored for each. */
export function alertList(client: string, limit: number): Statement {
  return {
    text: `MATCH (t:Event {client: $client}) WHERE t.source = 'alert'
WITH t ORDER BY t.ts DESC LIMIT toInteger($limit)
RETURN ${ALERT_FIELDS}, t.last_ts AS last_ts`,
    params: { client, limit },
  };
}

/** Whether `client` has anything in the graph (an unknown client is an error, not an empty answer). */
export function clientExists(client: string): Statement {
  return { text: `MATCH (n:Event {client: $client}) RETURN count(n) > 0 AS found LIMIT 1`, params: { client } };
}

/** The POTENTIAL_CAUSE edges among the events of the list `nodes`, as `edges`. */
const EDGES_AMONG = `CALL {
  WITH nodes
  UNWIND nodes AS b
  MATCH (a:Event)-[p:POTENTIAL_CAUSE]->(b)
  WHERE a IN nodes AND p.client = $client
  RETURN collect({cause: a.eid, effect: b.eid, rule: p.rule, confidence: p.confidence}) AS edges
}`;

const EVENT_MAP = `{eid: c.eid, reason: c.reason, category: c.category, source: c.source, rid: c.rid, ts: c.ts, message: coalesce(c.message, '')}`;

/**
 * The slice of one alert: its upstream closure over POTENTIAL_CAUSE (≤ $hops; the distinct events, a
 * pruning breadth-first expand), the events on its subject and the resources related to it within
 * the lookback before it (found at read time, whatever order the graph was written in), the
 * POTENTIAL_CAUSE edges among all these, and the services their resources call (CALLS from the
 * resource or a controller up to two levels above it) with the pods those select.
 */
const SLICE = `
MATCH (t:Event {client: $client, eid: $eid})
CALL {
  WITH t
  MATCH (c:Event)-[:POTENTIAL_CAUSE*1..__HOPS__]->(t)
  WHERE c.client = $client
  RETURN collect(DISTINCT c) AS up
}
CALL {
  WITH t
  OPTIONAL MATCH (t)-[:ABOUT]->(r:Resource {client: $client})
  WITH t, r WHERE r IS NOT NULL
  UNWIND [{rid: r.rid, d: 0}] + ${relatedResources((d) => `{rid: n.rid, d: ${d}}`)} AS nb
  WITH t, nb.rid AS nrid, min(nb.d) AS d
  MATCH (c:Event {client: $client, rid: nrid})
  WHERE c.ts >= t.ts - $lookback AND c.ts <= t.ts AND c.category <> 'normal' AND c.eid <> t.eid
  WITH c, d ORDER BY d, t.ts - c.ts LIMIT toInteger($maxNear)
  RETURN collect({c: c, d: d}) AS near
}
WITH t, up, near, [x IN near | x.c] AS nearNodes
WITH t, up, near, [t] + up + [x IN nearNodes WHERE NOT x IN up] AS nodes
${EDGES_AMONG}
CALL {
  WITH nodes
  UNWIND [x IN nodes WHERE x.rid IS NOT NULL | x.rid] AS rid
  WITH DISTINCT rid
  MATCH (x:Resource {client: $client, rid: rid})<-[:CONTROLS*0..2]-(caller:Resource)-[k:CALLS]->(callee:Resource)
  WHERE caller.client = $client AND callee.client = $client AND k.client = $client
  OPTIONAL MATCH (callee)-[:SELECTS|CONTROLS*1..2]->(p:Resource)
  WHERE p.client = $client AND p.kind = 'Pod'
  WITH DISTINCT rid, callee, coalesce(p, callee) AS target
  RETURN collect({caller: rid, callee: callee.rid, target: target.rid}) AS calls
}
RETURN [x IN nodes | ${EVENT_MAP.replace(/\bc\./g, 'x.')}] AS events, edges,
       [x IN near | {eid: x.c.eid, d: x.d}] AS near, calls`;

export interface SliceOptions {
  /** Longest POTENTIAL_CAUSE path followed upstream from the alert. */
  hops: number;
  /** How far before the alert events on its subject are taken, ms (ALERT_LOOKBACK_SECONDS). */
  lookbackMs: number;
  /** Most events taken near the subject (nearest first by distance, then time). */
  maxNear: number;
}

export const DEFAULT_SLICE: SliceOptions = { hops: 5, lookbackMs: 1_800_000, maxNear: 200 };

/** The core slice of alert event `eid` ({@link SLICE}); hops is validated to an integer 1..8 (it is part of the pattern, not a value). */
export function sliceRead(client: string, eid: string, o: SliceOptions = DEFAULT_SLICE): Statement {
  const hops = Math.max(1, Math.min(8, Math.floor(o.hops)));
  return { text: SLICE.replace('__HOPS__', String(hops)), params: { client, eid, lookback: o.lookbackMs, maxNear: o.maxNear } };
}

/**
 * Dependency candidates: the non-normal events on `targets` (pods of called services) within
 * [from, to], with their upstream closure (≤ 2 hops) and the edges among them.
 */
const DEPENDENCIES = `
UNWIND $targets AS rid
MATCH (c:Event {client: $client, rid: rid})
WHERE c.ts >= $from AND c.ts <= $to AND c.category <> 'normal'
WITH collect(DISTINCT c) AS direct
CALL {
  WITH direct
  UNWIND direct AS d
  MATCH (u:Event)-[:POTENTIAL_CAUSE*1..2]->(d)
  WHERE u.client = $client
  RETURN collect(DISTINCT u) AS ups
}
WITH direct, direct + [u IN ups WHERE NOT u IN direct] AS nodes
${EDGES_AMONG}
RETURN [x IN nodes | ${EVENT_MAP.replace(/\bc\./g, 'x.')}] AS events, edges, [x IN direct | x.eid] AS direct`;

export function dependencyRead(client: string, targets: readonly string[], from: number, to: number): Statement {
  return { text: DEPENDENCIES, params: { client, targets: [...new Set(targets)].sort(), from, to } };
}

/** Rows of {@link sliceRead} (and {@link dependencyRead}, when there are calls) → the slice. */
export function assembleSlice(
  alert: AlertInfo,
  core: { events: SliceEvent[]; edges: SliceEdge[]; near: NearEvent[]; calls: CallEdge[] },
  deps: { events: SliceEvent[]; edges: SliceEdge[]; direct: string[] } | null,
): RcaSlice {
  const events = new Map<string, SliceEvent>();
  for (const e of [...core.events, ...(deps?.events ?? [])]) events.set(e.eid, { ...e, ts: Number(e.ts) });
  const edges = new Map<string, SliceEdge>();
  for (const e of [...core.edges, ...(deps?.edges ?? [])]) edges.set(`${e.cause}\u0000${e.effect}`, { ...e, confidence: Number(e.confidence) });
  return {
    alert,
    events: [...events.values()],
    edges: [...edges.values()],
    near: core.near.map((n) => ({ eid: n.eid, d: Number(n.d) })),
    calls: core.calls,
    dependencies: deps?.direct ?? [],
  };
}
