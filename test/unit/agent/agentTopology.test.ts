import { AgentTopologyChange, ResyncCache } from '../../../src/agent/agentTopology';
import { decodeTopologyRecord } from '../../../pipelines/topologyBuilder/decodeTopologyRecord';
import { batchesOfChanges } from '../../../pipelines/topologyBuilder/topologyBuilder';
import { fixtureAsRecord, loadAgentFixtures } from '../../support/agentFixtures';

const topics = { resources: 'state.k8s.resource', topology: 'state.k8s.topology' };
const fixtures = loadAgentFixtures();
const decodeAll = (shape: string) =>
  fixtures.filter((r) => r.shape === shape).map((r, i) => {
    const d = decodeTopologyRecord(fixtureAsRecord(r, i), topics);
    if (d.kind !== 'change') throw new Error(`${r.key}: ${d.kind === 'reject' ? d.reason : ''}`);
    return d.change;
  });

describe('the agent topology records as graph changes', () => {
  it('maps ResourceRecords to name-based rows, uid kept, edges derived like for a full object', () => {
    const rows = decodeAll('resource').map((c) => (c.kind === 'agent-upsert' ? c.row : null));
    expect(rows.map((r) => r!.rid)).toEqual([
      'Node//kind-worker', 'Deployment/shop/api', 'ReplicaSet/shop/api-7d9c8b6f5', 'Pod/shop/api-7d9c8b6f5-x2k4p', 'Pod/shop/api-7d9c8b6f5-q8m3z',
      'Service/shop/api', 'Job/observability/kg-rca-agent-heartbeat-29410141', 'Pod/observability/kg-rca-agent-heartbeat-29410141-7xk2q',
    ]);
    const pod = rows[3]!;
    expect(pod).toMatchObject({
      uid: '1dfa2b35-7c4e-4a9b-8e61-2f3d5a7b9c04', runsOn: 'Node//kind-worker', ownedBy: ['ReplicaSet/shop/api-7d9c8b6f5'], phase: 'Running',
      labels: ['app=api', 'pod-template-hash=7d9c8b6f5'], props: { pod_ip: '10.244.1.7', status_json: '{"containerReady":false,"phase":"Running","restartCount":3}' },
    });
    expect(rows[5]).toMatchObject({ selector: ['app=api'], props: { service_ips: ['10.96.14.21'] } });
    expect(rows[1]).toMatchObject({ props: { replicas: 2 } });
  });

  it('maps EdgeRecords onto the same name-based nodes, and tombstones by key', () => {
    const edges = decodeAll('edge');
    expect(edges.map((e) => (e.kind === 'agent-edge' ? `${e.from.rid} ${e.type} ${e.to.rid}` : ''))).toContain('Pod/shop/api-7d9c8b6f5-x2k4p RUNS_ON Node//kind-worker');
    expect(edges.map((e) => (e.kind === 'agent-edge' ? `${e.from.rid} ${e.type} ${e.to.rid}` : ''))).toContain('Service/shop/api SELECTS Pod/shop/api-7d9c8b6f5-q8m3z');
    expect(decodeAll('edge-tombstone')[0]).toMatchObject({ kind: 'agent-edge-delete', from: { rid: 'Job/observability/kg-rca-agent-heartbeat-29410141' } });
    expect(decodeAll('resource-tombstone')[0]).toMatchObject({ kind: 'agent-delete', uid: 'e2c4a6b8-1d3f-4a5c-9e7b-8f0a2c4e6b13', resourceKind: 'pod' });
  });

  it('hashes what is written, not the record time: a 30 s resync is unchanged, a restart count is not', () => {
    const [pod] = fixtures.filter((r) => r.shape === 'resource' && r.key!.includes('1dfa2b35'));
    const decode = (value: string) => decodeTopologyRecord(fixtureAsRecord({ ...pod, value }, 0), topics);
    const a = decode(pod.value!);
    const resync = decode(pod.value!.replace('2026-12-01T09:00:31.505101Z', '2026-12-01T09:01:01.61733Z'));
    const restarted = decode(pod.value!.replace('"restartCount":3', '"restartCount":4'));
    const hash = (d: ReturnType<typeof decode>) => (d.kind === 'change' && d.change.kind === 'agent-upsert' ? d.change.hash : '');
    expect(hash(resync)).toBe(hash(a));
    expect(hash(restarted)).not.toBe(hash(a));
    const cache = new ResyncCache(10);
    const change = (a as { change: Parameters<ResyncCache['written']>[0] }).change;
    expect(cache.unchanged(change)).toBe(false);
    cache.written(change);
    expect(cache.unchanged((resync as { change: typeof change }).change)).toBe(true);
    expect(cache.unchanged((restarted as { change: typeof change }).change)).toBe(false);
  });

  it('bounds the resync cache and forgets a key on its tombstone', () => {
    const changes = decodeAll('edge') as AgentTopologyChange[];
    const cache = new ResyncCache(3);
    for (const c of changes) cache.written(c);
    expect(cache.size).toBe(3);
    expect(cache.unchanged(changes[changes.length - 1])).toBe(true);
    expect(cache.unchanged(changes[0])).toBe(false);
    const last = changes[changes.length - 1] as AgentTopologyChange & { kind: 'agent-edge' };
    cache.written({ kind: 'agent-edge-delete', client: last.client, key: last.key, from: last.from, to: last.to });
    expect(cache.unchanged(last)).toBe(false);
  });

  it('rejects agent records that contradict their key, with the reason', () => {
    const [pod] = fixtures.filter((r) => r.shape === 'resource' && r.key!.includes('::pod:'));
    const other = decodeTopologyRecord(fixtureAsRecord({ ...pod, value: pod.value!.replace('"client_id":"agentfix"', '"client_id":"other"') }, 0), topics);
    expect(other).toEqual({ kind: 'reject', reason: 'ResourceRecord client_id "other" differs from the key\'s client "agentfix"' });
    const badUid = decodeTopologyRecord(fixtureAsRecord({ ...pod, key: 'agentfix::pod:0000' }, 0), topics);
    expect(badUid.kind === 'reject' && badUid.reason).toMatch(/uid .* does not match 0000/);
  });

  it('batches the agent changes of one client, the last change per key winning', () => {
    const all = [...decodeAll('resource'), ...decodeAll('resource-tombstone'), ...decodeAll('edge'), ...decodeAll('edge-tombstone')];
    const [batch] = batchesOfChanges(all);
    expect(batch.client).toBe('agentfix');
    expect(batch.agent!.upserts).toHaveLength(7);
    expect(batch.agent!.uidDeletes).toEqual(['e2c4a6b8-1d3f-4a5c-9e7b-8f0a2c4e6b13']);
    expect(batch.agent!.edges).toHaveLength(7);
    expect(batch.agent!.edgeDeletes).toHaveLength(1);
  });
});
