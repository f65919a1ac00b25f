import { decodeGraphRecord, DecodedRecord, GraphInput } from '../../../pipelines/graphBuilder/decodeGraphRecord';
import { rowsOfInputs } from '../../../pipelines/graphBuilder/graphBuilder';
import { AgentGraphContext } from '../../../src/agent/decodeAgentGraphRecord';
import { TemplateMiner } from '../../../src/normalize/templateMiner';
import { fixtureAsRecord, loadAgentFixtures } from '../../support/agentFixtures';

const C = 'agentfix';
const topics = { events: 'events.normalized', logs: 'logs.normalized', alerts: 'alerts.raw', rawPromAlerts: 'raw.prom.alerts', promTargets: 'state.prom.targets' };
const fixtures = loadAgentFixtures();
const ctx = (defaultClient?: string): AgentGraphContext => ({ tenancy: defaultClient ? { defaultClient } : {}, miner: new TemplateMiner({ maxClusters: 100 }) });
const decode = (shape: string, c = ctx()) =>
  fixtures.filter((r) => r.shape.startsWith(shape) && Object.values(topics).includes(r.topic)).map((r, i) => decodeGraphRecord(fixtureAsRecord(r, i), C, Buffer.from(`${C}::`), topics, c));
const inputs = (d: DecodedRecord[]): GraphInput[] => d.flatMap((x) => (x.kind === 'input' ? [x.input] : []));

describe('the graph builder reads the agent records', () => {
  it('takes the exporter JSON on events.normalized (chart default route) through the event normalizer: one event per Event uid', () => {
    // Without DEFAULT_CLIENT_ID they name no client: not this builder's (dead-lettered once elsewhere).
    expect(decode('event-exporter').map((d) => d.kind)).toEqual(Array(4).fill('foreign'));
    const d = decode('event-exporter', ctx(C));
    expect(d.every((x) => x.kind === 'input' && x.via === 'normalizer')).toBe(true);
    const rows = rowsOfInputs(inputs(d), 60_000);
    const backoff = rows.filter((r) => r.reason === 'BackOff');
    expect(backoff).toHaveLength(1);
    expect(backoff[0]).toMatchObject({ eid: 'evt:f3a1c5e7-9b2d-4e6f-8a0c-1b3d5f7a9c24', count: 3, rid: 'Pod/shop/api-7d9c8b6f5-x2k4p', category: 'backoff' });
  });

  it('takes Vector-enriched logs on logs.normalized through the log normalizer; classified errors become events', () => {
    const d = decode('log-normalized');
    expect(d.map((x) => x.kind)).toEqual(['input', 'input']);
    const rows = rowsOfInputs(inputs(d), 60_000);
    expect(rows.map((r) => [r.reason, r.rid])).toEqual([
      ['connection_refused', 'Pod/shop/api-7d9c8b6f5-x2k4p'],
      ['oom', 'Pod/shop/api-7d9c8b6f5-x2k4p'],
    ]);
  });

  it('reads the reduced alert of the Go receiver, and Vector alerts on raw.prom.alerts and events.normalized as one alert', () => {
    const [reduced] = rowsOfInputs(inputs(decode('alert-reduced')), 60_000);
    expect(reduced).toMatchObject({ source: 'alert', reason: 'KubePodCrashLooping', severity: 'warning', rid: 'Pod/shop/api-7d9c8b6f5-x2k4p', eid: 'alert:c4e6a8b0-2d4f-4b6a-8c0e-4f6a8c0e2b57:1796115850000' });
    const raw = rowsOfInputs(inputs(decode('alert-vector-raw')), 60_000);
    const norm = rowsOfInputs(inputs(decode('alert-vector-normalized')), 60_000);
    expect(raw).toHaveLength(1);
    expect(norm.map((r) => r.eid)).toEqual(raw.map((r) => r.eid));
    expect(raw[0]).toMatchObject({ eid: 'alert:5e0c3a1f9b7d2e48:1796115820112', rid: 'Pod/shop/api-7d9c8b6f5-x2k4p', detail: 'firing' });
  });

  it('makes a target that is down evidence about the scraped pod; up targets and tombstones are skipped', () => {
    const [down] = decode('target-down');
    expect(down).toMatchObject({ kind: 'input', input: { kind: 'row', value: { reason: 'TargetDown', category: 'unhealthy', rid: 'Pod/shop/api-7d9c8b6f5-x2k4p', ts: Date.parse('2026-12-01T09:03:21.77012Z') } } });
    expect(down.kind === 'input' && down.input.kind === 'row' && down.input.value.message).toBe('scrape of http://10.244.1.7:8080/metrics failed: Get "http://10.244.1.7:8080/metrics": dial tcp 10.244.1.7:8080: connect: connection refused');
    expect(decode('target-up')).toEqual([{ kind: 'skip', reason: 'target up' }]);
    expect(decode('target-tombstone')).toEqual([{ kind: 'skip', reason: 'target tombstone (the target disappeared)' }]);
  });

  it('still dead-letters what is neither Avro nor the agent JSON, with the reason', () => {
    const [log] = fixtures.filter((r) => r.shape.startsWith('log-normalized'));
    const bad = decodeGraphRecord(fixtureAsRecord({ ...log, value: '{"hello":1}' }, 0), C, Buffer.from(`${C}::`), topics, ctx());
    expect(bad).toEqual({ kind: 'reject', reason: expect.stringMatching(/^not Avro, and as JSON: unknown log shape/) });
    const notJson = decodeGraphRecord(fixtureAsRecord({ ...log, value: 'plain' }, 0), C, Buffer.from(`${C}::`), topics, ctx());
    expect(notJson).toEqual({ kind: 'reject', reason: expect.stringMatching(/^value is neither Avro nor JSON/) });
  });
});
