import Kafka from 'node-rdkafka';
import { Logger } from '../log/logger';
import { KafkaConnection, librdkafkaBase } from './kafkaConfig';

/** Where a start-up replay of a compacted topic ends, and where the previous run had got to. */
export interface ReplayBounds {
  /** Per partition, the end offset seen at start: what lies below it is the replay. */
  replayEnd: Record<number, number>;
  /** Per partition, the group's committed offset before the rewind (records below it were handled by the previous run). */
  processedBefore: Record<number, number>;
}

/**
 * Rewinds `groupId` on `topic` to the earliest offsets (the control plane rebuilds its state from
 * the whole registry at every start) and returns the end offsets seen now and the offsets the
 * previous run had committed.
 */
export async function rewindForReplay(connection: KafkaConnection, groupId: string, topic: string, log: Logger): Promise<ReplayBounds> {
  const consumer = new Kafka.KafkaConsumer({ ...librdkafkaBase(connection), 'group.id': groupId, 'enable.auto.commit': false }, {});
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const md = await new Promise<Kafka.Metadata>((resolve, reject) => consumer.getMetadata({ topic, timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))));
    const partitions = md.topics.find((t) => t.name === topic)?.partitions.map((p) => p.id) ?? [];
    const end: Record<number, number> = {};
    const rewind: Kafka.TopicPartitionOffset[] = [];
    // Where the previous run had got to: invalid records below it were dead-lettered by that run.
    const processedBefore: Record<number, number> = {};
    const committed = await new Promise<Kafka.TopicPartitionOffset[]>((resolve) =>
      consumer.committed(partitions.map((partition) => ({ topic, partition })), 10_000, (err, tps) => {
        if (err) log.warn({ group: groupId, err: err.message }, 'could not read the registry group offsets; invalid records of the replay are dead-lettered again');
        resolve(err ? [] : tps);
      }),
    );
    for (const tp of committed) if (typeof tp.offset === 'number' && tp.offset > 0) processedBefore[tp.partition] = tp.offset;
    for (const p of partitions) {
      const w = await new Promise<Kafka.WatermarkOffsets>((resolve, reject) =>
        consumer.queryWatermarkOffsets(topic, p, 10_000, (err, o) => (err ? reject(err) : resolve(o))),
      );
      if (w.highOffset > w.lowOffset) end[p] = w.highOffset;
      rewind.push({ topic, partition: p, offset: w.lowOffset });
    }
    // A control plane killed with -9 is still a member of the group until its session times out:
    // the broker refuses a commit from outside the group ("Unknown member") meanwhile. Without the
    // rewind the replay would start past every registration, and no live client would get its
    // workers back; so retry until the dead member is gone (the session timeout is 10 s).
    for (let attempt = 1; rewind.length > 0; attempt++) {
      try {
        consumer.commitSync(rewind);
        break;
      } catch (err) {
        if (attempt >= 45) {
          log.warn({ group: groupId, err: (err as Error).message, attempts: attempt }, 'could not rewind the registry group; the replay starts at its committed offsets');
          break;
        }
        if (attempt === 1) log.info({ group: groupId, err: (err as Error).message }, 'registry group still held by a previous member; retrying the rewind');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    log.info({ group: groupId, replayEnd: end, processedBefore }, 'registry rewound for the start-up replay');
    return { replayEnd: end, processedBefore };
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
