import { resolveClient, kcatRegistration } from '../../../src/tenancy/resolveClient';
import { loadTenancyOptions } from '../../../src/tenancy/tenancyConfig';
import { loadAgentFixtures } from '../../support/agentFixtures';

const fixtures = loadAgentFixtures();
const byShape = (s: string) => fixtures.filter((r) => r.shape.startsWith(s));

/** Vector and Go maps serialize with sorted keys: every object's keys in order, at every level. */
function keysSortedDeep(x: unknown): boolean {
  if (Array.isArray(x)) return x.every(keysSortedDeep);
  if (typeof x !== 'object' || x === null) return true;
  const keys = Object.keys(x);
  return keys.every((k, i) => i === 0 || keys[i - 1] < k) && Object.values(x).every(keysSortedDeep);
}

describe('agent fixtures are byte-exact in their producers serializations', () => {
  it('holds every shape the chart sends', () => {
    const shapes = new Set(fixtures.map((r) => r.shape.replace(/ \(.*\)$/, '')));
    expect([...shapes].sort()).toEqual(
      ['alert-reduced', 'alert-vector-normalized', 'alert-vector-raw', 'edge', 'edge-tombstone', 'event-exporter', 'event-exporter-raw', 'heartbeat-cron', 'heartbeat-watcher',
        'log-normalized', 'log-raw', 'registry-console', 'registry-kcat', 'registry-kcat-broken', 'registry-tombstone', 'resource', 'resource-tombstone', 'target-down', 'target-tombstone', 'target-up'].sort(),
    );
  });

  it('Go values escape ">" as \\u003e: the edge key has a literal "->", its value id the escape', () => {
    for (const e of byShape('edge').filter((r) => r.value !== null)) {
      expect(e.key).toMatch(/^agentfix::edge:[a-z]+:.+->[a-z]+:.+$/);
      expect(e.value).toContain('-\\u003e');
      expect(e.value).not.toContain('>');
      const v = JSON.parse(e.value!);
      expect(`agentfix::${v.id}`).toBe(e.key);
      expect(Object.keys(v)).toEqual(['op', 'at', 'client_id', 'cluster', 'id', 'from', 'to', 'type']);
    }
  });

  it('ResourceRecords keep the struct order, omit empty fields (no namespace on a Node) and sort Go maps', () => {
    const [node] = byShape('resource').filter((r) => r.key!.includes('::node:'));
    expect(Object.keys(JSON.parse(node.value!))).toEqual(['op', 'at', 'client_id', 'cluster', 'kind', 'uid', 'name', 'labels', 'status']);
    for (const r of byShape('resource').filter((x) => x.value !== null)) {
      const v = JSON.parse(r.value!);
      expect(r.key).toBe(`agentfix::${v.kind.toLowerCase()}:${v.uid}`);
      expect(keysSortedDeep(v.labels)).toBe(true);
      if (v.status) expect(keysSortedDeep(v.status)).toBe(true);
    }
  });

  it('Vector values have sorted keys at every level; raw logs have a null key and no level field', () => {
    for (const r of [...byShape('log-'), ...byShape('alert-vector')]) expect(keysSortedDeep(JSON.parse(r.value!))).toBe(true);
    for (const r of byShape('log-raw')) {
      expect(r.key).toBeNull();
      const v = JSON.parse(r.value!);
      expect(v.level).toBeUndefined();
      expect(v.severity).toBeUndefined();
      expect(v.client_id).toBeUndefined();
    }
  });

  it('the exporter re-sends one Event uid, bare, with a rising count', () => {
    const backoffs = byShape('event-exporter').filter((r) => r.value!.includes('"reason":"BackOff"') && r.topic === 'events.normalized');
    expect(new Set(backoffs.map((r) => r.key)).size).toBe(1);
    expect(backoffs.map((r) => JSON.parse(r.value!).count)).toEqual([1, 2, 3]);
    expect(backoffs[0].key).toBe(JSON.parse(backoffs[0].value!).metadata.uid);
    expect(Object.keys(JSON.parse(backoffs[0].value!)).slice(-1)).toEqual(['involvedObject']);
  });

  it('the kcat registration is split at its first ":" and reassembles into the JSON', () => {
    const [kcat] = byShape('registry-kcat');
    expect(kcat.key).toBe('{"client_id"');
    expect(JSON.parse(`${kcat.key}:${kcat.value}`).client_id).toBe('agentfix');
  });
});

describe('resolveClient', () => {
  it('resolves every prefixed agent key to its client, with the rest of the key', () => {
    for (const r of fixtures.filter((x) => x.key !== null && x.key.startsWith('agentfix::'))) {
      const res = resolveClient(r.topic, r.key, null, {});
      expect(res).toEqual({ ok: true, client: 'agentfix', shape: 'prefixed', rest: r.key!.slice('agentfix::'.length) });
    }
    expect(resolveClient('state.k8s.resource', 'agentfix::pod:1dfa', null, {})).toEqual({ ok: true, client: 'agentfix', shape: 'prefixed', rest: 'pod:1dfa' });
  });

  it('takes the bare key as the client only on the registry and heartbeat topics', () => {
    expect(resolveClient('cluster.registry', 'agentfix', null, {})).toEqual({ ok: true, client: 'agentfix', shape: 'bare-client', rest: '' });
    expect(resolveClient('cluster.heartbeat', 'agentfix', null, {})).toMatchObject({ ok: true, client: 'agentfix', shape: 'bare-client' });
    // A lowercase uid would pass the client-id rule: on other topics a bare key names no client.
    expect(resolveClient('events.normalized', 'a8c0e2f4-6b8d-4a1c-9e3f-5b7d9f1a3c46', null, {})).toMatchObject({ ok: false, unresolved: true });
    expect(resolveClient('cluster.registry', 'Bad_Id', null, {})).toMatchObject({ ok: false, unresolved: false });
  });

  it('recovers the client of a kcat-split registration, or says why not', () => {
    const [kcat] = byShape('registry-kcat');
    expect(resolveClient(kcat.topic, kcat.key, Buffer.from(kcat.value!), {})).toEqual({ ok: true, client: 'agentfix', shape: 'kcat-split', rest: '' });
    const [broken] = byShape('registry-kcat-broken');
    const res = resolveClient(broken.topic, broken.key, Buffer.from(broken.value!), {});
    expect(res.ok).toBe(false);
    expect(!res.ok && res.reason).toMatch(/kcat-split registration .* is not JSON/);
    expect(kcatRegistration(Buffer.from('"UPPER","cluster_name":""}'))).toMatchObject({ ok: false, reason: expect.stringContaining('invalid client_id') });
  });

  it('gives records that name no client to DEFAULT_CLIENT_ID, else leaves them unresolved with the reason', () => {
    const [raw] = byShape('log-raw');
    const [ev] = byShape('event-exporter');
    expect(resolveClient(raw.topic, raw.key, null, { defaultClient: 'solo' })).toEqual({ ok: true, client: 'solo', shape: 'unkeyed', rest: '' });
    expect(resolveClient(ev.topic, ev.key, null, { defaultClient: 'solo' })).toEqual({ ok: true, client: 'solo', shape: 'unkeyed', rest: ev.key });
    const none = resolveClient(raw.topic, raw.key, null, {});
    expect(none).toMatchObject({ ok: false, unresolved: true });
    expect(!none.ok && none.reason).toMatch(/has no key, and DEFAULT_CLIENT_ID is unset/);
    expect(resolveClient('raw.k8s.events', 'Bad::x', null, { defaultClient: 'solo' })).toMatchObject({ ok: false, unresolved: false });
  });

  it('validates DEFAULT_CLIENT_ID at start', () => {
    expect(loadTenancyOptions({})).toEqual({});
    expect(loadTenancyOptions({ DEFAULT_CLIENT_ID: 'solo' })).toEqual({ defaultClient: 'solo' });
    expect(() => loadTenancyOptions({ DEFAULT_CLIENT_ID: 'Solo' })).toThrow(/^DEFAULT_CLIENT_ID: client id must start with a lowercase letter.*Set it to a valid client id/);
  });
});
