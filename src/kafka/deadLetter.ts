import { KafkaRecord, OutRecord } from './record';
import { TOPICS } from './topics';
import { clipText } from '../domain/text';

/** Headers every dead-letter record carries, so the reason and the origin travel with the bytes. */
export const DLQ_HEADERS = {
  sourceTopic: 'kg.source.topic',
  sourcePartition: 'kg.source.partition',
  sourceOffset: 'kg.source.offset',
  component: 'kg.component',
  error: 'kg.error',
  failedAt: 'kg.failed.at',
} as const;

export type DlqTopic = typeof TOPICS.dlqRaw.name | typeof TOPICS.dlqNormalized.name;

/**
 * The dead-letter record for `record`: original key and bytes unchanged, and headers saying where
 * it came from, which component gave up on it and why.
 *
 * @example deadLetter(rec, 'event-normalizer', 'invalid JSON: Unexpected token } at 14')
 */
export function deadLetter(record: KafkaRecord, component: string, reason: string, topic: DlqTopic = TOPICS.dlqRaw.name): OutRecord {
  return {
    topic,
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [DLQ_HEADERS.sourceTopic]: record.topic,
      [DLQ_HEADERS.sourcePartition]: String(record.partition),
      [DLQ_HEADERS.sourceOffset]: String(record.offset),
      [DLQ_HEADERS.component]: component,
      [DLQ_HEADERS.error]: clipText(reason, 1000),
      [DLQ_HEADERS.failedAt]: new Date().toISOString(),
    },
  };
}
