import type { NormalizeResult as ParseResult } from '../domain/result';
import { canonicalKind, checkResourceRef, labelProblem, parseResourceId, resourceRef, ResourceRef } from './resourceId';

/**
 * A Kubernetes object as a Resource row and the topology edges it implies: RUNS_ON (a pod's
 * spec.nodeName), CONTROLS (from each ownerReference to the object) and, resolved in the graph,
 * SELECTS (a Service's spec.selector matched against pod labels, within the namespace).
 */
export interface ResourceRow extends ResourceRef {
  uid: string | null;
  /** Labels as "key=value" strings (Neo4j properties cannot be maps), sorted. */
  labels: string[];
  /** A Service's selector as "key=value" strings; empty when the object selects nothing. */
  selector: string[];
  /** The rid of the Node a Pod runs on. */
  runsOn: string | null;
  /** The rids of the owners (ownerReferences). */
  ownedBy: string[];
  /** status.phase where there is one (Pods), else null. */
  phase: string | null;
  /** A Pod's PersistentVolumeClaims (spec.volumes[].persistentVolumeClaim.claimName): MOUNTS. */
  mounts: string[];
  /** The ConfigMaps and Secrets a Pod uses (volumes configMap/secret/projected, env valueFrom, envFrom): USES_CONFIG. */
  configs: string[];
  /** A PVC's PersistentVolume (spec.volumeName): BOUND_TO. */
  boundTo: string | null;
  /** The Services an Ingress routes to (rules[].http.paths[].backend.service.name, defaultBackend): ROUTES_TO. */
  routesTo: string[];
  /** A Deployment's or ReplicaSet's `deployment.kubernetes.io/revision`. */
  revision: number | null;
  /** A Service's cluster IPs (spec.clusterIP, spec.clusterIPs; not "None"), so a log naming one names the Service. */
  clusterIPs: string[];
  /** A Service's ports (spec.ports[].port). */
  ports: number[];
}

function rec(x: unknown): Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
}
function recs(x: unknown): Record<string, unknown>[] {
  return Array.isArray(x) ? x.map(rec) : [];
}
function nameOf(x: unknown, field = 'name'): string | null {
  const v = rec(x)[field];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** The rids a Pod spec names: its claims, and the ConfigMaps and Secrets of its volumes and containers' env. */
export function podReferences(spec: Record<string, unknown>, namespace: string): { mounts: string[]; configs: string[] } {
  const mounts = new Set<string>();
  const configs = new Set<string>();
  const add = (set: Set<string>, kind: string, name: string | null) => {
    const ref = name ? resourceRef(kind, namespace, name) : null;
    if (ref) set.add(ref.rid);
  };
  for (const v of recs(spec.volumes)) {
    add(mounts, 'PersistentVolumeClaim', nameOf(v.persistentVolumeClaim, 'claimName'));
    add(configs, 'ConfigMap', nameOf(v.configMap));
    add(configs, 'Secret', nameOf(v.secret, 'secretName'));
    for (const src of recs(rec(v.projected).sources)) {
      add(configs, 'ConfigMap', nameOf(src.configMap));
      add(configs, 'Secret', nameOf(src.secret));
    }
  }
  for (const c of [...recs(spec.initContainers), ...recs(spec.containers), ...recs(spec.ephemeralContainers)]) {
    for (const e of recs(c.env)) {
      const from = rec(e.valueFrom);
      add(configs, 'ConfigMap', nameOf(from.configMapKeyRef));
      add(configs, 'Secret', nameOf(from.secretKeyRef));
    }
    for (const e of recs(c.envFrom)) {
      add(configs, 'ConfigMap', nameOf(e.configMapRef));
      add(configs, 'Secret', nameOf(e.secretRef));
    }
  }
  return { mounts: [...mounts].sort(), configs: [...configs].sort() };
}

/** The Services an Ingress (networking.k8s.io/v1) sends traffic to. */
export function ingressBackends(spec: Record<string, unknown>, namespace: string): string[] {
  const out = new Set<string>();
  const add = (backend: unknown) => {
    const ref = resourceRef('Service', namespace, nameOf(rec(backend).service));
    if (ref) out.add(ref.rid);
  };
  add(spec.defaultBackend);
  for (const r of recs(spec.rules)) for (const p of recs(rec(r.http).paths)) add(p.backend);
  return [...out].sort();
}

/** The one result type of a parse or check of outside input (the normalizers' too). */
export type { ParseResult };

/** Identity from a state.k8s.resource key id (`{namespace}/{name}`, or `{name}` / `/{name}` when cluster-scoped), or why there is none. */
export function checkResourceKey(kindInKey: string, id: string): ParseResult<ResourceRef> {
  const slash = id.indexOf('/');
  const ns = slash < 0 ? '' : id.slice(0, slash);
  const name = slash < 0 ? id : id.slice(slash + 1);
  const r = checkResourceRef(kindInKey, ns, name);
  return r.ok ? { ok: true, value: r.ref } : { ok: false, reason: r.reason };
}

export function refOfResourceKey(kindInKey: string, id: string): ResourceRef | null {
  const r = checkResourceKey(kindInKey, id);
  return r.ok ? r.value : null;
}

/** The first label (or selector term) out of bounds ({@link labelProblem}), or null. */
function labelsProblem(m: Record<string, string>, where: string): string | null {
  for (const [k, v] of Object.entries(m)) {
    const p = labelProblem(k, v);
    if (p) return `${where}: ${p}`;
  }
  return null;
}

function stringMap(x: unknown): Record<string, string> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(x)) if (typeof v === 'string') out[k] = v;
  return out;
}

function pairs(m: Record<string, string>): string[] {
  return Object.entries(m)
    .map(([k, v]) => `${k}=${v}`)
    .sort();
}

/** Parses a Kubernetes object (JSON already decoded); `keyRef` is the identity its Kafka key names. */
export function resourceOfObject(obj: unknown, keyRef: ResourceRef): ParseResult<ResourceRow> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return { ok: false, reason: 'value must be a Kubernetes object (JSON object)' };
  const o = obj as Record<string, unknown>;
  const meta = (typeof o.metadata === 'object' && o.metadata !== null ? o.metadata : {}) as Record<string, unknown>;
  const kind = o.kind === undefined ? keyRef.kind : canonicalKind(typeof o.kind === 'string' ? o.kind : null);
  if (!kind) return { ok: false, reason: `invalid kind ${JSON.stringify(o.kind)}` };
  if (kind !== keyRef.kind) return { ok: false, reason: `kind ${kind} in the value does not match ${keyRef.kind} in the key` };
  const name = meta.name === undefined ? keyRef.name : meta.name;
  if (typeof name !== 'string' || name !== keyRef.name) return { ok: false, reason: `metadata.name ${JSON.stringify(meta.name)} does not match ${JSON.stringify(keyRef.name)} in the key` };
  const ref = resourceRef(kind, typeof meta.namespace === 'string' ? meta.namespace : keyRef.namespace, name);
  if (!ref || ref.rid !== keyRef.rid) return { ok: false, reason: `metadata.namespace ${JSON.stringify(meta.namespace)} does not match the key (${keyRef.rid})` };
  const spec = (typeof o.spec === 'object' && o.spec !== null ? o.spec : {}) as Record<string, unknown>;
  const status = (typeof o.status === 'object' && o.status !== null ? o.status : {}) as Record<string, unknown>;
  const owners: string[] = [];
  if (Array.isArray(meta.ownerReferences)) {
    for (const r of meta.ownerReferences as unknown[]) {
      if (typeof r !== 'object' || r === null) continue;
      const or = r as Record<string, unknown>;
      const owner = resourceRef(typeof or.kind === 'string' ? or.kind : null, ref.namespace, typeof or.name === 'string' ? or.name : null);
      if (owner) owners.push(owner.rid);
    }
  }
  const nodeName = kind === 'Pod' && typeof spec.nodeName === 'string' && spec.nodeName ? spec.nodeName : null;
  const node = nodeName ? checkResourceRef('Node', '', nodeName) : null;
  if (node && !node.ok) return { ok: false, reason: `spec.nodeName: ${node.reason}` };
  const labels = stringMap(meta.labels);
  const selector = kind === 'Service' ? stringMap(spec.selector) : {};
  const labelIssue = labelsProblem(labels, 'metadata.labels') ?? labelsProblem(selector, 'spec.selector');
  if (labelIssue) return { ok: false, reason: labelIssue };
  const refs = kind === 'Pod' ? podReferences(spec, ref.namespace) : { mounts: [], configs: [] };
  const revisionText = stringMap(meta.annotations)['deployment.kubernetes.io/revision'];
  const revision = revisionText !== undefined && /^\d+$/.test(revisionText) ? Number(revisionText) : null;
  const ips = kind === 'Service' ? [spec.clusterIP, ...(Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [])].filter((ip): ip is string => typeof ip === 'string' && ip !== '' && ip !== 'None') : [];
  const volumeName = kind === 'PersistentVolumeClaim' && typeof spec.volumeName === 'string' && spec.volumeName ? spec.volumeName : null;
  const volume = volumeName ? checkResourceRef('PersistentVolume', '', volumeName) : null;
  if (volume && !volume.ok) return { ok: false, reason: `spec.volumeName: ${volume.reason}` };
  return {
    ok: true,
    value: {
      ...ref,
      uid: typeof meta.uid === 'string' ? meta.uid : null,
      labels: pairs(labels),
      selector: pairs(selector),
      runsOn: node?.ok ? node.ref.rid : null,
      ownedBy: [...new Set(owners)].sort(),
      phase: typeof status.phase === 'string' ? status.phase : null,
      mounts: refs.mounts,
      configs: refs.configs,
      boundTo: volume?.ok ? volume.ref.rid : null,
      routesTo: kind === 'Ingress' ? ingressBackends(spec, ref.namespace) : [],
      revision: kind === 'Deployment' || kind === 'ReplicaSet' ? revision : null,
      clusterIPs: [...new Set(ips)].sort(),
      ports: kind === 'Service' ? recs(spec.ports).flatMap((p) => (typeof p.port === 'number' ? [p.port] : [])) : [],
    },
  };
}

/**
 * Relationship types a client may publish: the object-derived ones, and CALLS (a workload calls a
 * Service), which Kubernetes does not record.
 */
export const TOPOLOGY_EDGE_TYPES = ['RUNS_ON', 'CONTROLS', 'SELECTS', 'MOUNTS', 'USES_CONFIG', 'BOUND_TO', 'ROUTES_TO', 'CALLS'] as const;
export type TopologyEdgeType = (typeof TOPOLOGY_EDGE_TYPES)[number];

export interface PublishedEdge {
  from: ResourceRef;
  to: ResourceRef;
  type: TopologyEdgeType;
}

function refOf(x: unknown): ResourceRef | null {
  if (typeof x === 'string') return parseResourceId(x);
  if (typeof x === 'object' && x !== null) {
    const o = x as Record<string, unknown>;
    return resourceRef(typeof o.kind === 'string' ? o.kind : null, typeof o.namespace === 'string' ? o.namespace : '', typeof o.name === 'string' ? o.name : null);
  }
  return null;
}

/**
 * A state.k8s.topology value: `{"edges": [{from, to, type}]}` or the bare array, where from/to are
 * "Kind/namespace/name" strings or `{kind, namespace, name}` objects. The value is the client's
 * whole published edge set (the topic is compacted), so it replaces the previous one.
 */
export function parsePublishedTopology(value: unknown): ParseResult<PublishedEdge[]> {
  const list = Array.isArray(value) ? value : typeof value === 'object' && value !== null ? (value as Record<string, unknown>).edges : undefined;
  if (!Array.isArray(list)) return { ok: false, reason: 'value must be {"edges": [...]} or an array of {from, to, type}' };
  const out: PublishedEdge[] = [];
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null) return { ok: false, reason: `edges[${i}] must be an object` };
    if (!(TOPOLOGY_EDGE_TYPES as readonly unknown[]).includes(e.type)) return { ok: false, reason: `edges[${i}].type must be one of ${TOPOLOGY_EDGE_TYPES.join(', ')}, got ${JSON.stringify(e.type)}` };
    const from = refOf(e.from);
    const to = refOf(e.to);
    if (!from) return { ok: false, reason: `edges[${i}].from is not a resource ("Kind/namespace/name" or {kind, namespace, name})` };
    if (!to) return { ok: false, reason: `edges[${i}].to is not a resource ("Kind/namespace/name" or {kind, namespace, name})` };
    out.push({ from, to, type: e.type as TopologyEdgeType });
  }
  return { ok: true, value: out };
}
