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

/** The reference of a resource, or null when the kind or name is unusable. */
export function resourceRef(kind: string | null | undefined, namespace: string | null | undefined, name: string | null | undefined): ResourceRef | null {
  const k = canonicalKind(kind);
  if (!k || !name) return null;
  const ns = isClusterScoped(k) ? '' : namespace ?? '';
  return { rid: `${k}/${ns}/${name}`, kind: k, namespace: ns, name };
}

export function resourceId(kind: string, namespace: string | null | undefined, name: string): string {
  return resourceRef(kind, namespace, name)?.rid ?? `${kind}/${namespace ?? ''}/${name}`;
}

/** Parses `Kind/ns/name` (or `Kind/name` for cluster-scoped kinds) back into a reference. */
export function parseResourceId(rid: string): ResourceRef | null {
  const parts = rid.split('/');
  if (parts.length === 3) return resourceRef(parts[0], parts[1], parts[2]);
  if (parts.length === 2) return resourceRef(parts[0], '', parts[1]);
  return null;
}
