import { resourceDeletes, resourceUpserts, TOMBSTONE_GRACE_MS } from '../../src/graph/cypher';
import { resourceOfObject } from '../../src/graph/k8sObject';
import { resourceRef } from '../../src/graph/resourceId';
import { GraphStore } from '../../src/neo4j/graphStore';
import { connectStore, uniqueId } from '../fixtures/graph/harness';

/**
 * A tombstone on the real Neo4j keeps the topology that events happened in: a pod evicted (or
 * replaced) after it failed its readiness probe stays CONTROLLED by its ReplicaSet and RUNS_ON its
 * node, so KubeDeploymentReplicasMismatch answered after the eviction still reaches its Unhealthy
 * event through Deployment → ReplicaSet → Pod. A pod nothing is about is forgotten, edges and node.
 */
describe('tombstones keep the topology of resources events are about', () => {
  const client = uniqueId('tomb');
  let store: GraphStore;
  const T = Date.parse('2026-11-20T04:02:56Z');

  const pod = (name: string) => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, labels: { app: 'cart', 'pod-template-hash': 'zrrhx6r2c' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'cart-zrrhx6r2c', uid: 'uid-rs', controller: true }] },
    spec: { nodeName: 'ip-10-0-74-68.eu-west-1.compute.internal', containers: [{ name: 'cart', image: 'registry.example.com/shop/cart:2.1.0' }] },
    status: { phase: 'Running' },
  });
  const rowOf = (obj: Record<string, unknown>) => {
    const m = obj.metadata as { name: string; namespace?: string };
    const r = resourceOfObject(obj, resourceRef(obj.kind as string, m.namespace ?? '', m.name)!);
    if (!r.ok) throw new Error(r.reason);
    return r.value;
  };
  const edges = async () =>
    (await store.readRca(client, { text: 'MATCH (a:Resource {client: $client})-[x]->(b:Resource {client: $client}) RETURN a.rid + " " + type(x) + " " + b.rid AS e ORDER BY e', params: { client } })).map((r) => r.e);

  beforeAll(async () => {
    store = await connectStore();
  });
  afterAll(async () => {
    await store.writeRca(client, [{ text: 'MATCH (n {client: $client}) DETACH DELETE n', params: { client } }]);
    await store.close();
  });

  it('keeps the edges of a deleted pod with events, and of one without for the grace period only', async () => {
    const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'cart-zrrhx6r2c', namespace: 'shop', uid: 'uid-rs', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'cart', uid: 'uid-dep', controller: true }] }, spec: {}, status: {} };
    await store.writeRca(client, resourceUpserts(client, [rowOf(rs), rowOf(pod('cart-zrrhx6r2c-fh62l')), rowOf(pod('cart-zrrhx6r2c-q9x2m'))], T));
    // The failing pod has an event (as the graph builder writes it: an Event ABOUT the resource).
    await store.writeRca(client, [{
      text: `MATCH (r:Resource {client: $client, rid: 'Pod/shop/cart-zrrhx6r2c-fh62l'})
CREATE (e:Event {client: $client, eid: 'evt:unhealthy-1', reason: 'Unhealthy', category: 'unhealthy', ts: $ts, rid: r.rid})-[:ABOUT]->(r)`,
      params: { client, ts: T },
    }]);
    const before = await edges();
    expect(before).toContain('ReplicaSet/shop/cart-zrrhx6r2c CONTROLS Pod/shop/cart-zrrhx6r2c-fh62l');
    // Both pods evicted (tombstones), later than the event: within the grace both keep their topology.
    const deletedAt = T + 3_600_000;
    await store.writeRca(client, [resourceDeletes(client, ['Pod/shop/cart-zrrhx6r2c-fh62l', 'Pod/shop/cart-zrrhx6r2c-q9x2m'], deletedAt)]);
    expect(await edges()).toEqual(before);
    // A deletion replayed later does not restart the grace; one past it sweeps the tombstone nothing is about.
    await store.writeRca(client, [resourceDeletes(client, ['Pod/shop/cart-zrrhx6r2c-q9x2m'], deletedAt + TOMBSTONE_GRACE_MS / 2)]);
    await store.writeRca(client, [resourceDeletes(client, ['Node//other'], deletedAt + TOMBSTONE_GRACE_MS + 1)]);
    expect(await edges()).toEqual([
      'Deployment/shop/cart CONTROLS ReplicaSet/shop/cart-zrrhx6r2c',
      'Pod/shop/cart-zrrhx6r2c-fh62l RUNS_ON Node//ip-10-0-74-68.eu-west-1.compute.internal',
      'ReplicaSet/shop/cart-zrrhx6r2c CONTROLS Pod/shop/cart-zrrhx6r2c-fh62l',
    ]);
    const nodes = await store.readRca(client, { text: 'MATCH (r:Resource {client: $client}) WHERE r.kind = "Pod" RETURN r.rid AS rid, r.deleted AS deleted', params: { client } });
    expect(nodes).toEqual([{ rid: 'Pod/shop/cart-zrrhx6r2c-fh62l', deleted: true }]);
  });

  it('a pod deleted before its events were written keeps the claim they need (pvc-pending, objects first)', async () => {
    const claim = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-postgres-3', namespace: 'shop', uid: 'uid-pvc' }, spec: { storageClassName: 'fast-ssd', accessModes: ['ReadWriteOnce'] }, status: { phase: 'Pending' } };
    const p = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'postgres-3', namespace: 'shop', uid: 'uid-pg3', labels: { app: 'postgres' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'postgres', uid: 'uid-sts', controller: true }] }, spec: { containers: [{ name: 'postgres', image: 'docker.io/library/postgres:16.4' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-postgres-3' } }] }, status: { phase: 'Pending' } };
    await store.writeRca(client, resourceUpserts(client, [rowOf(claim), rowOf(p)], T));
    await store.writeRca(client, [resourceDeletes(client, ['Pod/shop/postgres-3'], T + 60_000)]);
    expect(await edges()).toContain('Pod/shop/postgres-3 MOUNTS PersistentVolumeClaim/shop/data-postgres-3');
  });
});
