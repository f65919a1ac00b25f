import { Observable, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { pooledEventNormalizer } from '../../../pipelines/eventNormalizer/eventNormalizer';
import { pooledLogNormalizer } from '../../../pipelines/logNormalizer/logNormalizer';
import { decodeNormalizedEvent, decodeNormalizedLog } from '../../../src/avro/normalizedCodec';
import { ConfigError } from '../../../src/config/env';
import { DLQ_HEADERS } from '../../../src/kafka/deadLetter';
import { Delivered, OutRecord, SourceRecord } from '../../../src/kafka/record';
import { loadPooledNormalizerSettings } from '../../../src/normalize/normalizerConfig';
import { clientOfTopic, poolSubscription, splitByTopic } from '../../../src/tenancy/poolTopics';
import { servedClients } from '../../../src/pool/runPooledNormalizer';
import { loadWorkerMode, perClientRoles } from '../../../src/tenancy/workerMode';
import { POOLED_ROLES, WORKER_ROLES } from '../../../src/spawner/spawner';

/** A core/v1 Event as the kubelet sends it (what the event exporter forwards). */
const kubeletEvent = (uid: string, pod: string) =>
  JSON.stringify({
    metadata: { uid, namespace: 'shop', name: `${pod}.17d8a1f2c3b4a5e6`, creationTimestamp: '2024-06-10T12:00:00Z' },
    involvedObject: { kind: 'Pod', namespace: 'shop', name: pod, uid: `pod-${pod}`, fieldPath: 'spec.containers{api}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container api in pod api_shop',
    type: 'Warning',
    lastTimestamp: '2024-06-10T12:00:00Z',
    count: 3,
    source: { component: 'kubelet', host: 'node-1' },
  });

function rec(topic: string, partition: number, offset: number, key: string | null, value: string): SourceRecord {
  return {
    topic,
    partition,
    offset,
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from(value),
    headers: {},
    timestamp: 1_718_020_800_000,
    ack: () => {
      throw new Error('acknowledged by the pipeline');
    },
  };
}

const settings = { inputBase: 'raw.k8s.events', outputBase: 'events.normalized', maxValueBytes: 1 << 20, maxMessageChars: 4096, progressEveryRecords: 1000, progressIntervalMs: 1000, retryBaseMs: 1 };
const registered = new Set(['acme', 'globex']);
const served = (c: string) => of(registered.has(c));
const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

describe('pool topics (literals)', () => {
  it('the subscription is an anchored regex matching {base}.{one segment}', () => {
    const re = new RegExp(poolSubscription('raw.k8s.events'));
    expect(poolSubscription('raw.k8s.events')).toBe('^raw\\.k8s\\.events\\.[^.]+$');
    expect(re.test('raw.k8s.events.acme')).toBe(true);
    expect(re.test('raw.k8s.events')).toBe(false);
    expect(re.test('raw.k8s.eventsXacme')).toBe(false);
    expect(re.test('raw.k8s.events.acme.retry')).toBe(false);
    expect(re.test('raw.k8s.logs.acme')).toBe(false);
  });

  it('the client of a topic is checked with the client-id rule', () => {
    expect(clientOfTopic('raw.k8s.events.acme-prod', 'raw.k8s.events')).toEqual({ ok: true, client: 'acme-prod' });
    expect(clientOfTopic('raw.k8s.events.Acme', 'raw.k8s.events')).toEqual({ ok: false, reason: 'topic raw.k8s.events.Acme does not name a valid client: client id must start with a lowercase letter a-z, got "A"' });
    expect(clientOfTopic('raw.k8s.events.ab', 'raw.k8s.events')).toMatchObject({ ok: false, reason: expect.stringContaining('at least 3') });
    expect(clientOfTopic('raw.k8s.events.', 'raw.k8s.events')).toMatchObject({ ok: false });
    expect(clientOfTopic('raw.k8s.logs.acme', 'raw.k8s.events')).toMatchObject({ ok: false });
  });

  it('a batch splits by topic, keeping each topic\'s order', () => {
    const a1 = rec('raw.k8s.events.acme', 0, 1, null, '{}');
    const g1 = rec('raw.k8s.events.globex', 2, 5, null, '{}');
    const a2 = rec('raw.k8s.events.acme', 0, 2, null, '{}');
    const parts = splitByTopic([a1, g1, a2], 'raw.k8s.events');
    expect(parts.map((p) => [p.topic, p.client, p.records.map((r) => r.offset)])).toEqual([
      ['raw.k8s.events.acme', { ok: true, client: 'acme' }, [1, 2]],
      ['raw.k8s.events.globex', { ok: true, client: 'globex' }, [5]],
    ]);
  });

  it('WORKER_MODE: pooled needs TENANCY=routed; pooled clients get no per-client worker', () => {
    expect(loadWorkerMode({}, 'shared')).toBe('per-client');
    expect(loadWorkerMode({ WORKER_MODE: 'pooled' }, 'routed')).toBe('pooled');
    expect(() => loadWorkerMode({ WORKER_MODE: 'pooled' }, 'shared')).toThrow(ConfigError);
    expect(() => loadWorkerMode({ WORKER_MODE: 'pooled' }, 'shared')).toThrow(/^WORKER_MODE: pooled needs TENANCY=routed.*Set TENANCY=routed/);
    expect(() => loadWorkerMode({ WORKER_MODE: 'pool' }, 'routed')).toThrow(/WORKER_MODE: must be one of per-client, pooled/);
    expect(perClientRoles('pooled', WORKER_ROLES, POOLED_ROLES)).toEqual([]);
    expect(perClientRoles('per-client', WORKER_ROLES, POOLED_ROLES)).toEqual(['event-normalizer', 'log-normalizer', 'graph-builder']);
    expect(() => loadPooledNormalizerSettings({}, 'event-normalizer')).toThrow(/^TENANCY: a pooled normalizer reads per-client topics/);
    expect(loadPooledNormalizerSettings({ TENANCY: 'routed' }, 'log-normalizer')).toMatchObject({ inputBase: 'raw.k8s.logs', outputBase: 'logs.normalized', groupId: 'log-normalizer-pool', topicRefreshMs: 5000, fetchWaitMs: 500 });
  });

  it('served clients: a negative answer is kept 5 s, then the broker is asked again', () => {
    let asked = 0;
    let exists = false;
    let now = 0;
    const check = servedClients({ ready$: () => ((asked++, of(exists))) }, 'events.normalized', () => now);
    const answer = () => {
      let v: boolean | undefined;
      check('acme').subscribe((x) => (v = x));
      return v;
    };
    expect(answer()).toBe(false);
    exists = true;
    now = 4999;
    expect(answer()).toBe(false);
    expect(asked).toBe(1);
    now = 5001;
    expect(answer()).toBe(true);
    expect(asked).toBe(2);
  });
});

describe('pooledEventNormalizer (marbles): one consumer, every client', () => {
  it("each client's records go to its own output topic; a batch settles once its client's delivery arrived", () => {
    newScheduler().run(({ hot, cold, expectObservable, flush }) => {
      const a = rec('raw.k8s.events.acme', 0, 10, 'acme::event::u-a1', kubeletEvent('u-a1', 'api-1'));
      const g = rec('raw.k8s.events.globex', 1, 3, 'globex::event::u-g1', kubeletEvent('u-g1', 'web-1'));
      const sent: OutRecord[][] = [];
      const delays: Record<string, string> = { 'events.normalized.acme': '---d|', 'events.normalized.globex': '-d|' };
      const sendBatch = (o: OutRecord[]): Observable<Delivered[]> => {
        sent.push(o);
        return cold(delays[o[0].topic], { d: o.map((x) => ({ topic: x.topic, partition: 0, offset: 0 })) });
      };
      const out$ = pooledEventNormalizer({ batches$: hot('-b-|', { b: [a, g] }) }, { sendBatch, served }, settings);
      expectObservable(out$).toBe('--g-a(P|)', {
        g: { kind: 'normalizer/batch', client: 'globex', records: 1, normalized: 1, foreign: 0, deadLettered: [], settles: [g] },
        a: { kind: 'normalizer/batch', client: 'acme', records: 1, normalized: 1, foreign: 0, deadLettered: [], settles: [a] },
        P: expect.objectContaining({ kind: 'normalizer/progress', counters: { processed: 2, errors: 0, foreign: 0, deadLettered: 0 }, final: true }),
      });
      flush();
      expect(sent.map((o) => o.map((x) => [x.topic, x.key]))).toEqual([[['events.normalized.acme', 'acme::evt-' + decodeNormalizedEvent(sent[0][0].value!).event_id]], [['events.normalized.globex', 'globex::evt-' + decodeNormalizedEvent(sent[1][0].value!).event_id]]]);
      expect(decodeNormalizedEvent(sent[0][0].value!)).toMatchObject({ reason: 'BackOff', object_kind: 'Pod', object_name: 'api-1' });
      expect(decodeNormalizedEvent(sent[1][0].value!)).toMatchObject({ reason: 'BackOff', object_name: 'web-1' });
    });
  });

  it('dead-lettered once with the reason: a topic of an unregistered client, an invalid client, another client\'s key on a topic', () => {
    newScheduler().run(({ hot, cold, expectObservable, flush }) => {
      const ghost = rec('raw.k8s.events.initech', 0, 0, 'initech::event::u-x', kubeletEvent('u-x', 'db-0'));
      const bad = rec('raw.k8s.events.Bad_Client', 0, 0, 'Bad_Client::event::u-y', kubeletEvent('u-y', 'db-1'));
      const foreign = rec('raw.k8s.events.acme', 0, 4, 'globex::event::u-z', kubeletEvent('u-z', 'db-2'));
      const bare = rec('raw.k8s.events.acme', 0, 5, 'b8f1c2d3-0000-4000-8000-000000000001', kubeletEvent('b8f1c2d3-0000-4000-8000-000000000001', 'db-3'));
      const sent: OutRecord[][] = [];
      const sendBatch = (o: OutRecord[]): Observable<Delivered[]> => {
        sent.push(o);
        return cold('d|', { d: o.map(() => ({ topic: 't', partition: 0, offset: 0 })) });
      };
      const out$ = pooledEventNormalizer({ batches$: hot('-b-------|', { b: [ghost, bad, foreign, bare] }) }, { sendBatch, served }, settings);
      expectObservable(out$).toBe('-(xya)---(P|)', {
        x: expect.objectContaining({ client: null, records: 1, settles: [ghost], deadLettered: [expect.objectContaining({ cause: 'key', reason: expect.stringMatching(/^topic raw.k8s.events.initech names client "initech", which has no events.normalized.initech topic: not registered/) })] }),
        y: expect.objectContaining({ client: null, records: 1, settles: [bad], deadLettered: [expect.objectContaining({ reason: expect.stringContaining('does not name a valid client') })] }),
        a: expect.objectContaining({ client: 'acme', records: 2, normalized: 1, foreign: 0, settles: [foreign, bare], deadLettered: [expect.objectContaining({ cause: 'key', offset: 4, reason: 'foreign key: names client "globex" on raw.k8s.events.acme, a topic of client "acme"' })] }),
        P: expect.objectContaining({ counters: { processed: 1, errors: 0, foreign: 0, deadLettered: 3 } }),
      });
      flush();
      const all = sent.flat();
      const dlq = all.filter((o) => o.topic === 'dlq.raw');
      expect(dlq).toHaveLength(3);
      expect(dlq.map((o) => `${o.headers?.[DLQ_HEADERS.sourceTopic]}/${o.headers?.[DLQ_HEADERS.sourcePartition]}@${o.headers?.[DLQ_HEADERS.sourceOffset]}`)).toEqual(['raw.k8s.events.initech/0@0', 'raw.k8s.events.Bad_Client/0@0', 'raw.k8s.events.acme/0@4']);
      // The bare-uid record on acme's topic is acme's (the topic names the client).
      const normalized = all.filter((o) => o.topic === 'events.normalized.acme');
      expect(normalized).toHaveLength(1);
      expect(normalized[0].key).toMatch(/^acme::evt-/);
      expect(all.some((o) => o.topic.startsWith('events.normalized.') && o.topic !== 'events.normalized.acme')).toBe(false);
    });
  });
});

describe('pooledLogNormalizer: each client has its own template miner', () => {
  it('the same line shape in two clients is templated in each client alone', () => {
    const sent: OutRecord[] = [];
    const sendBatch = (o: OutRecord[]) => {
      sent.push(...o);
      return of(o.map(() => ({ topic: 't', partition: 0, offset: 0 })));
    };
    const line = (user: string) => `2024-06-10T12:00:01Z INFO session opened for user ${user} by sshd`;
    const batch = [
      rec('raw.k8s.logs.acme', 0, 0, 'acme::log::p1', line('alice')),
      rec('raw.k8s.logs.acme', 0, 1, 'acme::log::p1', line('carol')),
      rec('raw.k8s.logs.globex', 0, 0, 'globex::log::p2', line('bob')),
    ];
    const logSettings = { ...settings, inputBase: 'raw.k8s.logs', outputBase: 'logs.normalized', templateMaxClusters: 100 };
    pooledLogNormalizer({ batches$: of(batch) }, { sendBatch, served }, logSettings).subscribe();
    const decoded = sent.map((o) => [o.topic, decodeNormalizedLog(o.value!)] as const);
    expect(decoded.map(([t]) => t)).toEqual(['logs.normalized.acme', 'logs.normalized.acme', 'logs.normalized.globex']);
    const [, a1] = decoded[0];
    const [, a2] = decoded[1];
    const [, g1] = decoded[2];
    // acme's second line joined its first's cluster, which became a template with a wildcard;
    expect(a2.template_id).toBe(a1.template_id);
    expect(a2.template).toContain('<*>');
    // globex's miner has seen one line of that shape: its own, not acme's merged template.
    expect(g1.template).toContain('bob');
  });
});
