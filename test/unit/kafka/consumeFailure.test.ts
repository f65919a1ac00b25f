import Kafka from 'node-rdkafka';
import { lastValueFrom } from 'rxjs';
import { KafkaSource, sourceProblems } from '../../../src/kafka/kafkaSource';
import { componentLogger } from '../../../src/log/logger';
import { registry } from '../../../src/metrics/metrics';

/**
 * A consumer whose every pull fails as librdkafka fails on a batch it cannot decode (a zstd
 * record read by a build without zstd: "Local: Not implemented"). Only the pieces KafkaSource
 * touches; the real path is in test/int/zstd.int.test.ts.
 */
class UndecodableSource extends KafkaSource {
  pulls = 0;
  protected override createConsumer(): Kafka.KafkaConsumer {
    const fake = {
      on: () => fake,
      connect: (_opts: unknown, cb: (err: Error | null) => void) => setImmediate(() => cb(null)),
      setDefaultConsumeTimeout: () => undefined,
      subscribe: () => undefined,
      consume: (_n: number, cb: (err: unknown, msgs: unknown[]) => void) => {
        this.pulls++;
        setImmediate(() => cb(Object.assign(new Error('Local: Not implemented'), { code: Kafka.CODES.ERRORS.ERR__NOT_IMPLEMENTED }), []));
      },
      position: () => [{ topic: 'state.k8s.resource', partition: 2, offset: 4711 }],
      isConnected: () => false,
      offsetsStore: () => undefined,
    };
    return fake as unknown as Kafka.KafkaConsumer;
  }
}

describe('KafkaSource on a batch it cannot decode', () => {
  it('fails loudly after maxConsumeFailures pulls: a metric, an unhealthy source meanwhile, then an error saying where and the way past', async () => {
    const group = `undecodable-${Date.now()}`;
    const source = new UndecodableSource({ connection: { brokers: '127.0.0.1:1', clientId: 't', maxMessageBytes: 1 << 20 }, groupId: group, topics: ['state.k8s.resource'], maxConsumeFailures: 4 }, componentLogger('consume-failure-test'));
    let problemsWhileFailing: string[] = [];
    const probe = setInterval(() => {
      if (source.pulls >= 3 && problemsWhileFailing.length === 0) problemsWhileFailing = sourceProblems();
    }, 20);
    try {
      await expect(lastValueFrom(source.records$)).rejects.toThrow(
        new RegExp(`kafka consumer ${group}: 4 pulls failed in a row \\(Local: Not implemented\\) at state.k8s.resource/2@4711; "Not implemented" is a compression codec this librdkafka lacks .*npm rebuild node-rdkafka; or move the group past the batch \\(kafka-consumer-groups.sh --reset-offsets`),
      );
    } finally {
      clearInterval(probe);
    }
    expect(source.pulls).toBe(4);
    expect(problemsWhileFailing).toEqual([`consumer ${group}: 3 pulls failed in a row (Local: Not implemented)`]);
    const metrics = await registry.getSingleMetricAsString('kgroot_consume_failures_total');
    expect(metrics).toContain(`kgroot_consume_failures_total{group="${group}",code="-170"} 4`);
    await source.closed;
    expect(sourceProblems()).toEqual([]);
  });
});
