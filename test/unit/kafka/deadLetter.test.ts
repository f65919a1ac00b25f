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

  describe('bounded by the lookback (an injected clock)', () => {
    const HOUR = 3_600_000;
    const T0 = 1764583200000;
    const clock = (start: number) => {
      let t = start;
      return { now: () => t, advance: (ms: number) => (t += ms) };
    };
    const id = (offset: number) => `dlq.raw|topology-builder|state.k8s.resource|1|${offset}|1764583200000`;

    it('forgets a dead letter read back at start once it is older than the lookback, and keeps one inside it', async () => {
      const c = clock(T0);
      // Written 59 min and 30 min before the start.
      const ledger = new DeadLetterLedger([{ id: id(9), at: T0 - 59 * 60_000 }, { id: id(10), at: T0 - 30 * 60_000 }], T0 - HOUR, { lookbackMs: HOUR, now: c.now });
      expect([ledger.written(resource(9)), ledger.written(resource(10))]).toEqual([true, true]);
      c.advance(2 * 60_000); // offset 9's dead letter is now 61 min old, offset 10's 32 min
      expect([ledger.written(resource(9)), ledger.written(resource(10))]).toEqual([false, true]);
      expect([ledger.size, ledger.evicted]).toEqual([1, 1]);
      // A replay of offset 9 past the lookback is written again (a fresh process would not know it either); 10 is not.
      const p = producer();
      expect((await ledger.write(resource(9), p.send(resource(9)))).offset).toBe(100);
      expect((await ledger.write(resource(10), p.send(resource(10)))).offset).toBe(-1);
      expect(p.sent).toEqual([9]);
    });

    it('forgets what it wrote itself a lookback after the acknowledgement, not before', async () => {
      const c = clock(T0);
      const ledger = new DeadLetterLedger([], T0, { lookbackMs: HOUR, now: c.now });
      const p = producer();
      await ledger.write(resource(11), p.send(resource(11)));
      c.advance(HOUR); // exactly one lookback: still guarded
      expect((await ledger.write(resource(11), p.send(resource(11)))).offset).toBe(-1);
      c.advance(1);
      expect(ledger.written(resource(11))).toBe(false);
      expect(p.sent).toEqual([11]);
    });

    it('holds only the last lookback of dead letters however many a long-running worker writes', async () => {
      const c = clock(T0);
      const ledger = new DeadLetterLedger([], T0, { lookbackMs: HOUR, now: c.now });
      const p = producer();
      // 10,000 dead letters, one a second (2.8 h): at most one hour of them is held.
      for (let i = 0; i < 10_000; i++) {
        await ledger.write(resource(i), p.send(resource(i)));
        c.advance(1000);
      }
      expect(ledger.size).toBe(3600);
      expect(ledger.evicted).toBe(10_000 - 3600);
      // The newest are the ones kept.
      expect([ledger.written(resource(9999)), ledger.written(resource(6400)), ledger.written(resource(6399))]).toEqual([true, true, false]);
    });

    it('without a lookback keeps everything (the constructor used by callers that bound nothing)', async () => {
      const c = clock(T0);
      const ledger = new DeadLetterLedger([id(9)], 0, { now: c.now });
      c.advance(100 * HOUR);
      expect(ledger.written(resource(9))).toBe(true);
    });
  });
});
