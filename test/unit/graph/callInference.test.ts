import type { NormalizedLog } from '../../../src/avro/normalizedCodec';
import { inferredCallRows, peerKey, servicePeerKeys } from '../../../src/graph/callInference';
import { inferredCallWrites, resourceUpserts, servicePeerWrites } from '../../../src/graph/cypher';
import { aggregateErrorLogs } from '../../../src/graph/eventRows';
import { ResourceRow } from '../../../src/graph/k8sObject';
import { normalizeLog } from '../../../src/normalize/normalizeLog';
import { TemplateMiner } from '../../../src/normalize/templateMiner';

describe('peerKey', () => {
  it.each([
    ['payments.shop.svc.cluster.local:8080', 'web', { key: 'svc:shop/payments', confidence: 0.95, form: 'fqdn' }],
    ['db.other-ns.svc:5432', 'shop', { key: 'svc:other-ns/db', confidence: 0.95, form: 'fqdn' }],
    ['postgres-0.postgres.data.svc.cluster.local', 'shop', { key: 'svc:data/postgres', confidence: 0.95, form: 'fqdn' }],
    ['db.other-ns.svc.corp.example:5432', 'shop', { key: 'svc:other-ns/db', confidence: 0.95, form: 'fqdn' }],
    ['orders.shop:8080', 'web', { key: 'svc:shop/orders', confidence: 0.8, form: 'name.ns' }],
    ['redis-master', 'shop', { key: 'svc:shop/redis-master', confidence: 0.7, form: 'name' }],
    ['redis-master:6379', 'cache', { key: 'svc:cache/redis-master', confidence: 0.7, form: 'name' }],
    ['10.96.12.7:5432', 'shop', { key: 'ip:10.96.12.7', confidence: 0.9, form: 'cluster-ip' }],
    // Go prints an IPv6 peer in brackets (`dial tcp [fd00:10:96::4a2]:8080`); the key is its RFC 5952 form.
    ['[fd00:10:96:0:0:0:0:4a2]:8080', 'shop', { key: 'ip:fd00:10:96::4a2', confidence: 0.9, form: 'cluster-ip' }],
  ])('%s from %s', (peer, ns, key) => {
    expect(peerKey(peer, ns)).toEqual(key);
  });

  it.each([
    ['api.stripe.com:443', 'shop'],
    ['redis-master', null],
    ['127.0.0.1:9090', 'shop'],
    ['999.1.1.1:80', 'shop'],
    ['Bad_Name.shop', 'shop'],
    ['[::1]:8080', 'shop'],
    ['[fd00::1::2]:80', 'shop'],
  ])('%s from %s names no Service', (peer, ns) => {
    expect(peerKey(peer, ns)).toBeNull();
  });
});

const log = (over: Partial<NormalizedLog>): NormalizedLog => ({
  log_id: 'l1',
  timestamp: 1_718_000_000_000,
  level: 'error',
  message: 'dial tcp 10.96.12.7:5432: connect: connection refused',
  pod: 'checkout-7d9f8b6c5-x2x4q',
  namespace: 'shop',
  container: 'checkout',
  node: 'ip-10-0-1-12.eu-west-1.compute.internal',
  stream: 'stderr',
  template_id: 't-1',
  template: 'dial tcp <*>: connect: connection refused',
  error_class: 'connection_refused',
  peers: ['10.96.12.7:5432'],
  ...over,
});

describe('inferredCallRows', () => {
  it('names the pod, the key and the log Event that is the evidence (the aggregated error log id)', () => {
    const logs = [log({}), log({ log_id: 'l2', timestamp: 1_718_000_020_000 }), log({ log_id: 'l0', timestamp: 1_717_999_990_000 })];
    const [row] = inferredCallRows(logs, 60_000);
    const events = aggregateErrorLogs(logs, 60_000).map((e) => e.eid);
    expect(row).toEqual({
      rid: 'Pod/shop/checkout-7d9f8b6c5-x2x4q',
      key: 'ip:10.96.12.7',
      peer: '10.96.12.7:5432',
      confidence: 0.9,
      form: 'cluster-ip',
      eid: 'log:t-1:Pod/shop/checkout-7d9f8b6c5-x2x4q:1717999980000',
      template: 'dial tcp <*>: connect: connection refused',
      error_class: 'connection_refused',
      first: 1_717_999_990_000,
      last: 1_718_000_020_000,
      count: 3,
    });
    expect(events).toContain(row.eid);
  });

  it('one row per key a line names (a host name and an address), none for lines without a pod, peers or class', () => {
    const rows = inferredCallRows(
      [
        log({ peers: ['10.100.37.93:5432', 'postgres.shop.svc.cluster.local'] }),
        log({ pod: null, log_id: 'n' }),
        log({ peers: [], log_id: 'e' }),
        log({ peers: undefined, log_id: 'u' }),
        log({ error_class: null, log_id: 'c' }),
        log({ peers: ['api.stripe.com:443'], log_id: 'x' }),
      ],
      60_000,
    );
    expect(rows.map((r) => [r.key, r.form, r.count])).toEqual([
      ['ip:10.100.37.93', 'cluster-ip', 1],
      ['svc:shop/postgres', 'fqdn', 1],
    ]);
  });

  it('from a real line through the normalizer: a Python caller naming a Service in another namespace', () => {
    const text = JSON.stringify({
      message: "ERROR:app.clients:request to http://orders.shop.svc.cluster.local:8080/v1/lookup failed: HTTPConnectionPool(host='orders.shop.svc.cluster.local', port=8080): Max retries exceeded with url: /v1/lookup (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f3a2c1d5e>: Failed to establish a new connection: [Errno 111] Connection refused'))",
      timestamp: '2024-06-10T12:00:00.000Z',
      stream: 'stderr',
      kubernetes: { pod_name: 'admin-5c9d7f-abcde', pod_namespace: 'web', container_name: 'admin', pod_node_name: 'n1' },
    });
    const r = normalizeLog(text, { fallbackTimestamp: 1_718_020_800_000, miner: new TemplateMiner() });
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.peers).toEqual(['orders.shop.svc.cluster.local:8080']);
    expect(inferredCallRows([r.value], 60_000).map((c) => [c.rid, c.key])).toEqual([['Pod/web/admin-5c9d7f-abcde', 'svc:shop/orders']]);
  });
});

const service = (over: Partial<ResourceRow>): ResourceRow => ({
  rid: 'Service/other-ns/db',
  kind: 'Service',
  namespace: 'other-ns',
  name: 'db',
  uid: 'u-1',
  labels: [],
  selector: ['app=db'],
  runsOn: null,
  ownedBy: [],
  phase: null,
  mounts: [],
  configs: [],
  boundTo: null,
  routesTo: [],
  revision: null,
  clusterIPs: ['10.96.40.12'],
  ports: [5432],
  ...over,
});

describe('servicePeerKeys and the statements', () => {
  it('a Service is known by its DNS name and cluster IPs; a headless one by its name; a Pod by nothing', () => {
    expect(servicePeerKeys(service({}))).toEqual(['svc:other-ns/db', 'ip:10.96.40.12']);
    expect(servicePeerKeys(service({ clusterIPs: [] }))).toEqual(['svc:other-ns/db']);
    // Dual stack: both addresses; the IPv6 one as a log's bracketed address gives it.
    expect(servicePeerKeys(service({ clusterIPs: ['10.96.40.12', 'FD00:10:96::0:28'] }))).toEqual(['svc:other-ns/db', 'ip:10.96.40.12', 'ip:fd00:10:96::28']);
    expect(servicePeerKeys(service({ kind: 'Pod', rid: 'Pod/other-ns/db-0' }))).toEqual([]);
  });

  it('resource upserts end with the Service keys and the CALLS they complete, as parameters', () => {
    const st = resourceUpserts('acme', [service({})], 1);
    const [names, calls] = st.slice(-2);
    expect(names.params).toEqual({ client: 'acme', services: [{ rid: 'Service/other-ns/db', keys: ['svc:other-ns/db', 'ip:10.96.40.12'] }] });
    expect(calls.params).toEqual({ client: 'acme', keys: ['ip:10.96.40.12', 'svc:other-ns/db'] });
    expect(calls.text).toContain("MERGE (a)-[x:CALLS {origin: 'inferred'}]->(s)");
    expect(servicePeerWrites('acme', [service({ kind: 'Pod' })])).toEqual([]);
  });

  it('call writes carry the rows and the distinct keys; nothing for no calls', () => {
    const rows = inferredCallRows([log({ peers: ['10.96.40.12:5432', 'db.other-ns.svc.cluster.local:5432'] })], 60_000);
    const [named, calls] = inferredCallWrites('acme', rows);
    expect(named.params.calls).toBe(rows);
    expect(calls.params).toEqual({ client: 'acme', keys: ['ip:10.96.40.12', 'svc:other-ns/db'] });
    expect(inferredCallWrites('acme', [])).toEqual([]);
  });
});
