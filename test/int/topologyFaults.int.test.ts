import { lastValueFrom } from 'rxjs';
import { relatedResources } from '../../src/graph/cypher';
import { refOfResourceKey, resourceOfObject, ResourceRow } from '../../src/graph/k8sObject';
import { GraphStore } from '../../src/neo4j/graphStore';
import { connectStore, uniqueId } from '../fixtures/graph/harness';

function row(kind: string, id: string, object: Record<string, unknown>): ResourceRow {
  const r = resourceOfObject({ kind, ...object }, refOfResourceKey(kind, id)!);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

/** A Deployment rolled out from revision 1 to 2, a pod with a claim, a ConfigMap and a Secret, a PVC bound to a volume, an Ingress. */
const ROWS: ResourceRow[] = [
  row('Deployment', 'shop/api', { metadata: { name: 'api', namespace: 'shop', annotations: { 'deployment.kubernetes.io/revision': '2' } } }),
  row('ReplicaSet', 'shop/api-old', { metadata: { name: 'api-old', namespace: 'shop', annotations: { 'deployment.kubernetes.io/revision': '1' }, ownerReferences: [{ kind: 'Deployment', name: 'api' }] } }),
  row('ReplicaSet', 'shop/api-new', { metadata: { name: 'api-new', namespace: 'shop', annotations: { 'deployment.kubernetes.io/revision': '2' }, ownerReferences: [{ kind: 'Deployment', name: 'api' }] } }),
  row('Pod', 'shop/api-new-x', {
    metadata: { name: 'api-new-x', namespace: 'shop', labels: { app: 'api' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'api-new' }] },
    spec: { nodeName: 'w1', volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'api-data' } }, { name: 'c', configMap: { name: 'api-config' } }], containers: [{ name: 'api', env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'api-db', key: 'pw' } } }] }] },
  }),
  row('PersistentVolumeClaim', 'shop/api-data', { metadata: { name: 'api-data', namespace: 'shop' }, spec: { volumeName: 'pv-1' } }),
  row('Service', 'shop/api', { metadata: { name: 'api', namespace: 'shop' }, spec: { clusterIP: '10.96.12.7', selector: { app: 'api' }, ports: [{ port: 8080 }] } }),
  row('Ingress', 'shop/front', { metadata: { name: 'front', namespace: 'shop' }, spec: { rules: [{ http: { paths: [{ path: '/', backend: { service: { name: 'api', port: { number: 8080 } } } }] } }] } }),
];

describe('topology builder: the relations faults travel on (real Neo4j)', () => {
  const client = uniqueId('topo');
  let store: GraphStore;
  beforeAll(async () => {
    store = await connectStore();
    await store.prepareClient(client);
  });
  afterAll(async () => {
    await store.read(client, { text: 'MATCH (n {client: $client}) DETACH DELETE n', params: { client } }).catch(() => undefined);
    await store?.close();
  });

  it('writes MOUNTS, USES_CONFIG, BOUND_TO, ROUTES_TO, the current revision, the Service IPs, and relates the pod to what it uses', async () => {
    // Rows in reverse order: the order inside a batch does not matter.
    await lastValueFrom(store.writeTopology$({ client, upserts: [...ROWS].reverse(), deletes: [] }));
    const edges = await store.read(client, { text: 'MATCH (a:Resource {client: $client})-[r]->(b:Resource) RETURN a.rid + " " + type(r) + " " + b.rid AS e ORDER BY e', params: { client } });
    expect(edges.map((e) => e.e)).toEqual([
      'Deployment/shop/api CONTROLS ReplicaSet/shop/api-new',
      'Deployment/shop/api CONTROLS ReplicaSet/shop/api-old',
      'Ingress/shop/front ROUTES_TO Service/shop/api',
      'PersistentVolumeClaim/shop/api-data BOUND_TO PersistentVolume//pv-1',
      'Pod/shop/api-new-x MOUNTS PersistentVolumeClaim/shop/api-data',
      'Pod/shop/api-new-x RUNS_ON Node//w1',
      'Pod/shop/api-new-x USES_CONFIG ConfigMap/shop/api-config',
      'Pod/shop/api-new-x USES_CONFIG Secret/shop/api-db',
      'ReplicaSet/shop/api-new CONTROLS Pod/shop/api-new-x',
      'Service/shop/api SELECTS Pod/shop/api-new-x',
    ]);
    const rs = await store.read(client, { text: "MATCH (d:Resource {client: $client, rid: 'Deployment/shop/api'})-[c:CONTROLS]->(rs) RETURN rs.name AS name, rs.revision AS revision, rs.current AS current, c.current AS edge ORDER BY name", params: { client } });
    expect(rs).toEqual([
      { name: 'api-new', revision: 2, current: true, edge: true },
      { name: 'api-old', revision: 1, current: false, edge: false },
    ]);
    const [svc] = await store.read(client, { text: "MATCH (s:Resource {client: $client, rid: 'Service/shop/api'}) RETURN s.cluster_ips AS ips, s.ports AS ports", params: { client } });
    expect(svc).toEqual({ ips: ['10.96.12.7'], ports: [8080] });
    const [rel] = await store.read(client, {
      text: `MATCH (r:Resource {client: $client, rid: 'Pod/shop/api-new-x'}) RETURN ${relatedResources((d) => `n.rid + ':' + ${d}`)} AS related`,
      params: { client },
    });
    expect([...new Set(rel.related as string[])].sort()).toEqual([
      'ConfigMap/shop/api-config:1', 'Deployment/shop/api:2', 'Node//w1:1', 'PersistentVolume//pv-1:2', 'PersistentVolumeClaim/shop/api-data:1', 'ReplicaSet/shop/api-new:1', 'Secret/shop/api-db:1', 'Service/shop/api:1',
    ]);

    // Revision 3 rolls out: the old current one becomes old.
    await lastValueFrom(store.writeTopology$({ client, upserts: [row('ReplicaSet', 'shop/api-3', { metadata: { name: 'api-3', namespace: 'shop', annotations: { 'deployment.kubernetes.io/revision': '3' }, ownerReferences: [{ kind: 'Deployment', name: 'api' }] } }), row('Deployment', 'shop/api', { metadata: { name: 'api', namespace: 'shop', annotations: { 'deployment.kubernetes.io/revision': '3' } } })], deletes: [] }));
    const after = await store.read(client, { text: "MATCH (:Resource {client: $client, rid: 'Deployment/shop/api'})-[:CONTROLS]->(rs) RETURN rs.name AS name, rs.current AS current ORDER BY name", params: { client } });
    expect(after).toEqual([{ name: 'api-3', current: true }, { name: 'api-new', current: false }, { name: 'api-old', current: false }]);
  });
});
