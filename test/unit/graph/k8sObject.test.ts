import { parsePublishedTopology, refOfResourceKey, resourceOfObject } from '../../../src/graph/k8sObject';
import { OBJECTS } from '../../fixtures/graph/incident';

const obj = (kind: string) => OBJECTS.find((o) => o.kind === kind)!;

describe('Kubernetes object → resource row', () => {
  it('derives RUNS_ON and CONTROLS from a pod', () => {
    const o = obj('Pod');
    const r = resourceOfObject(o.object, refOfResourceKey('Pod', o.id)!);
    expect(r).toEqual({
      ok: true,
      value: {
        rid: 'Pod/shop/web-7d9-abc', kind: 'Pod', namespace: 'shop', name: 'web-7d9-abc', uid: 'u-pod',
        labels: ['app=web', 'pod-template-hash=7d9'], selector: [], runsOn: 'Node//n1', ownedBy: ['ReplicaSet/shop/web-7d9'], phase: 'Running',
        mounts: [], configs: [], boundTo: null, routesTo: [], revision: null, clusterIPs: [], ports: [],
      },
    });
  });
  it("keeps a service's selector and a cluster-scoped node without namespace", () => {
    const s = resourceOfObject(obj('Service').object, refOfResourceKey('Service', 'shop/web')!);
    expect(s.ok && s.value.selector).toEqual(['app=web']);
    expect(refOfResourceKey('Node', 'n1')?.rid).toBe('Node//n1');
    expect(refOfResourceKey('node', '/n1')?.rid).toBe('Node//n1');
  });
  it('rejects a value that does not match its key, or is not an object', () => {
    expect(resourceOfObject(obj('Pod').object, refOfResourceKey('Pod', 'shop/other')!)).toMatchObject({ ok: false, reason: expect.stringMatching(/metadata.name/) });
    expect(resourceOfObject(obj('Pod').object, refOfResourceKey('Service', 'shop/web-7d9-abc')!)).toMatchObject({ ok: false, reason: expect.stringMatching(/kind Pod/) });
    expect(resourceOfObject([1], refOfResourceKey('Pod', 'shop/x')!)).toMatchObject({ ok: false });
  });
});

describe('the topology faults travel on', () => {
  const row = (object: Record<string, unknown>) => {
    const m = object.metadata as { name: string; namespace?: string };
    const r = resourceOfObject(object, refOfResourceKey(object.kind as string, m.namespace ? `${m.namespace}/${m.name}` : m.name)!);
    if (!r.ok) throw new Error(r.reason);
    return r.value;
  };
  it("names a pod's claims, and the ConfigMaps and Secrets of its volumes, projected volumes, env and envFrom", () => {
    const pod = row({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'db-0', namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', controller: true }] },
      spec: {
        nodeName: 'worker-2',
        volumes: [
          { name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } },
          { name: 'conf', configMap: { name: 'db-config', defaultMode: 420 } },
          { name: 'tls', secret: { secretName: 'db-tls' } },
          { name: 'kube-api-access-x7k2p', projected: { sources: [{ serviceAccountToken: { path: 'token' } }, { configMap: { name: 'kube-root-ca.crt' } }, { secret: { name: 'db-extra' } }] } },
          { name: 'tmp', emptyDir: {} },
        ],
        initContainers: [{ name: 'init', envFrom: [{ secretRef: { name: 'init-env' } }] }],
        containers: [
          {
            name: 'db',
            env: [
              { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } },
              { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'db-config', key: 'mode' } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            ],
            envFrom: [{ configMapRef: { name: 'db-env' } }],
          },
        ],
      },
    });
    expect(pod.mounts).toEqual(['PersistentVolumeClaim/shop/data-db-0']);
    expect(pod.configs).toEqual(['ConfigMap/shop/db-config', 'ConfigMap/shop/db-env', 'ConfigMap/shop/kube-root-ca.crt', 'Secret/shop/db-credentials', 'Secret/shop/db-extra', 'Secret/shop/db-tls', 'Secret/shop/init-env']);
    expect(pod.ownedBy).toEqual(['StatefulSet/shop/db']);
  });
  it("names a PVC's volume, an Ingress's backends, a Service's cluster IPs and ports, and revisions", () => {
    expect(row({ kind: 'PersistentVolumeClaim', metadata: { name: 'data-db-0', namespace: 'shop' }, spec: { volumeName: 'pvc-0b6e1c2a-5f7d-4a1e-9c3b-2d8e7f6a5b4c', storageClassName: 'standard' } }).boundTo).toBe('PersistentVolume//pvc-0b6e1c2a-5f7d-4a1e-9c3b-2d8e7f6a5b4c');
    const ing = row({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop', namespace: 'shop' },
      spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } }, rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/api', pathType: 'Prefix', backend: { service: { name: 'api', port: { name: 'http' } } } }, { path: '/static', pathType: 'Prefix', backend: { resource: { kind: 'StorageBucket', name: 'static' } } }] } }] },
    });
    expect(ing.routesTo).toEqual(['Service/shop/api', 'Service/shop/web']);
    const svc = row({ kind: 'Service', metadata: { name: 'payments', namespace: 'shop' }, spec: { type: 'ClusterIP', clusterIP: '10.96.12.7', clusterIPs: ['10.96.12.7'], selector: { app: 'payments' }, ports: [{ name: 'pg', port: 5432, targetPort: 5432, protocol: 'TCP' }] } });
    expect([svc.clusterIPs, svc.ports]).toEqual([['10.96.12.7'], [5432]]);
    expect(row({ kind: 'Service', metadata: { name: 'db', namespace: 'shop' }, spec: { clusterIP: 'None', clusterIPs: ['None'] } }).clusterIPs).toEqual([]);
    expect(row({ kind: 'ReplicaSet', metadata: { name: 'api-5f', namespace: 'shop', annotations: { 'deployment.kubernetes.io/revision': '7' } } }).revision).toBe(7);
    expect(row({ kind: 'Pod', metadata: { name: 'p', namespace: 'shop', annotations: { 'deployment.kubernetes.io/revision': '7' } } }).revision).toBeNull();
  });
});

describe('published topology', () => {
  it('accepts strings and objects, and names a bad edge', () => {
    const ok = parsePublishedTopology({ edges: [{ from: 'Pod/shop/a', to: { kind: 'Node', name: 'n1' }, type: 'RUNS_ON' }] });
    expect(ok).toEqual({ ok: true, value: [{ from: { rid: 'Pod/shop/a', kind: 'Pod', namespace: 'shop', name: 'a' }, to: { rid: 'Node//n1', kind: 'Node', namespace: '', name: 'n1' }, type: 'RUNS_ON' }] });
    expect(parsePublishedTopology([{ from: 'Pod/shop/a', to: 'Node/n1', type: 'LIKES' }])).toMatchObject({ ok: false, reason: expect.stringMatching(/edges\[0\]\.type/) });
    expect(parsePublishedTopology({ nope: 1 })).toMatchObject({ ok: false });
  });
});
