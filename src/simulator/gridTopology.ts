import { refOfResourceKey, resourceOfObject, ResourceRow } from '../graph/k8sObject';

/**
 * A regular cluster as Resource rows, for benchmarks and tests: `nodes` Nodes; `apps` apps in
 * `namespace`, each a Deployment → ReplicaSet and a Service selecting `app=app<a>`; `pods` Pods,
 * pod p (`app<a>-<p>`, a = p mod apps) owned by its app's ReplicaSet and running on node p mod nodes.
 */
export function gridTopology(g: { namespace: string; nodes: number; apps: number; pods: number }): ResourceRow[] {
  const ns = g.namespace;
  const rows: ResourceRow[] = [];
  const add = (kind: string, id: string, object: Record<string, unknown>) => {
    const r = resourceOfObject(object, refOfResourceKey(kind, id)!);
    if (!r.ok) throw new Error(r.reason);
    rows.push(r.value);
  };
  for (let n = 0; n < g.nodes; n++) add('Node', `node-${n}`, { kind: 'Node', metadata: { name: `node-${n}` } });
  for (let a = 0; a < g.apps; a++) {
    add('Deployment', `${ns}/app${a}`, { kind: 'Deployment', metadata: { name: `app${a}`, namespace: ns } });
    add('ReplicaSet', `${ns}/app${a}-rs`, { kind: 'ReplicaSet', metadata: { name: `app${a}-rs`, namespace: ns, ownerReferences: [{ kind: 'Deployment', name: `app${a}` }] } });
    add('Service', `${ns}/app${a}`, { kind: 'Service', metadata: { name: `app${a}`, namespace: ns }, spec: { selector: { app: `app${a}` } } });
  }
  for (let p = 0; p < g.pods; p++) {
    const a = p % g.apps;
    add('Pod', `${ns}/app${a}-${p}`, {
      kind: 'Pod',
      metadata: { name: `app${a}-${p}`, namespace: ns, labels: { app: `app${a}` }, ownerReferences: [{ kind: 'ReplicaSet', name: `app${a}-rs` }] },
      spec: { nodeName: `node-${p % g.nodes}` },
    });
  }
  return rows;
}
