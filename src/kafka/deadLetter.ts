import Kafka from 'node-rdkafka';
import { Logger } from '../log/logger';
import { KafkaConnection, librdkafkaBase } from './kafkaConfig';
import { Delivered, KafkaRecord, OutRecord } from './record';
import { TOPICS } from './topics';
import { clipText } from '../domain/text';

/** Headers every dead-letter record carries, so the reason and the origin travel with the bytes. */
export const DLQ_HEADERS = {
  sourceTopic: 'kg.source.topic',
  sourcePartition: 'kg.source.partition',
  sourceOffset: 'kg.source.offset',
  /** The source record's own timestamp: with topic, partition and offset it names the record even across a topic re-created at offset 0. */
  sourceTimestamp: 'kg.source.timestamp',
  component: 'kg.component',
  error: 'kg.error',
  failedAt: 'kg.failed.at',
} as const;

export type DlqTopic = typeof TOPICS.dlqRaw.name | typeof TOPICS.dlqNormalized.name;

export const DLQ_TOPICS: readonly DlqTopic[] = [TOPICS.dlqRaw.name, TOPICS.dlqNormalized.name];

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
      [DLQ_HEADERS.sourceTimestamp]: String(record.timestamp),
      [DLQ_HEADERS.component]: component,
      [DLQ_HEADERS.error]: clipText(reason, 1000),
      [DLQ_HEADERS.failedAt]: new Date().toISOString(),
    },
  };
}

/**
 * The identity of a dead letter: which component gave up on which source record
 * (`component|topic|partition|offset|timestamp`), from its headers; undefined for a record without
 * them (not written by {@link deadLetter}). A replay of the same source record has the same one.
 *
 * @example deadLetterIdentity('dlq.raw', { 'kg.component': 'router', 'kg.source.topic': 'raw.k8s.events', 'kg.source.partition': '2', 'kg.source.offset': '41', 'kg.source.timestamp': '1764583200000' })
 *   // 'dlq.raw|router|raw.k8s.events|2|41|1764583200000'
 */
export function deadLetterIdentity(topic: string, headers: Readonly<Record<string, string | Buffer>> | undefined): string | undefined {
  if (!headers) return undefined;
  const h = (name: string): string | undefined => {
    const v = headers[name];
    return v === undefined ? undefined : String(v);
  };
  const parts = [h(DLQ_HEADERS.component), h(DLQ_HEADERS.sourceTopic), h(DLQ_HEADERS.sourcePartition), h(DLQ_HEADERS.sourceOffset)];
  if (parts.some((p) => p === undefined || p === '')) return undefined;
  // Dead letters written before the timestamp header existed are named without it.
  return [topic, ...parts, h(DLQ_HEADERS.sourceTimestamp) ?? ''].join('|');
}

/** A dead letter the ledger knows, with when it was written (ms since the epoch). */
export interface KnownDeadLetter {
  id: string;
  at: number;
}

export interface DeadLetterLedgerOptions {
  /**
   * How long a dead letter is remembered after it was written, ms: the same window a restart reads
   * back from the DLQ topics (DLQ_REPLAY_LOOKBACK_SECONDS). Older ones are forgotten, so a
   * long-running worker holds only the dead letters of the last lookback. Infinity (the default) keeps all.
   */
  lookbackMs?: number;
  /** The clock, ms since the epoch (Date.now). */
  now?: () => number;
}

/**
 * The dead letters already in the DLQ topics (read back at start) and those this process wrote
 * since: a dead letter whose identity is here (or on its way to the broker) is not written again,
 * so a replay of offsets that were processed but not committed (a `kill -9` between the sink write
 * and the offset commit) adds no second copy. Only dead letters are tracked; other records pass.
 *
 * Bounded by time: a dead letter is forgotten once it is older than `lookbackMs`, measured from when
 * it was written (the DLQ record's timestamp for those read back at start, the acknowledgement for
 * those written since) — the same window a restart would read back, so a process that ran for days
 * guards exactly what a fresh one would, and holds only the dead letters of one lookback. Entries are
 * kept in the order they were written; eviction drops the oldest first, O(1) each, on every write
 * or lookup (no timer: an idle worker does nothing).
 *
 * @example
 *   const ledger = new DeadLetterLedger(['dlq.raw|router|raw.k8s.events|2|41|1764583200000']);
 *   ledger.write(deadLetterOfOffset41, () => sink.produce(...)) // resolves at once, nothing produced
 */
export class DeadLetterLedger {
  /** Identity → when written; insertion order = write order (times never decrease along it). */
  private readonly ids = new Map<string, number>();
  private readonly pending = new Map<string, Promise<Delivered>>();
  private readonly lookbackMs: number;
  private readonly now: () => number;
  /** The latest time held: a later entry is never stamped earlier, so the oldest is always first. */
  private last = -Infinity;
  /** Dead letters not written because they were already there (or under way). */
  skipped = 0;
  /** Dead letters forgotten because they were older than the lookback. */
  evicted = 0;

  /** `known`: identities (written now, as far as eviction is concerned) or identities with their write time. */
  constructor(known: Iterable<string | KnownDeadLetter> = [], readonly since = 0, options: DeadLetterLedgerOptions = {}) {
    this.lookbackMs = options.lookbackMs ?? Infinity;
    this.now = options.now ?? Date.now;
    const at = this.now();
    const entries = [...known].map((k) => (typeof k === 'string' ? { id: k, at } : k));
    // Read back partition by partition: oldest first, so eviction can stop at the first one kept.
    entries.sort((a, b) => a.at - b.at);
    for (const e of entries) this.remember(e.id, e.at);
    this.evict();
  }

  /** Whether `record` is a dead letter already in the DLQ. */
  written(record: OutRecord): boolean {
    const id = isDlqTopic(record.topic) ? deadLetterIdentity(record.topic, record.headers) : undefined;
    if (id === undefined) return false;
    this.evict();
    return this.has(id);
  }

  /** Held as is, or as written before dead letters carried kg.source.timestamp (its identity ends in `|`). */
  private has(id: string): boolean {
    return this.ids.has(id) || this.ids.has(id.slice(0, id.lastIndexOf('|') + 1));
  }

  private remember(id: string, at: number): void {
    this.last = Math.max(this.last, at);
    // Re-inserted at the end with the latest time: a Map keeps the first insertion's place otherwise.
    this.ids.delete(id);
    this.ids.set(id, this.last);
  }

  /** Forgets the dead letters written before now − lookback, oldest first. */
  private evict(): void {
    if (!Number.isFinite(this.lookbackMs)) return;
    const cutoff = this.now() - this.lookbackMs;
    for (const [id, at] of this.ids) {
      if (at >= cutoff) break;
      this.ids.delete(id);
      this.evicted++;
    }
  }

  /**
   * Writes `record` with `send` unless it is a dead letter already written or being written: then it
   * resolves (once the copy under way is acknowledged) with partition and offset -1, nothing sent.
   * A dead letter is remembered once the broker acknowledged it; a failed send forgets it (a retry writes it).
   */
  write(record: OutRecord, send: () => Promise<Delivered>): Promise<Delivered> {
    const id = isDlqTopic(record.topic) ? deadLetterIdentity(record.topic, record.headers) : undefined;
    if (id === undefined) return send();
    this.evict();
    const skipped: Delivered = { topic: record.topic, partition: -1, offset: -1 };
    if (this.has(id)) {
      this.skipped++;
      return Promise.resolve(skipped);
    }
    const under = this.pending.get(id);
    if (under) {
      this.skipped++;
      return under.then(() => skipped);
    }
    const p = send();
    this.pending.set(id, p);
    p.then(
      () => {
        this.remember(id, this.now());
        this.pending.delete(id);
      },
      () => this.pending.delete(id),
    );
    return p;
  }

  /** Dead letters held (after forgetting those older than the lookback). */
  get size(): number {
    this.evict();
    return this.ids.size;
  }
}

export function isDlqTopic(topic: string): topic is DlqTopic {
  return topic === TOPICS.dlqRaw.name || topic === TOPICS.dlqNormalized.name;
}

/** The broker's record headers (a list of one-key objects) as a flat record, the last value of a key winning. */
function flatHeaders(headers: Kafka.MessageHeader[] | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const h of headers ?? []) for (const k of Object.keys(h)) out[k] = Buffer.isBuffer(h[k]) ? (h[k] as Buffer) : Buffer.from(String(h[k]));
  return out;
}

/** A dead letter as read back from a DLQ topic. */
export interface StoredDeadLetter {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  headers: Record<string, Buffer>;
  /** The DLQ record's own timestamp (when it was written), ms; undefined when the broker gave none. */
  timestamp?: number;
}

/**
 * Calls `visit` for every record of the DLQ topics written since `sinceMs` (from the offset of that
 * time to the end each partition had when the scan began; no consumer group, nothing committed).
 * Fails after `timeoutMs`.
 */
export async function scanDeadLetters(connection: KafkaConnection, sinceMs: number, visit: (d: StoredDeadLetter) => void, timeoutMs = 60_000): Promise<{ partitions: number }> {
  const consumer = new Kafka.KafkaConsumer(
    {
      ...librdkafkaBase({ ...connection, clientId: `${connection.clientId}-dlq-scan` }),
      // Required by librdkafka for a consumer; nothing joins or commits: partitions are assigned by hand.
      'group.id': `${connection.clientId}-dlq-scan`,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'enable.partition.eof': true,
      'fetch.wait.max.ms': 100,
    },
    {},
  );
  const call = <T>(f: (cb: (err: Kafka.LibrdKafkaError | null | undefined, v: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => f((err, v) => (err ? reject(new Error(err.message)) : resolve(v))));
  try {
    await call<unknown>((cb) => consumer.connect({ timeout: timeoutMs }, (err, v) => cb(err, v)));
    consumer.setDefaultConsumeTimeout(200);
    const meta = await call<Kafka.Metadata>((cb) => consumer.getMetadata({ timeout: timeoutMs }, (err, v) => cb(err, v)));
    const ends = new Map<string, number>();
    const assignment: Kafka.Assignment[] = [];
    for (const topic of DLQ_TOPICS) {
      const t = meta.topics.find((x) => x.name === topic);
      for (const p of t?.partitions ?? []) {
        const wm = await call<Kafka.WatermarkOffsets>((cb) => consumer.queryWatermarkOffsets(topic, p.id, timeoutMs, (err, v) => cb(err, v)));
        if (wm.highOffset <= wm.lowOffset) continue;
        const [at] = await call<Kafka.TopicPartitionOffset[]>((cb) => consumer.offsetsForTimes([{ topic, partition: p.id, offset: sinceMs }], timeoutMs, (err, v) => cb(err, v)));
        // -1: no record at or after `sinceMs`.
        if (at.offset < 0 || at.offset >= wm.highOffset) continue;
        ends.set(`${topic}/${p.id}`, wm.highOffset);
        assignment.push({ topic, partition: p.id, offset: at.offset });
      }
    }
    if (assignment.length === 0) return { partitions: 0 };
    const left = new Set(ends.keys());
    consumer.on('partition.eof', (e: { topic: string; partition: number }) => left.delete(`${e.topic}/${e.partition}`));
    consumer.assign(assignment);
    const deadline = Date.now() + timeoutMs;
    while (left.size > 0) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms with ${[...left].join(', ')} unread`);
      const msgs = await call<Kafka.Message[]>((cb) => consumer.consume(1000, (err, v) => cb(err, v)));
      for (const m of msgs) {
        const tp = `${m.topic}/${m.partition}`;
        const end = ends.get(tp) ?? 0;
        if (m.offset < end) visit({ topic: m.topic, partition: m.partition, offset: m.offset, key: m.key === undefined || m.key === null ? null : Buffer.from(m.key), headers: flatHeaders(m.headers), timestamp: m.timestamp !== undefined && m.timestamp >= 0 ? m.timestamp : undefined });
        if (m.offset + 1 >= end) left.delete(tp);
      }
    }
    return { partitions: assignment.length };
  } finally {
    await new Promise<void>((resolve) => (consumer.isConnected() ? consumer.disconnect(() => resolve()) : resolve()));
  }
}

/**
 * The identities of the dead letters written to the DLQ topics during the last `lookbackMs`
 * ({@link scanDeadLetters}) as a {@link DeadLetterLedger}. A replay re-sends what the previous run
 * did after its last commit, normally seconds before; the lookback (an hour by default) covers
 * commits that lagged far longer. A DLQ that cannot be read is an error: writing dead letters blind
 * would duplicate them.
 */
export async function loadDeadLetterLedger(connection: KafkaConnection, lookbackMs: number, log: Logger, timeoutMs = 60_000): Promise<DeadLetterLedger> {
  const since = Date.now() - lookbackMs;
  if (lookbackMs <= 0) return new DeadLetterLedger([], Date.now());
  const started = Date.now();
  const known: KnownDeadLetter[] = [];
  try {
    const { partitions } = await scanDeadLetters(connection, since, (d) => {
      const id = deadLetterIdentity(d.topic, d.headers);
      // No broker timestamp: treated as written now (kept a whole lookback, never forgotten early).
      if (id !== undefined) known.push({ id, at: d.timestamp ?? started });
    }, timeoutMs);
    const ledger = new DeadLetterLedger(known, since, { lookbackMs });
    log.info({ deadLetters: ledger.size, partitions, lookbackMs, ms: Date.now() - started }, 'dead-letter ledger read');
    return ledger;
  } catch (err) {
    throw new Error(`could not read the dead letters of the last ${Math.round(lookbackMs / 1000)} s from ${DLQ_TOPICS.join(', ')} (${(err as Error).message}); check KAFKA_BROKERS and that this principal may read them, or set DLQ_REPLAY_LOOKBACK_SECONDS=0 to write dead letters without the replay check`);
  }
}
