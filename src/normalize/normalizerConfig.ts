import { assertClientId } from '../domain/clientId';
import { Env, readInt, readString } from '../config/env';
import { TOPICS } from '../kafka/topics';

/** Configuration of a per-client normalizer, from the environment, validated at start. */
export interface NormalizerSettings {
  /** CLIENT_ID: the only client whose records this worker takes. */
  clientId: string;
  /** INPUT_TOPIC / OUTPUT_TOPIC: DESIGN's topics by default; overridden by benchmarks and tests. */
  inputTopic: string;
  outputTopic: string;
  /** Consumer group: `{role}-{CLIENT_ID}` (CONSUMER_GROUP overrides, for benchmarks). */
  groupId: string;
  /** MAX_MESSAGE_BYTES: larger raw values go to the DLQ (default 1 MiB). */
  maxValueBytes: number;
  /** MAX_MESSAGE_CHARS: a normalized message is cut to this many characters (default 4096). */
  maxMessageChars: number;
  /** SOURCE_MAX_IN_FLIGHT: unacknowledged records at most (default 5000). */
  maxInFlight: number;
  /** PROGRESS_EVERY_RECORDS / PROGRESS_INTERVAL_SECONDS: a progress line every N records or T s. */
  progressEveryRecords: number;
  progressIntervalMs: number;
  /** TEMPLATE_MAX_CLUSTERS: the log template miner's cluster bound (log normalizer only). */
  templateMaxClusters: number;
}

export type NormalizerRole = 'event-normalizer' | 'log-normalizer';

export function loadNormalizerSettings(env: Env, role: NormalizerRole): NormalizerSettings {
  const clientId = assertClientId(env.CLIENT_ID, 'CLIENT_ID');
  const events = role === 'event-normalizer';
  return {
    clientId,
    inputTopic: readString(env, 'INPUT_TOPIC', events ? TOPICS.rawEvents.name : TOPICS.rawLogs.name),
    outputTopic: readString(env, 'OUTPUT_TOPIC', events ? TOPICS.eventsNormalized.name : TOPICS.logsNormalized.name),
    groupId: readString(env, 'CONSUMER_GROUP', `${role}-${clientId}`),
    maxValueBytes: readInt(env, 'MAX_MESSAGE_BYTES', 1024 * 1024, { min: 1024 }),
    maxMessageChars: readInt(env, 'MAX_MESSAGE_CHARS', 4096, { min: 64, max: 1_000_000 }),
    maxInFlight: readInt(env, 'SOURCE_MAX_IN_FLIGHT', 5000, { min: 1, max: 1_000_000 }),
    progressEveryRecords: readInt(env, 'PROGRESS_EVERY_RECORDS', 100_000, { min: 1 }),
    progressIntervalMs: readInt(env, 'PROGRESS_INTERVAL_SECONDS', 10, { min: 1, max: 86_400 }) * 1000,
    templateMaxClusters: readInt(env, 'TEMPLATE_MAX_CLUSTERS', 5000, { min: 10, max: 1_000_000 }),
  };
}
