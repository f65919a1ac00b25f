import Kafka from 'node-rdkafka';
import { Logger } from '../log/logger';
import { KafkaConnection, librdkafkaBase } from './kafkaConfig';
import { ALL_TOPICS, TopicSpec, topicConfig } from './topics';

const TOPIC_ALREADY_EXISTS = 36;

function createTopic(admin: Kafka.IAdminClient, spec: TopicSpec, partitions: number): Promise<'created' | 'exists'> {
  return new Promise((resolve, reject) =>
    admin.createTopic(
      { topic: spec.name, num_partitions: partitions, replication_factor: -1, config: topicConfig(spec) },
      30_000,
      (err) => {
        if (!err) resolve('created');
        else if (err.code === TOPIC_ALREADY_EXISTS) resolve('exists');
        else reject(new Error(`creating topic ${spec.name} failed: ${err.message}`));
      },
    ),
  );
}

/**
 * Creates the given topics (all of DESIGN.md's by default) if missing; existing ones are left
 * as they are. `partitionsOverride` replaces every spec's partition count (TOPIC_PARTITIONS).
 */
export async function ensureTopics(
  connection: KafkaConnection,
  log: Logger,
  specs: readonly TopicSpec[] = ALL_TOPICS,
  partitionsOverride?: number,
): Promise<Record<string, 'created' | 'exists'>> {
  const admin = Kafka.AdminClient.create({ ...librdkafkaBase(connection) } as never);
  try {
    const result: Record<string, 'created' | 'exists'> = {};
    for (const spec of specs) result[spec.name] = await createTopic(admin, spec, partitionsOverride ?? spec.partitions);
    const created = Object.keys(result).filter((t) => result[t] === 'created');
    log.info({ created, existing: Object.keys(result).length - created.length }, 'topics ensured');
    return result;
  } finally {
    admin.disconnect();
  }
}

/** Deletes a topic (tests and benchmarks use their own uniquely named topics). */
export async function deleteTopic(connection: KafkaConnection, name: string): Promise<void> {
  const admin = Kafka.AdminClient.create({ ...librdkafkaBase(connection) } as never);
  try {
    await new Promise<void>((resolve, reject) => admin.deleteTopic(name, 30_000, (err) => (err ? reject(err) : resolve())));
  } finally {
    admin.disconnect();
  }
}

/** Asks the broker for its metadata; resolves with the topic names it knows. */
export function fetchMetadata(brokers: string, timeoutMs: number): Promise<string[]> {
  const producer = new Kafka.Producer({ 'metadata.broker.list': brokers, 'client.id': 'kgroot-metadata', 'socket.timeout.ms': timeoutMs });
  // A failed connect emits 'connection.failure' too; without a listener node-rdkafka would throw.
  producer.on('connection.failure', () => undefined);
  return new Promise<string[]>((resolve, reject) => {
    producer.connect({ timeout: timeoutMs }, (err) => {
      if (err) {
        reject(new Error(err.message));
        return;
      }
      producer.getMetadata({ timeout: timeoutMs }, (e, md) => {
        producer.disconnect();
        if (e) reject(new Error(e.message));
        else resolve(md.topics.map((t) => t.name));
      });
    });
  });
}
