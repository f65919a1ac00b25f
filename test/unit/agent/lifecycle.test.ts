import { parseHeartbeatRecord, parseRegistryRecord } from '../../../pipelines/lifecycle/parseLifecycleRecord';
import { fixtureAsRecord, loadAgentFixtures } from '../../support/agentFixtures';

const fixtures = loadAgentFixtures();
const rec = (shape: string) => fixtureAsRecord(fixtures.find((r) => r.shape === shape)!, 0);

describe('the control plane reads the agent registrations and heartbeats', () => {
  it('accepts the console-producer registration (no k8s_version, empty cluster_name)', () => {
    expect(parseRegistryRecord(rec('registry-console'), 1, false)).toMatchObject({
      kind: 'registry/registration',
      client: 'agentfix',
      info: { cluster_name: '', region: 'unknown', timestamp: '2026-12-01T09:00:03Z', chart_version: '2.1.2' },
    });
  });

  it('recovers the client of the kcat-split registration from key + ":" + value', () => {
    expect(parseRegistryRecord(rec('registry-kcat'), 1, false)).toMatchObject({
      kind: 'registry/registration',
      client: 'agentfix',
      info: { cluster_name: 'agentfix', version: '2.1.2', metadata: { release_name: 'kg-rca-agent' } },
    });
  });

  it('rejects a kcat-split registration whose pieces do not parse, saying why', () => {
    const r = parseRegistryRecord(rec('registry-kcat-broken'), 1, false);
    expect(r.kind).toBe('input/invalid');
    expect(r.kind === 'input/invalid' && r.reason).toMatch(/^kcat-split registration \(key \{"client_id", the JSON cut at its first ":" by kcat -K:\): key \+ ":" \+ value is not JSON/);
  });

  it('reads the deregistration tombstone', () => {
    expect(parseRegistryRecord(rec('registry-tombstone'), 1, false)).toMatchObject({ kind: 'registry/tombstone', client: 'agentfix' });
  });

  it('accepts both heartbeats: {id} from the CronJob and {id}::{id} from the state-watcher with its metrics', () => {
    expect(parseHeartbeatRecord(rec('heartbeat-cron'), 5)).toMatchObject({ kind: 'heartbeat/received', client: 'agentfix', at: 5 });
    expect(parseHeartbeatRecord(rec('heartbeat-watcher'), 6)).toMatchObject({ kind: 'heartbeat/received', client: 'agentfix', at: 6 });
  });

  it('still rejects a heartbeat keyed {id}::{other} and a registration keyed {id}::{id}', () => {
    const hb = { ...rec('heartbeat-watcher'), key: Buffer.from('agentfix::other') };
    expect(parseHeartbeatRecord(hb, 1)).toMatchObject({ kind: 'input/invalid', reason: expect.stringContaining('expected {client} or {client}::{client}') });
    const reg = { ...rec('registry-console'), key: Buffer.from('agentfix::agentfix') };
    expect(parseRegistryRecord(reg, 1, false)).toMatchObject({ kind: 'input/invalid' });
  });
});
