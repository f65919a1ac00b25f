import Kafka from 'node-rdkafka';
import { lastValueFrom, take, toArray, timeout } from 'rxjs';
import { KafkaConnection, librdkafkaBase, loadKafkaConnection } from '../../src/kafka/kafkaConfig';
import { KafkaSource } from '../../src/kafka/kafkaSource';
import { KafkaRecord } from '../../src/kafka/record';
import { componentLogger } from '../../src/log/logger';

/** Test helpers on the real broker: unique topics and reading a topic back. */
export const testConnection: KafkaConnection = loadKafkaConnection(process.env, 'kgroot-test');

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export async function createTestTopic(name: string, partitions: number): Promise<void> {
  const admin = Kafka.AdminClient.create(librdkafkaBase(testConnection) as never);
  try {
    await new Promise<void>((resolve, reject) =>
      admin.createTopic({ topic: name, num_partitions: partitions, replication_factor: 1 }, 30_000, (err) => (err ? reject(err) : resolve())),
    );
  } finally {
    admin.disconnect();
  }
}

/** Reads `count` records of a topic from the beginning with a fresh group (fails after `timeoutMs` of silence). */
export async function readTopic(topic: string, count: number, timeoutMs = 30_000): Promise<KafkaRecord[]> {
  const source = new KafkaSource(
    { connection: testConnection, groupId: uniqueName('reader'), topics: [topic], maxInFlight: 10_000 },
    componentLogger('test-reader'),
  );
  const records = await lastValueFrom(source.records$.pipe(timeout({ each: timeoutMs }), take(count), toArray()));
  for (const r of records) (r as unknown as { ack(): void }).ack();
  await source.closed;
  return records;
}

/** Reads everything that arrives until `quietMs` pass without a record. */
export async function drainTopic(topic: string, quietMs = 3000, firstWaitMs = 30_000): Promise<KafkaRecord[]> {
  const source = new KafkaSource(
    { connection: testConnection, groupId: uniqueName('drain'), topics: [topic], maxInFlight: 10_000 },
    componentLogger('test-reader'),
  );
  const out: KafkaRecord[] = [];
  await new Promise<void>((resolve, reject) => {
    let timer = setTimeout(() => sub.unsubscribe(), firstWaitMs);
    const sub = source.records$.subscribe({
      next: (r) => {
        r.ack();
        out.push(r);
        clearTimeout(timer);
        timer = setTimeout(() => {
          sub.unsubscribe();
          resolve();
        }, quietMs);
      },
      error: reject,
    });
    void source.closed.then(() => resolve());
  });
  await source.closed;
  return out;
}
