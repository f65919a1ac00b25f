import { createHash } from 'node:crypto';
import { ResourceRow } from '../graph/k8sObject';
import { resourceRef, ResourceRef } from '../graph/resourceId';
import { TopologyEdgeType, TOPOLOGY_EDGE_TYPES } from '../graph/k8sObject';

/**
 * The kg-rca-agent's state-watcher records on state.k8s.resource and state.k8s.topology
 * (state-watcher/main.go of chart 2.1.2), as changes of the client's graph:
 * - ResourceRecord, key `{id}::{kind}:{uid}` → a Resource row with the name-based rid
 *   `Kind/ns/name` (so the agent's name-based EdgeRecords meet the same nodes), the uid kept as a
 *   property, RUNS_ON / CONTROLS / SELECTS derived from node, ownerRefs and serviceSelector like
 *   for a full object; its tombstone (null value on the same key) → the node found by uid;
 * - EdgeRecord, key `{id}::edge:{kind:ns:name}->{kind:ns:name}` → one edge between the two
 *   name-based nodes; its tombstone → that edge removed.
 * Every upsert carries a content hash of what is written (never the record's `at`, which changes
 * at every 30 s resync), so an unchanged re-send can be recognized and cost no write.
 */
export interface AgentResourceRow extends ResourceRow {
  /** Agent-only properties, written as they are. */
  props: { status_json: string | null; replicas: number | null; pod_ip: string | null; service_ips: string[] };
  /** Content hash of everything above. */
  hash: string;
}

export type AgentTopologyChange =
  | { kind: 'agent-upsert'; client: string; key: string; hash: string; row: AgentResourceRow }
  | { kind: 'agent-delete'; client: string; key: string; resourceKind: string; uid: string }
  | { kind: 'agent-edge'; client: string; key: string; hash: string; from: ResourceRef; to: ResourceRef; type: TopologyEdgeType }
  | { kind: 'agent-edge-delete'; client: string; key: string; from: ResourceRef; to: ResourceRef };

export type AgentDecoded = { kind: 'change'; change: AgentTopologyChange } | { kind: 'reject'; reason: string };

/** The changes of one client's batch that came from the agent (last change per key wins). */
export interface AgentTopologyOps {
  upserts: AgentResourceRow[];
  /** Resource tombstones: nodes found by uid. */
  uidDeletes: string[];
  edges: Array<{ from: ResourceRef; to: ResourceRef; type: TopologyEdgeType }>;
  edgeDeletes: Array<{ from: ResourceRef; to: ResourceRef }>;
}

const RESOURCE_KEY = /^([a-z][a-z0-9]*):([A-Za-z0-9][A-Za-z0-9._-]*)$/;

export function contentHash(x: unknown): string {
  return createHash('sha1').update(JSON.stringify(x)).digest('hex').slice(0, 24);
}

function stringMap(x: unknown): Record<string, string> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return {};
  return Object.fromEntries(Object.entries(x).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

const pairs = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => `${k}=${v}`).sort();
const str = (x: unknown): string | null => (typeof x === 'string' && x !== '' ? x : null);

/** True when the rest of a state.k8s.resource key (after `{client}::`) is the agent's `{kind}:{uid}`. */
export function isAgentResourceKey(rest: string): boolean {
  return RESOURCE_KEY.test(rest);
}

/** True when the rest of a state.k8s.topology key is the agent's `edge:{from}->{to}`. */
export function isAgentEdgeKey(rest: string): boolean {
  return rest.startsWith('edge:') && !rest.includes('::');
}

/** A ResourceRecord (decoded JSON) or its tombstone (`value` null) as a change; `rest` = `{kind}:{uid}`. */
export function agentResourceChange(client: string, rest: string, value: unknown | null): AgentDecoded {
  const m = RESOURCE_KEY.exec(rest);
  if (!m) return { kind: 'reject', reason: `agent resource key must be {client}::{kind}:{uid}, got ${JSON.stringify(rest)}` };
  const [, keyKind, keyUid] = m;
  if (value === null) return { kind: 'change', change: { kind: 'agent-delete', client, key: rest, resourceKind: keyKind, uid: keyUid } };
  if (typeof value !== 'object' || Array.isArray(value)) return { kind: 'reject', reason: 'agent ResourceRecord must be a JSON object' };
  const v = value as Record<string, unknown>;
  if (v.op !== undefined && v.op !== 'UPSERT') return { kind: 'reject', reason: `agent ResourceRecord op ${JSON.stringify(v.op)} (only "UPSERT" is sent; deletes are tombstones)` };
  if (v.client_id !== undefined && v.client_id !== client) return { kind: 'reject', reason: `ResourceRecord client_id ${JSON.stringify(v.client_id)} differs from the key's client ${JSON.stringify(client)}` };
  if (typeof v.kind !== 'string' || v.kind.toLowerCase() !== keyKind) return { kind: 'reject', reason: `ResourceRecord kind ${JSON.stringify(v.kind)} does not match ${keyKind} in the key` };
  if (v.uid !== keyUid) return { kind: 'reject', reason: `ResourceRecord uid ${JSON.stringify(v.uid)} does not match ${keyUid} in the key` };
  const ref = resourceRef(v.kind, str(v.namespace), str(v.name));
  if (!ref) return { kind: 'reject', reason: `ResourceRecord without a usable kind/name (kind ${JSON.stringify(v.kind)}, name ${JSON.stringify(v.name)})` };
  const owners = Array.isArray(v.ownerRefs)
    ? (v.ownerRefs as unknown[]).flatMap((o) => {
        const r = typeof o === 'object' && o !== null ? resourceRef(str((o as Record<string, unknown>).kind), ref.namespace, str((o as Record<string, unknown>).name)) : null;
        return r ? [r.rid] : [];
      })
    : [];
  const status = typeof v.status === 'object' && v.status !== null && !Array.isArray(v.status) ? (v.status as Record<string, unknown>) : null;
  const node = ref.kind === 'Pod' ? str(v.node) : null;
  const content: Omit<AgentResourceRow, 'hash'> = {
    ...ref,
    uid: keyUid,
    labels: pairs(stringMap(v.labels)),
    selector: ref.kind === 'Service' ? pairs(stringMap(v.serviceSelector)) : [],
    runsOn: node ? resourceRef('Node', '', node)!.rid : null,
    ownedBy: [...new Set(owners)].sort(),
    phase: status && typeof status.phase === 'string' ? status.phase : null,
    // The agent's records carry no volumes, env or revisions; a Service's IPs and ports they do.
    mounts: [],
    configs: [],
    boundTo: null,
    routesTo: [],
    revision: null,
    clusterIPs: ref.kind === 'Service' && Array.isArray(v.serviceIPs) ? [...new Set((v.serviceIPs as unknown[]).filter((x): x is string => typeof x === 'string' && x !== 'None'))] : [],
    ports:
      ref.kind === 'Service' && typeof v.spec === 'object' && v.spec !== null && Array.isArray((v.spec as Record<string, unknown>).ports)
        ? ((v.spec as Record<string, unknown>).ports as unknown[]).flatMap((x) => (typeof x === 'object' && x !== null && typeof (x as Record<string, unknown>).port === 'number' ? [(x as Record<string, unknown>).port as number] : []))
        : [],
    props: {
      status_json: status ? JSON.stringify(status) : null,
      replicas: typeof v.replicas === 'number' ? v.replicas : null,
      pod_ip: str(v.podIP),
      service_ips: Array.isArray(v.serviceIPs) ? [...new Set((v.serviceIPs as unknown[]).filter((x): x is string => typeof x === 'string'))] : [],
    },
  };
  const row: AgentResourceRow = { ...content, hash: contentHash(content) };
  return { kind: 'change', change: { kind: 'agent-upsert', client, key: rest, hash: row.hash, row } };
}

/** The agent's name-based id `kind:ns:name` (cluster-scoped: `kind:name`) as a reference. */
export function refOfAgentId(id: string): ResourceRef | null {
  const parts = id.split(':');
  if (parts.length === 3) return resourceRef(parts[0], parts[1], parts[2]);
  if (parts.length === 2) return resourceRef(parts[0], '', parts[1]);
  return null;
}

/** An EdgeRecord (decoded JSON) or its tombstone as a change; `rest` = `edge:{from}->{to}`. */
export function agentEdgeChange(client: string, rest: string, value: unknown | null): AgentDecoded {
  const body = rest.slice('edge:'.length);
  const arrow = body.indexOf('->');
  const from = arrow > 0 ? refOfAgentId(body.slice(0, arrow)) : null;
  const to = arrow > 0 ? refOfAgentId(body.slice(arrow + 2)) : null;
  if (!from || !to) return { kind: 'reject', reason: `agent edge key must be {client}::edge:{kind:ns:name}->{kind:ns:name}, got ${JSON.stringify(rest)}` };
  if (value === null) return { kind: 'change', change: { kind: 'agent-edge-delete', client, key: rest, from, to } };
  if (typeof value !== 'object' || Array.isArray(value)) return { kind: 'reject', reason: 'agent EdgeRecord must be a JSON object' };
  const v = value as Record<string, unknown>;
  if (v.client_id !== undefined && v.client_id !== client) return { kind: 'reject', reason: `EdgeRecord client_id ${JSON.stringify(v.client_id)} differs from the key's client ${JSON.stringify(client)}` };
  if (v.id !== rest) return { kind: 'reject', reason: `EdgeRecord id ${JSON.stringify(v.id)} does not match the key ${JSON.stringify(rest)}` };
  if (!(TOPOLOGY_EDGE_TYPES as readonly unknown[]).includes(v.type)) return { kind: 'reject', reason: `EdgeRecord type must be one of ${TOPOLOGY_EDGE_TYPES.join(', ')}, got ${JSON.stringify(v.type)}` };
  const type = v.type as TopologyEdgeType;
  return { kind: 'change', change: { kind: 'agent-edge', client, key: rest, hash: contentHash([from.rid, to.rid, type]), from, to, type } };
}

/** The agent changes of one client in arrival order → its ops, the last change per key winning. */
export function agentOpsOf(changes: readonly AgentTopologyChange[]): AgentTopologyOps {
  const last = new Map<string, AgentTopologyChange>();
  for (const c of changes) {
    last.delete(c.key);
    last.set(c.key, c);
  }
  const ops: AgentTopologyOps = { upserts: [], uidDeletes: [], edges: [], edgeDeletes: [] };
  for (const c of last.values()) {
    if (c.kind === 'agent-upsert') ops.upserts.push(c.row);
    else if (c.kind === 'agent-delete') ops.uidDeletes.push(c.uid);
    else if (c.kind === 'agent-edge') ops.edges.push({ from: c.from, to: c.to, type: c.type });
    else ops.edgeDeletes.push({ from: c.from, to: c.to });
  }
  return ops;
}

/**
 * What the topology builder remembers of the agent's last written state: the hash per record key
 * (`{client}\u0000{key}`), bounded (least recently written dropped first). A re-send with the same
 * hash is unchanged and skipped before any Neo4j statement.
 */
export class ResyncCache {
  private readonly map = new Map<string, string>();
  constructor(private readonly maxEntries: number) {}

  private k(client: string, key: string): string {
    return `${client}\u0000${key}`;
  }

  /** True when the change would rewrite what is already stored. */
  unchanged(c: AgentTopologyChange): boolean {
    if (c.kind !== 'agent-upsert' && c.kind !== 'agent-edge') return false;
    return this.map.get(this.k(c.client, c.key)) === c.hash;
  }

  /** After the change committed. */
  written(c: AgentTopologyChange): void {
    const k = this.k(c.client, c.key);
    this.map.delete(k);
    if (c.kind === 'agent-upsert' || c.kind === 'agent-edge') {
      if (this.maxEntries <= 0) return;
      this.map.set(k, c.hash);
      if (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value as string);
    }
  }

  get size(): number {
    return this.map.size;
  }
}
