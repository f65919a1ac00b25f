import { clipText } from '../domain/text';

/**
 * Deterministic ids of Resource nodes: `{Kind}/{namespace}/{name}`, with an empty namespace for
 * cluster-scoped kinds (a Node event often says namespace "default"; the Node has none).
 *
 * @example resourceId('pod', 'shop', 'web-1') // 'Pod/shop/web-1'
 *          resourceId('Node', 'default', 'n1') // 'Node//n1'
 */
const CANONICAL: Record<string, string> = Object.fromEntries(
  [
    'Pod', 'Node', 'Service', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob',
    'Namespace', 'PersistentVolumeClaim', 'PersistentVolume', 'ConfigMap', 'Secret', 'Endpoints', 'EndpointSlice',
    'Ingress', 'HorizontalPodAutoscaler', 'ReplicationController', 'StorageClass', 'ServiceAccount', 'PodDisruptionBudget',
  ].map((k) => [k.toLowerCase(), k]),
);

const CLUSTER_SCOPED = new Set(['Node', 'Namespace', 'PersistentVolume', 'StorageClass']);

/** Kinds that would collide with the graph's own labels. */
const RESERVED = new Set(['Event', 'Resource']);

/** A Kubernetes kind as used for labels: known kinds canonical, others capitalized; invalid → null. */
export function canonicalKind(kind: string | null | undefined): string | null {
  if (!kind) return null;
  const known = CANONICAL[kind.toLowerCase()];
  if (known) return known;
  if (!/^[A-Za-z][A-Za-z0-9]{0,62}$/.test(kind)) return null;
  const k = kind[0].toUpperCase() + kind.slice(1);
  return RESERVED.has(k) ? `K8s${k}` : k;
}

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

export interface ResourceRef {
  rid: string;
  kind: string;
  namespace: string;
  name: string;
}

/**
 * Bounds of the strings a resource id is made of, checked at the edge (every ResourceRef is built
 * by {@link checkResourceRef}), so no stored id is larger than Neo4j can index or ambiguous:
 * - kind: 63 characters (`canonicalKind`);
 * - namespace: 63 (a DNS label, as Kubernetes requires);
 * - name: 253 (a DNS subdomain, the longest name Kubernetes accepts; Node names too);
 * - neither namespace nor name may contain `/` (it would make `Kind/ns/name` ambiguous:
 *   `Pod/a/b/x/../../y`), nor a control character;
 * - so a rid is at most 63 + 1 + 63 + 1 + 253 = 381 characters.
 * Kubernetes label keys (an optional 253-character DNS prefix, `/`, a 63-character name) and
 * values (63) are bounded by {@link labelProblem}.
 */
export const LIMITS = {
  kind: 63,
  namespace: 63,
  name: 253,
  rid: 381,
  labelKeyPrefix: 253,
  labelKeyName: 63,
  labelValue: 63,
} as const;

const CONTROL = /[\u0000-\u001f\u007f]/;

function partProblem(what: 'namespace' | 'name', v: string, max: number): string | null {
  if (v.length > max) return `${what} is ${v.length} characters (at most ${max})`;
  if (v.includes('/')) return `${what} ${JSON.stringify(v)} contains "/" (it would make the resource id ambiguous)`;
  if (CONTROL.test(v)) return `${what} ${JSON.stringify(v)} contains a control character`;
  return null;
}

/** The reference of a resource, or the reason it has none (kind or name unusable, a part too long or with a `/`). */
export function checkResourceRef(kind: string | null | undefined, namespace: string | null | undefined, name: string | null | undefined): { ok: true; ref: ResourceRef } | { ok: false; reason: string } {
  const k = canonicalKind(kind);
  if (!k) return { ok: false, reason: `invalid kind ${JSON.stringify(kind ?? null)}` };
  if (!name) return { ok: false, reason: `${k} without a name` };
  const ns = isClusterScoped(k) ? '' : namespace ?? '';
  const problem = partProblem('name', name, LIMITS.name) ?? partProblem('namespace', ns, LIMITS.namespace);
  if (problem) return { ok: false, reason: `${k} ${problem}` };
  return { ok: true, ref: { rid: `${k}/${ns}/${name}`, kind: k, namespace: ns, name } };
}

/** The reference of a resource, or null when the kind or name is unusable ({@link checkResourceRef} says why). */
export function resourceRef(kind: string | null | undefined, namespace: string | null | undefined, name: string | null | undefined): ResourceRef | null {
  const r = checkResourceRef(kind, namespace, name);
  return r.ok ? r.ref : null;
}

/** Why a Kubernetes label (or selector term) is out of bounds, or null when it is fine. */
export function labelProblem(key: string, value: string): string | null {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? '' : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  const shown = clipText(key, 80);
  if (name.length === 0 || name.length > LIMITS.labelKeyName || prefix.length > LIMITS.labelKeyPrefix) {
    return `label key ${JSON.stringify(shown)} is out of bounds (name 1-${LIMITS.labelKeyName} characters, prefix at most ${LIMITS.labelKeyPrefix})`;
  }
  if (value.length > LIMITS.labelValue) return `label ${JSON.stringify(shown)} has a value of ${value.length} characters (at most ${LIMITS.labelValue})`;
  return null;
}

/** The rid of a resource; throws when the parts are unusable (a rid must never be ambiguous). */
export function resourceId(kind: string, namespace: string | null | undefined, name: string): string {
  const r = checkResourceRef(kind, namespace, name);
  if (!r.ok) throw new Error(`no resource id: ${r.reason}`);
  return r.ref.rid;
}

/** Parses `Kind/ns/name` (or `Kind/name` for cluster-scoped kinds) back into a reference. */
export function parseResourceId(rid: string): ResourceRef | null {
  const parts = rid.split('/');
  if (parts.length === 3) return resourceRef(parts[0], parts[1], parts[2]);
  if (parts.length === 2) return resourceRef(parts[0], '', parts[1]);
  return null;
}
