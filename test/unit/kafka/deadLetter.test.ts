import { deadLetter, DeadLetterLedger, deadLetterIdentity } from '../../../src/kafka/deadLetter';
import { KafkaRecord } from '../../../src/kafka/record';

const rec = (offset: number, over: Partial<KafkaRecord> = {}): KafkaRecord => ({
  topic: 'raw.k8s.events',
  partition: 2,
  offset,
  key: Buffer.from('acme::event::0d6c8f1e-5b1a-4c1e-9f77-3f1f7c2b9a10'),
  value: Buffer.from('{"kind":"Event","metadata":{"name":"api-7d9f8c6b5-x2k'),
  headers: {},
  timestamp: 1764583200000,
  ...over,
});

describe('dead-letter identity', () => {
  it('names the component and the source record by topic, partition, offset and timestamp', () => {
    const d = deadLetter(rec(41), 'event-normalizer-acme', 'invalid JSON: Unterminated string in JSON at position 52');
    expect(d.headers).toMatchObject({ 'kg.source.topic': 'raw.k8s.events', 'kg.source.partition': '2', 'kg.source.offset': '41', 'kg.source.timestamp': '1764583200000', 'kg.component': 'event-normalizer-acme' });
    expect(deadLetterIdentity(d.topic, d.headers)).toBe('dlq.raw|event-normalizer-acme|raw.k8s.events|2|41|1764583200000');
  });
  it('is the same for a replay of the record (a later failedAt, the same source), and differs for another offset, topic re-created at the same offset, or component', () => {
    const first = deadLetter(rec(41), 'event-normalizer-acme', 'invalid JSON');
    const replay = { ...deadLetter(rec(41), 'event-normalizer-acme', 'invalid JSON'), headers: { ...first.headers, 'kg.failed.at': '2026-12-01T10:05:00.000Z' } };
    const id = (d: ReturnType<typeof deadLetter>) => deadLetterIdentity(d.topic, d.headers);
    expect(id(replay)).toBe(id(first));
    expect(id(deadLetter(rec(42), 'event-normalizer-acme', 'invalid JSON'))).not.toBe(id(first));
    expect(id(deadLetter(rec(41, { timestamp: 1764590000000 }), 'event-normalizer-acme', 'invalid JSON'))).not.toBe(id(first));
    expect(id(deadLetter(rec(41), 'event-normalizer-beta', 'invalid JSON'))).not.toBe(id(first));
  });
  it('reads broker headers (Buffers) and is undefined without the origin headers', () => {
    expect(deadLetterIdentity('dlq.raw', { 'kg.component': Buffer.from('router'), 'kg.source.topic': Buffer.from('raw.k8s.logs'), 'kg.source.partition': Buffer.from('0'), 'kg.source.offset': Buffer.from('7') })).toBe('dlq.raw|router|raw.k8s.logs|0|7|');
    expect(deadLetterIdentity('dlq.raw', { 'kg.component': 'router', 'kg.source.topic': 'raw.k8s.logs' })).toBeUndefined();
    expect(deadLetterIdentity('dlq.raw', undefined)).toBeUndefined();
  });
});

describe('DeadLetterLedger', () => {
  const resource = (offset: number) => deadLetter(rec(offset, { topic: 'state.k8s.resource', partition: 1 }), 'topology-builder', 'invalid JSON');
  /** A fake producer: each send is a delivery at the next offset, or the failure given. */
  const producer = () => {
    const sent: number[] = [];
    let next = 100;
    return { sent, send: (r: ReturnType<typeof deadLetter>, fail?: Error) => () => (fail ? Promise.reject(fail) : (sent.push(Number(r.headers!['kg.source.offset'])), Promise.resolve({ topic: r.topic, partition: 0, offset: next++ }))) };
  };

  it('writes a dead letter read back at start or written since no second time; other records always pass', async () => {
    const ledger = new DeadLetterLedger(['dlq.raw|topology-builder|state.k8s.resource|1|9|1764583200000']);
    const p = producer();
    expect(await ledger.write(resource(9), p.send(resource(9)))).toEqual({ topic: 'dlq.raw', partition: -1, offset: -1 });
    expect(await ledger.write(resource(10), p.send(resource(10)))).toEqual({ topic: 'dlq.raw', partition: 0, offset: 100 });
    expect(await ledger.write(resource(10), p.send(resource(10)))).toEqual({ topic: 'dlq.raw', partition: -1, offset: -1 });
    // The same headers on a normalized record: not a dead letter, written each time.
    const normal = { ...resource(10), topic: 'events.normalized' };
    await ledger.write(normal, p.send(normal));
    await ledger.write(normal, p.send(normal));
    expect(p.sent).toEqual([10, 10, 10]);
    expect([ledger.skipped, ledger.size]).toEqual([2, 2]);
    expect(ledger.written(resource(10))).toBe(true);
  });

  it('knows a dead letter written before the timestamp header existed (same component and source offset)', async () => {
    const ledger = new DeadLetterLedger(['dlq.raw|topology-builder|state.k8s.resource|1|9|']);
    const p = producer();
    expect((await ledger.write(resource(9), p.send(resource(9)))).offset).toBe(-1);
    expect((await ledger.write(resource(10), p.send(resource(10)))).offset).toBe(100);
  });
  it('a copy sent while the first is under way waits for it and is not sent; a failed send is forgotten, so its retry is written', async () => {
    const ledger = new DeadLetterLedger();
    const p = producer();
    const [a, b] = await Promise.all([ledger.write(resource(11), p.send(resource(11))), ledger.write(resource(11), p.send(resource(11)))]);
    expect([a.offset, b.offset]).toEqual([100, -1]);
    await expect(ledger.write(resource(12), p.send(resource(12), new Error('delivery to dlq.raw failed: Broker: Message size too large')))).rejects.toThrow(/too large/);
    expect((await ledger.write(resource(12), p.send(resource(12)))).offset).toBe(101);
    expect(p.sent).toEqual([11, 12]);
  });
});
