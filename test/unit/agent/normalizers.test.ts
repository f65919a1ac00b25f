import { firstValueFrom, of, toArray } from 'rxjs';
import { eventNormalizer } from '../../../pipelines/eventNormalizer/eventNormalizer';
import { logNormalizer } from '../../../pipelines/logNormalizer/logNormalizer';
import { decodeNormalizedEvent, decodeNormalizedLog } from '../../../src/avro/normalizedCodec';
import { OutRecord, SourceRecord } from '../../../src/kafka/record';
import { fixtureAsRecord, loadAgentFixtures } from '../../support/agentFixtures';
import { settledBy } from '../../support/settlement';

const fixtures = loadAgentFixtures('solo');
const sources = (shape: string, topic: string): SourceRecord[] =>
  fixtures.filter((r) => r.shape.startsWith(shape)).map((r, i) => ({ ...fixtureAsRecord({ ...r, topic }, i), ack: () => undefined }));

async function run(kind: 'event' | 'log', records: SourceRecord[], defaultClient?: string) {
  const sent: OutRecord[] = [];
  const deps = { sendBatch: (o: OutRecord[]) => (sent.push(...o), of(o.map((x, i) => ({ topic: x.topic, partition: 0, offset: i })))) };
  const common = { clientId: 'solo', maxValueBytes: 1 << 20, maxMessageChars: 4096, progressEveryRecords: 1e9, progressIntervalMs: 1e9, tenancy: defaultClient ? { defaultClient } : {} };
  const out$ = kind === 'event'
    ? eventNormalizer({ batches$: of(records) }, deps, { ...common, outputTopic: 'events.normalized' })
    : logNormalizer({ batches$: of(records) }, deps, { ...common, outputTopic: 'logs.normalized', templateMaxClusters: 100 });
  const effects = await firstValueFrom(out$.pipe(toArray()));
  return { sent, effects };
}

describe('normalizers take the agent records that name no client when DEFAULT_CLIENT_ID is theirs', () => {
  it('normalizes the exporter EnhancedEvent keyed by the bare Event uid: the event id is the uid', async () => {
    const recs = sources('event-exporter', 'raw.k8s.events');
    const { sent, effects } = await run('event', recs, 'solo');
    expect(sent.every((o) => o.topic === 'events.normalized')).toBe(true);
    const backoff = sent.filter((o) => String(o.key).endsWith('f3a1c5e7-9b2d-4e6f-8a0c-1b3d5f7a9c24'));
    // Re-sent with a rising count: the same key and event id every time.
    expect(backoff.map((o) => o.key)).toEqual(Array(4).fill('solo::evt-f3a1c5e7-9b2d-4e6f-8a0c-1b3d5f7a9c24'));
    const last = decodeNormalizedEvent(backoff[3].value as Buffer);
    expect(last).toMatchObject({ reason: 'BackOff', count: 3, object_kind: 'Pod', object_namespace: 'shop', object_name: 'api-7d9c8b6f5-x2k4p', source_format: 'event-exporter', container: 'api' });
    // The one batch settles every record of it.
    expect(settledBy(effects)).toEqual(recs);
  });

  it('normalizes Vector raw logs (null key): pod, namespace, container from kubernetes.*, levels from the message', async () => {
    const { sent } = await run('log', sources('log-raw', 'raw.k8s.logs'), 'solo');
    const logs = sent.map((o) => decodeNormalizedLog(o.value as Buffer));
    expect(logs.map((l) => [l.level, l.error_class])).toEqual([
      ['error', 'connection_refused'], // pino "level":50
      ['warn', null], // logfmt level=warn
      ['error', 'connection_refused'], // klog E1201
      ['info', null], // [INFO]
      ['error', 'oom'], // ERROR java.lang.OutOfMemoryError
    ]);
    expect(logs[0]).toMatchObject({ pod: 'api-7d9c8b6f5-x2k4p', namespace: 'shop', container: 'api', node: 'kind-worker', stream: 'stdout', message: 'connect ECONNREFUSED 10.96.30.5:5432' });
    expect(logs[0].timestamp).toBe(Date.parse('2026-12-01T09:02:31.482Z'));
    expect(sent.every((o) => String(o.key).startsWith('solo::log-'))).toBe(true);
  });

  it('without DEFAULT_CLIENT_ID (or another default) the records are nobody\'s here: settled as foreign, never dead-lettered by a worker', async () => {
    for (const d of [undefined, 'other']) {
      const recs = sources('log-raw', 'raw.k8s.logs');
      const { sent, effects } = await run('log', recs, d);
      expect(sent).toEqual([]);
      expect(effects[0]).toEqual({ kind: 'normalizer/batch', records: 5, normalized: 0, foreign: 5, deadLettered: [], settles: recs });
    }
  });
});
