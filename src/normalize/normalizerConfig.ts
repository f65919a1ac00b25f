import { assertClientId } from '../domain/clientId';
import { atLeastBatch, ConfigError, Env, readInt, readString } from '../config/env';
import { TOPICS } from '../kafka/topics';
import { loadPoolConsumerSettings, loadWorkerMode } from '../tenancy/workerMode';
import { TenancyOptions } from '../tenancy/resolveClient';
import { loadTenancyOptions, loadTenancySettings } from '../tenancy/tenancyConfig';
import { workerTopics } from '../tenancy/tenantTopics';

/** Configuration of a per-client normalizer, from the environment, validated at start. */
export interface NormalizerSettings {
  /** CLIENT_ID: the only client whose records this worker takes. */
  clientId: string;
  /** INPUT_TOPIC / OUTPUT_TOPIC: DESIGN's topics by default (the client's own `{topic}.{client}` with TENANCY=routed); overridden by benchmarks and tests. */
  inputTopic: string;
  outputTopic: string;
  /** Consumer group: `{role}-{CLIENT_ID}` (CONSUMER_GROUP overrides, for benchmarks). */
  groupId: string;
  /** MAX_MESSAGE_BYTES: larger raw values go to the DLQ (default 1 MiB). */
  maxValueBytes: number;
  /** MAX_MESSAGE_CHARS: a normalized message is cut to this many characters (default 4096). */
  maxMessageChars: number;
  /** SOURCE_MAX_IN_FLIGHT: unacknowledged records at most (default 1000: enough to hide the delivery round trip, small enough to keep RSS low). */
  maxInFlight: number;
  /** SOURCE_BATCH_SIZE: records asked of the consumer per pull, one produce batch each (default 250). */
  batchSize: number;
  /** SOURCE_PREFETCH_KBYTES: what librdkafka prefetches per partition, KiB (default 256; bounds native memory). */
  prefetchKbytes: number;
  /** SOURCE_FETCH_MAX_KBYTES: the largest fetch response, KiB (librdkafka fetch.max.bytes; default 2048; bounds native memory). */
  fetchMaxKbytes: number;
  /**
   * SOURCE_FETCH_QUEUE_BACKOFF_MS: how long librdkafka waits before fetching again for a partition whose
   * prefetch queue is full (fetch.queue.backoff.ms; its default 1000 caps a small prefetch at ~27k records/s; default 10).
   */
  fetchQueueBackoffMs: number;
  /** PRODUCER_QUEUE_KBYTES: the producer's local queue bound, KiB (default 8192; bounds native memory). */
  producerQueueKbytes: number;
  /** PROGRESS_EVERY_RECORDS / PROGRESS_INTERVAL_SECONDS: a progress line every N records or T s. */
  progressEveryRecords: number;
  progressIntervalMs: number;
  /** TEMPLATE_MAX_CLUSTERS: the log template miner's cluster bound (log normalizer only). */
  templateMaxClusters: number;
  /** DEFAULT_CLIENT_ID: the client of records naming none. */
  tenancy: TenancyOptions;
}

export type NormalizerRole = 'event-normalizer' | 'log-normalizer';

export function loadNormalizerSettings(env: Env, role: NormalizerRole): NormalizerSettings {
  const clientId = assertClientId(env.CLIENT_ID, 'CLIENT_ID');
  const events = role === 'event-normalizer';
  const topics = workerTopics(clientId, loadTenancySettings(env).mode);
  return validateNormalizerSettings({
    clientId,
    inputTopic: readString(env, 'INPUT_TOPIC', events ? topics.rawEvents : topics.rawLogs),
    outputTopic: readString(env, 'OUTPUT_TOPIC', events ? topics.eventsNormalized : topics.logsNormalized),
    groupId: readString(env, 'CONSUMER_GROUP', `${role}-${clientId}`),
    ...loadNormalizerTuning(env),
    tenancy: loadTenancyOptions(env),
  });
}

/** What every normalizer reads besides its client and topics: limits, source and producer sizing, progress. */
export type NormalizerTuning = Omit<NormalizerSettings, 'clientId' | 'inputTopic' | 'outputTopic' | 'groupId' | 'tenancy'>;

export function loadNormalizerTuning(env: Env): NormalizerTuning {
  return {
    maxValueBytes: readInt(env, 'MAX_MESSAGE_BYTES', 1024 * 1024, { min: 1024 }),
    maxMessageChars: readInt(env, 'MAX_MESSAGE_CHARS', 4096, { min: 64, max: 1_000_000 }),
    maxInFlight: readInt(env, 'SOURCE_MAX_IN_FLIGHT', 1000, { min: 1, max: 1_000_000 }),
    batchSize: readInt(env, 'SOURCE_BATCH_SIZE', 250, { min: 1, max: 100_000 }),
    prefetchKbytes: readInt(env, 'SOURCE_PREFETCH_KBYTES', 256, { min: 64, max: 2_097_151 }),
    fetchMaxKbytes: readInt(env, 'SOURCE_FETCH_MAX_KBYTES', 2048, { min: 64, max: 2_097_151 }),
    fetchQueueBackoffMs: readInt(env, 'SOURCE_FETCH_QUEUE_BACKOFF_MS', 10, { min: 0, max: 300_000 }),
    producerQueueKbytes: readInt(env, 'PRODUCER_QUEUE_KBYTES', 8192, { min: 1024, max: 2_147_483_647 }),
    progressEveryRecords: readInt(env, 'PROGRESS_EVERY_RECORDS', 100_000, { min: 1 }),
    progressIntervalMs: readInt(env, 'PROGRESS_INTERVAL_SECONDS', 10, { min: 1, max: 86_400 }) * 1000,
    templateMaxClusters: readInt(env, 'TEMPLATE_MAX_CLUSTERS', 5000, { min: 10, max: 1_000_000 }),
  };
}

/** Configuration of a pooled normalizer (WORKER_MODE=pooled): one process reading every client's per-client input topics. */
export interface PooledNormalizerSettings extends NormalizerTuning {
  /** POOL_INPUT_BASE / POOL_OUTPUT_BASE: `{base}.{client}` topics read and written (default DESIGN's raw and normalized topics of the role; overridden by benchmarks and tests). */
  inputBase: string;
  outputBase: string;
  /** CONSUMER_GROUP: default `{role}-pool`. */
  groupId: string;
  /**
   * POOL_TOPIC_REFRESH_MS: how often the pool's consumer reads the topic list (librdkafka
   * topic.metadata.refresh.interval.ms), so a client registered meanwhile is read (default 5000).
   */
  topicRefreshMs: number;
  /**
   * POOL_FETCH_WAIT_MS: how long the broker holds an empty fetch (librdkafka fetch.max.wait.ms; default
   * 500). A per-client worker waits 2000 to wake less while idle; a pool pays that wake-up once for
   * every client, and a newly assigned partition (a new client) is first fetched after up to two such
   * waits: with 2000 the first record of a new client took ~5 s after its assignment, with 500 ~1 s.
   */
  fetchWaitMs: number;
}

export function loadPooledNormalizerSettings(env: Env, role: NormalizerRole): PooledNormalizerSettings {
  const tenancy = loadTenancySettings(env);
  loadWorkerMode(env, tenancy.mode);
  if (tenancy.mode !== 'routed') {
    throw new ConfigError('TENANCY', `a pooled normalizer reads per-client topics, which exist only with TENANCY=routed, got ${tenancy.mode}`, 'Set TENANCY=routed (and WORKER_MODE=pooled), or run one normalizer per client (CLIENT_ID)');
  }
  const events = role === 'event-normalizer';
  const tuning = loadNormalizerTuning(env);
  atLeastBatch('SOURCE_MAX_IN_FLIGHT', tuning.maxInFlight, 'SOURCE_BATCH_SIZE', tuning.batchSize);
  return {
    ...tuning,
    inputBase: readString(env, 'POOL_INPUT_BASE', events ? TOPICS.rawEvents.name : TOPICS.rawLogs.name),
    outputBase: readString(env, 'POOL_OUTPUT_BASE', events ? TOPICS.eventsNormalized.name : TOPICS.logsNormalized.name),
    groupId: readString(env, 'CONSUMER_GROUP', `${role}-pool`),
    ...loadPoolConsumerSettings(env),
  };
}

/** The normalizers' cross-field check: SOURCE_MAX_IN_FLIGHT holds a pull of SOURCE_BATCH_SIZE (a ConfigError naming the variable and the fix). */
export function validateNormalizerSettings(s: NormalizerSettings): NormalizerSettings {
  atLeastBatch('SOURCE_MAX_IN_FLIGHT', s.maxInFlight, 'SOURCE_BATCH_SIZE', s.batchSize);
  return s;
}
