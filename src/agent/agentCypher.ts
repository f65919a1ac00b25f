import { resourceDeletes, resourceUpserts, Statement } from '../graph/cypher';
import { ResourceRef } from '../graph/resourceId';
import { AgentTopologyOps } from './agentTopology';

/**
 * The Cypher of the kg-rca-agent's topology records, every value a parameter and every pattern
 * scoped by `$client`. Rows whose stored hash equals theirs are dropped before any write (after a
 * restart, when the topology builder's in-memory cache is empty); agent edges are merged with
 * ON CREATE only, so an edge already there costs no write.
 */
const HASH_CHECK = `
UNWIND $rows AS row
MATCH (r:Resource {client: $client, rid: row.rid})
WHERE r.hash = row.hash AND coalesce(r.deleted, false) = false
RETURN row.rid AS rid`;

const AGENT_PROPS = `
UNWIND $rows AS row
MATCH (r:Resource {client: $client, rid: row.rid})
SET r.hash = row.hash, r.status_json = row.status_json, r.replicas = row.replicas, r.pod_ip = row.pod_ip,
    r.service_ips = row.service_ips, r.source = 'kg-rca-agent'
RETURN count(r) AS set`;

const UID_DELETE = `
UNWIND $uids AS uid
MATCH (r:Resource {client: $client, uid: uid})
// A tombstone, as the builder's own deletes (src/graph/cypher.ts resourceDeletes): it keeps its edges
// for TOMBSTONE_GRACE_MS, so events about it that reach the graph after its deletion still meet the
// topology they happened in; the clean-up that follows removes tombstones past the grace.
SET r.deleted_at = CASE WHEN r.deleted = true AND r.deleted_at IS NOT NULL THEN r.deleted_at ELSE $now END,
    r.deleted = true, r.hash = null, r.updated_at = $now
RETURN count(*) AS removed`;

const EDGE_CHECK = `
UNWIND $edges AS ed
MATCH (a:Resource {client: $client, rid: ed.from.rid})-[x:RUNS_ON|CONTROLS|SELECTS]->(b:Resource {client: $client, rid: ed.to.rid})
WHERE type(x) = ed.type
RETURN DISTINCT ed.i AS i`;

const EDGE_MERGE = `
UNWIND $edges AS ed
MERGE (a:Resource {client: $client, rid: ed.from.rid})
ON CREATE SET a:$(ed.from.kind), a.kind = ed.from.kind, a.namespace = ed.from.namespace, a.name = ed.from.name, a.stub = true, a.deleted = false
MERGE (b:Resource {client: $client, rid: ed.to.rid})
ON CREATE SET b:$(ed.to.kind), b.kind = ed.to.kind, b.namespace = ed.to.namespace, b.name = ed.to.name, b.stub = true, b.deleted = false
WITH a, b, ed
CALL { WITH a, b, ed WITH a, b, ed WHERE ed.type = 'RUNS_ON' MERGE (a)-[x:RUNS_ON]->(b) ON CREATE SET x.client = $client, x.origin = 'agent' }
CALL { WITH a, b, ed WITH a, b, ed WHERE ed.type = 'CONTROLS' MERGE (a)-[x:CONTROLS]->(b) ON CREATE SET x.client = $client, x.origin = 'agent' }
CALL { WITH a, b, ed WITH a, b, ed WHERE ed.type = 'SELECTS' MERGE (a)-[x:SELECTS]->(b) ON CREATE SET x.client = $client, x.origin = 'agent' }
RETURN count(*) AS merged`;

const EDGE_DELETE = `
UNWIND $edges AS ed
MATCH (a:Resource {client: $client, rid: ed.from})-[x:RUNS_ON|CONTROLS|SELECTS]->(b:Resource {client: $client, rid: ed.to})
WHERE x.origin = 'agent'
DELETE x
RETURN count(*) AS removed`;

const refParam = (r: ResourceRef) => ({ rid: r.rid, kind: r.kind, namespace: r.namespace, name: r.name });

export interface AgentWriteCounts {
  /** Resource rows written (changed); rows and edges skipped because the graph already held them. */
  upserted: number;
  unchangedInGraph: number;
  /** Edges merged (not already there). */
  deleted: number;
  edges: number;
  edgeDeletes: number;
}

/** What one client's agent ops will write, read in the caller's transaction before any write. */
export interface AgentTopologyPlan {
  rows: AgentTopologyOps['upserts'];
  edges: Array<{ i: number; type: string; from: ReturnType<typeof refParam>; to: ReturnType<typeof refParam> }>;
  unchangedInGraph: number;
  /**
   * Resources whose relations the writes may change (a new or changed resource, either end of a new
   * edge) and the resources they name: the topology completion reads the related sets around them
   * before and after the writes, as for the topology builder's own objects.
   */
  touched: string[];
  named: string[];
}

/** Reads which of the agent's rows and edges the graph already holds (by stored hash / the edge itself). */
export async function planAgentTopology(run: (s: Statement) => Promise<Record<string, unknown>[]>, client: string, ops: AgentTopologyOps): Promise<AgentTopologyPlan> {
  let rows = ops.upserts;
  let unchangedInGraph = 0;
  if (rows.length > 0) {
    const same = new Set((await run({ text: HASH_CHECK, params: { client, rows: rows.map((r) => ({ rid: r.rid, hash: r.hash })) } })).map((x) => x.rid as string));
    unchangedInGraph = same.size;
    rows = rows.filter((r) => !same.has(r.rid));
  }
  let edges = ops.edges.map((e, i) => ({ i, type: e.type, from: refParam(e.from), to: refParam(e.to) }));
  if (edges.length > 0) {
    // Read first: an edge already there (a resync after a restart) takes no MERGE and no write lock.
    const present = new Set((await run({ text: EDGE_CHECK, params: { client, edges } })).map((x) => Number(x.i)));
    unchangedInGraph += present.size;
    edges = edges.filter((e) => !present.has(e.i));
  }
  const touched = new Set<string>([...rows.map((r) => r.rid), ...edges.flatMap((e) => [e.from.rid, e.to.rid])]);
  const named = new Set<string>();
  for (const r of rows) for (const n of [r.runsOn, ...r.ownedBy, ...(r.mounts ?? []), ...(r.configs ?? []), r.boundTo ?? null, ...(r.routesTo ?? [])]) if (n && !touched.has(n)) named.add(n);
  return { rows, edges, unchangedInGraph, touched: [...touched].sort(), named: [...named].sort() };
}

/** Runs one client's agent ops in the caller's transaction (`run` executes one statement there), as `plan` read them. */
export async function applyAgentTopology(
  run: (s: Statement) => Promise<Record<string, unknown>[]>,
  client: string,
  ops: AgentTopologyOps,
  plan: AgentTopologyPlan,
  now: number,
): Promise<AgentWriteCounts> {
  const { rows, edges } = plan;
  if (rows.length > 0) {
    for (const s of resourceUpserts(client, rows, now)) await run(s);
    await run({ text: AGENT_PROPS, params: { client, rows: rows.map((r) => ({ rid: r.rid, hash: r.hash, ...r.props })) } });
  }
  if (ops.uidDeletes.length > 0) {
    await run({ text: UID_DELETE, params: { client, uids: ops.uidDeletes, now } });
    // No rid to mark: only the clean-up of tombstones past the grace.
    await run(resourceDeletes(client, [], now));
  }
  if (edges.length > 0) await run({ text: EDGE_MERGE, params: { client, edges } });
  if (ops.edgeDeletes.length > 0) await run({ text: EDGE_DELETE, params: { client, edges: ops.edgeDeletes.map((e) => ({ from: e.from.rid, to: e.to.rid })) } });
  return { upserted: rows.length, unchangedInGraph: plan.unchangedInGraph, deleted: ops.uidDeletes.length, edges: edges.length, edgeDeletes: ops.edgeDeletes.length };
}
