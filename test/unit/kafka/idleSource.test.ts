import Kafka from 'node-rdkafka';
import { Subscription } from 'rxjs';
import { KafkaSource } from '../../../src/kafka/kafkaSource';
import { SourceRecord } from '../../../src/kafka/record';
import { componentLogger } from '../../../src/log/logger';

/**
 * A consumer with one batch of two records on raw.k8s.events.acme/0 at offsets 0 and 1, then
 * nothing: each later pull waits out its timeout (on the fake clock) and returns no record, as
 * librdkafka does on an idle topic. Only the pieces KafkaSource touches.
 */
class OneBatchSource extends KafkaSource {
  readonly timeouts: number[] = [];
  readonly asks: number[] = [];
  readonly stored: Array<Array<{ topic: string; partition: number; offset: number }>> = [];
  private timeout = 100;
  private served = false;
  protected override createConsumer(): Kafka.KafkaConsumer {
    const fake = {
      on: () => fake,
      connect: (_opts: unknown, cb: (err: Error | null) => void) => setImmediate(() => cb(null)),
      setDefaultConsumeTimeout: (ms: number) => {
        this.timeout = ms;
        this.timeouts.push(ms);
      },
      subscribe: () => undefined,
      consume: (n: number, cb: (err: unknown, msgs: Kafka.Message[]) => void) => {
        this.asks.push(n);
        if (!this.served) {
          this.served = true;
          const at = (offset: number): Kafka.Message => ({ topic: 'raw.k8s.events.acme', partition: 0, offset, key: Buffer.from(`acme::event::e${offset}`), value: Buffer.from('{}'), size: 2, timestamp: 1764583200000 + offset });
          setImmediate(() => cb(null, [at(0), at(1)]));
          return;
        }
        setTimeout(() => cb(null, []), this.timeout);
      },
      offsetsStore: (list: Array<{ topic: string; partition: number; offset: number }>) => this.stored.push(list),
      isConnected: () => false,
    };
    return fake as unknown as Kafka.KafkaConsumer;
  }
}

describe('KafkaSource while nothing arrives (fake clock)', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('stores the acked offsets, then keeps no timer but the pull under way, whose wait grows to 3 s and which asks for one record', async () => {
    const source = new OneBatchSource({ connection: { brokers: '127.0.0.1:1', clientId: 't', maxMessageBytes: 1 << 20 }, groupId: `idle-${Date.now()}`, topics: ['raw.k8s.events.acme'] }, componentLogger('idle-source-test'));
    const got: SourceRecord[] = [];
    let sub: Subscription | undefined;
    try {
      sub = source.records$.subscribe((r) => got.push(r));
      for (let i = 0; i < 10 && got.length < 2; i++) await new Promise((r) => setImmediate(r));
      expect(got.map((r) => r.offset)).toEqual([0, 1]);
      got.forEach((r) => r.ack());
      // The acked offsets reach librdkafka's store within 100 ms although the pull under way waits longer.
      await jest.advanceTimersByTimeAsync(100);
      expect(source.stored).toEqual([[{ topic: 'raw.k8s.events.acme', partition: 0, offset: 2 }]]);
      // A minute of idleness: nothing more is stored, and the only timer left is the pull under way.
      await jest.advanceTimersByTimeAsync(60_000);
      expect(source.stored).toHaveLength(1);
      expect(jest.getTimerCount()).toBe(1);
      // The wait doubles from 100 ms while nothing arrives and stops at 3000 ms.
      // (Set once at connect, then before each pull: the first pull and the one after the batch wait 100 ms.)
      const waits = source.timeouts.slice(3);
      expect(waits.slice(0, 6)).toEqual([200, 400, 800, 1600, 3000, 3000]);
      expect(Math.max(...waits)).toBe(3000);
      // After an empty pull the source asks for one record, so the first to arrive is handed out at
      // once instead of when librdkafka next sees the partition drained (up to fetch.wait.max.ms).
      expect(source.asks.slice(0, 2)).toEqual([500, 16]);
      expect(new Set(source.asks.slice(2))).toEqual(new Set([1]));
    } finally {
      sub?.unsubscribe();
    }
  });
});
