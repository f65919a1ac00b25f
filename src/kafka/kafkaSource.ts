import Kafka from 'node-rdkafka';
import { Observable } from 'rxjs';
import { Logger } from '../log/logger';
import { DEFAULT_CONSUME_MAX_FAILURES, KafkaConnection, librdkafkaBase } from './kafkaConfig';
import { OffsetTracker } from './offsetTracker';
import { KafkaRecord, SourceRecord } from './record';
import { Gauge } from 'prom-client';
import { consumeFailuresTotal, inFlight, recordsTotal, registry } from '../metrics/metrics';
import { checkAtLeast, checkNonEmpty } from '../config/options';
import type { Service } from '../domain/service';

/** Configuration of one consumer. */
export interface KafkaSourceConfig {
  connection: KafkaConnection;
  groupId: string;
  topics: string[];
  /** Most records handed out and not yet acknowledged; the source stops pulling at this bound. */
  maxInFlight?: number;
  /** Most records asked of librdkafka in one `consume(n)` call. */
  batchSize?: number;
  /** Where a group without committed offsets starts: 'earliest' (default) or 'latest'. */
  fromBeginning?: boolean;
  /** Consumed-offset commits happen in the background at this interval, ms (plus on revoke and close). */
  commitIntervalMs?: number;
  /** 'cooperative-sticky' (default) or 'range,roundrobin' (eager). */
  assignmentStrategy?: string;
  /** How long one `consume(n)` waits for a missing record, ms (100). */
  consumeTimeoutMs?: number;
  /**
   * While nothing arrives, the wait doubles up to this, ms (3000), so an idle worker wakes once in
   * three seconds instead of ten times a second; the first record still ends the wait at once (a
   * drained partition ends the batch: enable.partition.eof), so latency does not grow. A stop waits
   * for the pull under way, so shutdown may take up to this much longer.
   */
  idleConsumeTimeoutMs?: number;
  /** Upper bound on what librdkafka prefetches, per partition, in KiB (keeps native memory bounded). */
  prefetchKbytes?: number;
  /** After stop(), how long the records already handed out may take to be acknowledged, ms. */
  drainTimeoutMs?: number;
  /** Component and client named in metrics (kgroot_records_total, kgroot_in_flight_records, kgroot_consumer_lag). */
  metrics?: { component: string; client?: string };
  /** Consecutive failed pulls after which `records$` errors (default: the connection's, else 120). */
  maxConsumeFailures?: number;
  /** Extra librdkafka settings. */
  extra?: Record<string, string | number | boolean>;
}

export interface KafkaSourceStats {
  /** Records handed out and not yet acknowledged. */
  inFlight: number;
  /** Highest inFlight ever observed; never above maxInFlight. */
  maxInFlightSeen: number;
  consumed: number;
  acked: number;
  /** Offsets handed to librdkafka's offset store (committed by it), per "topic/partition". */
  stored: Record<string, number>;
  assignment: string[];
}

/**
 * A Kafka consumer group as an Observable of records, pulled with `consume(n)` only while fewer
 * than `maxInFlight` records are unacknowledged. A record's offset is stored only once it and
 * every earlier record of its partition are acknowledged; librdkafka commits stored offsets in
 * the background, on revoke and on close. `stop()` ends intake gracefully: `records$` completes,
 * and once the pipeline has drained, its teardown commits and disconnects (`closed` resolves).
 *
 * @example
 *   const src = new KafkaSource({ connection, groupId: 'g', topics: ['t'] }, log);
 *   src.records$.pipe(mergeMap((r) => work(r).pipe(tap(() => r.ack())), 64)).subscribe();
 */
export class KafkaSource implements Service {
  /** One record per emission. */
  readonly records$: Observable<SourceRecord>;
  /** The same records, one array per pull: cheaper per record for pipelines that work in batches. Subscribe to one of the two. */
  readonly batches$: Observable<SourceRecord[]>;
  /** Resolves when the consumer has committed and disconnected after the last subscriber left. */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private stopping = false;
  private completed = false;
  private drained: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private readonly trackers = new Map<string, { tracker: OffsetTracker; generation: number }>();
  private generation = 0;
  /** Consecutive failed pulls and the last error; undefined while pulls succeed. */
  private failing: { count: number; error: string } | undefined;
  private readonly dirty = new Set<string>();
  private consumer: Kafka.KafkaConsumer | undefined;
  private readonly s: KafkaSourceStats = { inFlight: 0, maxInFlightSeen: 0, consumed: 0, acked: 0, stored: {}, assignment: [] };
  private readonly maxInFlight: number;
  private readonly batchSize: number;
  /** A full window refills only once this many records are acknowledged, so pulls stay batched. */
  private readonly resumeRoom: number;
  private readonly inCounter: ReturnType<typeof recordsTotal.labels>;
  private readonly ackCounter: ReturnType<typeof recordsTotal.labels>;
  private readonly inFlightGauge: ReturnType<typeof inFlight.labels>;

  constructor(
    private readonly config: KafkaSourceConfig,
    private readonly log: Logger,
  ) {
    // Options are checked before anything uses them (kafkajs-style messages).
    checkKafkaSourceConfig(config);
    this.maxInFlight = config.maxInFlight ?? 2000;
    this.batchSize = Math.min(config.batchSize ?? 500, this.maxInFlight);
    this.resumeRoom = Math.max(1, Math.min(this.batchSize, Math.floor(this.maxInFlight / 4)));
    this.closed = new Promise((r) => (this.resolveClosed = r));
    const component = config.metrics?.component ?? config.groupId;
    const client = config.metrics?.client ?? '';
    this.inCounter = recordsTotal.labels(component, client, 'in');
    this.ackCounter = recordsTotal.labels(component, client, 'acked');
    this.inFlightGauge = inFlight.labels(component, config.groupId);
    this.batches$ = new Observable<SourceRecord[]>((subscriber) => this.open(subscriber));
    this.records$ = new Observable<SourceRecord>((subscriber) =>
      this.open({
        next: (batch) => {
          for (const r of batch) {
            if (subscriber.closed) return;
            subscriber.next(r);
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      }),
    );
  }

  private lastFlushAcked = -1;
  private flushTimer: NodeJS.Timeout | undefined;

  /**
   * Acked offsets reach librdkafka's store every 100 ms between pulls (a pull blocked on an empty
   * topic would hold them back). The timer runs only from a batch handed out until every record is
   * acknowledged and stored: an idle worker has no timer at all.
   */
  private startFlushing(): void {
    if (this.flushTimer) return;
    this.flushTimer = setInterval(() => {
      if (this.s.inFlight === 0 && this.s.acked === this.lastFlushAcked && this.dirty.size === 0) {
        this.stopFlushing();
        return;
      }
      this.lastFlushAcked = this.s.acked;
      this.storeOffsets();
      this.inFlightGauge.set(this.s.inFlight);
    }, 100);
  }

  private stopFlushing(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = undefined;
  }

  private open(subscriber: Emitter): () => void {
    const config = this.config;
    if (this.consumer) throw new Error('a KafkaSource can be subscribed once; create another for a second consumer');
    const consumer = this.createConsumer();
    this.consumer = consumer;
    let active = true;
    openSources.add(this);
    consumer.on('event.error', (err) => this.log.warn({ err: err.message, code: err.code }, 'kafka consumer error'));
    consumer.on('rebalance', (err, assignment) => this.onRebalance(err, assignment));
    consumer.connect({ timeout: 30_000 }, (err) => {
      if (!active) return;
      if (err) {
        subscriber.error(new Error(`kafka consumer ${config.groupId} could not connect to ${config.connection.brokers}: ${err.message}`));
        return;
      }
      consumer.setDefaultConsumeTimeout(config.consumeTimeoutMs ?? 100);
      consumer.subscribe(config.topics);
      this.log.info({ group: config.groupId, topics: config.topics, maxInFlight: this.maxInFlight }, 'consumer subscribed');
      void this.pull(consumer, subscriber, () => active);
    });
    return () => {
      active = false;
      const graceful = this.stopping && this.completed;
      this.stopping = true;
      this.wake?.();
      const finish = () => {
        this.stopFlushing();
        openSources.delete(this);
        this.disconnect(consumer);
      };
      // RxJS tears a source down as soon as it completes; after a graceful stop the records
      // already handed out are still being worked on, so wait for their acks before committing.
      if (graceful && this.s.inFlight > 0) this.whenDrained(finish, config.drainTimeoutMs ?? 30_000);
      else finish();
    };
  }

  /** Intake begins when `records$` or `batches$` is subscribed (the runner's one subscription): nothing to do before. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Stops intake and resolves once the consumer drained, stored its acknowledged offsets, committed
   * and disconnected ({@link closed}); at once when it was never subscribed.
   */
  async shutdown(): Promise<void> {
    this.stop();
    if (this.consumer) await this.closed;
  }

  /** Stops intake: no further pull; `records$` completes after the pull under way returns. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  /** Lag per assigned partition: the broker's high watermark minus our next offset to commit. */
  lag(): Array<{ topic: string; partition: number; lag: number }> {
    const consumer = this.consumer;
    if (!consumer || !consumer.isConnected()) return [];
    const out: Array<{ topic: string; partition: number; lag: number }> = [];
    for (const id of this.s.assignment) {
      const slash = id.lastIndexOf('/');
      const topic = id.slice(0, slash);
      const partition = Number(id.slice(slash + 1));
      try {
        const { highOffset } = consumer.getWatermarkOffsets(topic, partition);
        const done = this.s.stored[id] ?? this.trackers.get(id)?.tracker.committable;
        if (highOffset >= 0 && done !== undefined) out.push({ topic, partition, lag: Math.max(0, highOffset - done) });
      } catch {
        // No watermark known yet for this partition.
      }
    }
    return out;
  }

  get groupId(): string {
    return this.config.groupId;
  }

  /** Why this source is unhealthy (3 or more pulls failed in a row), or null. */
  problem(): string | null {
    return this.failing && this.failing.count >= 3 ? `consumer ${this.config.groupId}: ${this.failing.count} pulls failed in a row (${this.failing.error})` : null;
  }

  stats(): KafkaSourceStats {
    return { ...this.s, stored: { ...this.s.stored }, assignment: [...this.s.assignment] };
  }

  /** The librdkafka consumer (a test may substitute its own). */
  protected createConsumer(): Kafka.KafkaConsumer {
    const c = this.config;
    return new Kafka.KafkaConsumer(
      {
        ...librdkafkaBase(c.connection),
        'group.id': c.groupId,
        'enable.auto.commit': true,
        'enable.auto.offset.store': false,
        'auto.commit.interval.ms': c.commitIntervalMs ?? 1000,
        'partition.assignment.strategy': c.assignmentStrategy ?? 'cooperative-sticky',
        'queued.max.messages.kbytes': c.prefetchKbytes ?? 4096,
        // librdkafka 2.12 waits 1000 ms before refetching a partition whose prefetch queue was
        // full; with a bounded prefetch that capped consumption at ~27k records/s.
        'fetch.queue.backoff.ms': 10,
        'fetch.max.bytes': 16 * 1024 * 1024,
        // The broker answers a fetch as soon as there is a byte to return; an empty one waits this
        // long (librdkafka's 500 ms woke every idle consumer twice a second).
        'fetch.wait.max.ms': 2000,
        // A batch returns as soon as its partitions are drained instead of waiting out the timeout.
        'enable.partition.eof': true,
        'session.timeout.ms': 10_000,
        'heartbeat.interval.ms': 1000,
        'max.poll.interval.ms': 300_000,
        rebalance_cb: true,
        ...c.extra,
      },
      { 'auto.offset.reset': c.fromBeginning === false ? 'latest' : 'earliest' },
    );
  }

  private async pull(consumer: Kafka.KafkaConsumer, subscriber: Emitter, isActive: () => boolean): Promise<void> {
    // consume(n) waits up to the consume timeout for every missing record, so a slow trickle
    // would hold a large batch open: after a short batch, ask for little; grow while batches fill.
    let ask = this.batchSize;
    const baseTimeout = this.config.consumeTimeoutMs ?? 100;
    const idleTimeout = Math.max(baseTimeout, this.config.idleConsumeTimeoutMs ?? DEFAULT_IDLE_CONSUME_TIMEOUT_MS);
    let timeout = baseTimeout;
    while (isActive() && !this.stopping) {
      const room = this.maxInFlight - this.s.inFlight;
      if (room < this.resumeRoom) {
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        continue;
      }
      this.storeOffsets();
      const asked = Math.min(ask, room);
      let messages: Kafka.Message[];
      try {
        consumer.setDefaultConsumeTimeout(timeout);
        messages = await new Promise<Kafka.Message[]>((resolve, reject) =>
          consumer.consume(asked, (err, msgs) => (err ? reject(err) : resolve(msgs))),
        );
      } catch (err) {
        // Broker trouble goes away (librdkafka reconnects by itself): wait a little and pull again.
        // A batch librdkafka cannot decode does not: after maxConsumeFailures in a row, fail loudly.
        const e = err as Kafka.LibrdKafkaError;
        const count = (this.failing?.count ?? 0) + 1;
        this.failing = { count, error: e.message };
        consumeFailuresTotal.labels(this.config.groupId, String(e.code ?? 'unknown')).inc();
        const max = this.config.maxConsumeFailures ?? this.config.connection.consumeMaxFailures ?? DEFAULT_CONSUME_MAX_FAILURES;
        if (count >= max) {
          const failure = consumeFailure(this.config.groupId, count, e, positions(consumer));
          this.log.error({ group: this.config.groupId, failures: count, err: e.message, code: e.code }, failure.message);
          if (isActive()) subscriber.error(failure);
          return;
        }
        if (count === 1 || count % 20 === 0) this.log.warn({ group: this.config.groupId, failures: count, of: max, err: e.message, code: e.code }, 'consume failed; retrying');
        await sleep(500);
        continue;
      }
      this.failing = undefined;
      // After an empty pull ask for one: consume(n) returns only once it has n records, a drained
      // partition (its next fetch, up to fetch.wait.max.ms later) or the timeout, so the first record
      // after idleness would wait that long; asking for one returns it at once, and the asks double from there.
      ask = messages.length === 0 ? 1 : messages.length < asked ? Math.max(16, messages.length * 2) : Math.min(this.batchSize, asked * 2);
      timeout = messages.length > 0 ? baseTimeout : Math.min(idleTimeout, timeout * 2);
      if (!isActive()) return;
      if (messages.length > 0) {
        this.inCounter.inc(messages.length);
        const batch = messages.map((m) => this.toRecord(m));
        this.inFlightGauge.set(this.s.inFlight);
        this.startFlushing();
        subscriber.next(batch);
      }
    }
    if (isActive()) {
      this.log.info({ group: this.config.groupId, inFlight: this.s.inFlight }, 'intake stopped');
      this.completed = true;
      subscriber.complete();
    }
  }

  private toRecord(m: Kafka.Message): SourceRecord {
    const id = `${m.topic}/${m.partition}`;
    let entry = this.trackers.get(id);
    if (!entry) {
      entry = { tracker: new OffsetTracker(), generation: this.generation };
      this.trackers.set(id, entry);
    }
    entry.tracker.fetched(m.offset);
    this.s.consumed++;
    this.s.inFlight++;
    if (this.s.inFlight > this.s.maxInFlightSeen) this.s.maxInFlightSeen = this.s.inFlight;
    const headers: Record<string, Buffer> = {};
    if (m.headers) {
      for (const h of m.headers) {
        for (const k of Object.keys(h)) {
          const v = h[k];
          headers[k] = Buffer.isBuffer(v) ? v : Buffer.from(String(v));
        }
      }
    }
    const key = m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
    const record: KafkaRecord = {
      topic: m.topic,
      partition: m.partition,
      offset: m.offset,
      key,
      value: m.value ?? null,
      headers,
      timestamp: m.timestamp ?? Date.now(),
    };
    const generation = entry.generation;
    let acked = false;
    return Object.assign(record, {
      ack: () => {
        if (acked) return;
        acked = true;
        this.onAck(id, generation, m.offset);
      },
    });
  }

  private onAck(id: string, generation: number, offset: number): void {
    this.s.inFlight--;
    this.s.acked++;
    this.ackCounter.inc();
    const entry = this.trackers.get(id);
    // A record of a partition revoked since it was fetched: its offset is no longer ours to store.
    if (entry && entry.generation === generation && entry.tracker.done(offset) !== undefined) this.dirty.add(id);
    if (this.wake && this.maxInFlight - this.s.inFlight >= this.resumeRoom) this.wake();
    if (this.drained && this.s.inFlight === 0) this.drained();
  }

  /** Calls `then` once every handed-out record is acknowledged, or after `timeoutMs`. */
  private whenDrained(then: () => void, timeoutMs: number): void {
    const timer = setTimeout(() => {
      this.log.warn({ group: this.config.groupId, inFlight: this.s.inFlight, timeoutMs }, 'drain timed out; unacknowledged records will be redelivered');
      fire();
    }, timeoutMs);
    const fire = () => {
      clearTimeout(timer);
      this.drained = undefined;
      then();
    };
    this.drained = fire;
  }

  /** Hands the contiguous finished offsets to librdkafka, which commits them. */
  private storeOffsets(ids: Iterable<string> = this.dirty): void {
    const consumer = this.consumer;
    if (!consumer || this.dirty.size === 0) return;
    const list: Array<{ topic: string; partition: number; offset: number }> = [];
    for (const id of [...ids]) {
      this.dirty.delete(id);
      const entry = this.trackers.get(id);
      if (!entry || entry.tracker.committable === undefined) continue;
      const slash = id.lastIndexOf('/');
      list.push({ topic: id.slice(0, slash), partition: Number(id.slice(slash + 1)), offset: entry.tracker.committable });
    }
    if (list.length === 0) return;
    try {
      consumer.offsetsStore(list);
      for (const tp of list) this.s.stored[`${tp.topic}/${tp.partition}`] = tp.offset;
    } catch (err) {
      // Only fails for partitions no longer assigned; their records will be redelivered elsewhere.
      this.log.debug({ err: (err as Error).message }, 'offsetsStore refused');
    }
  }

  private onRebalance(err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]): void {
    const ids = assignment.map((a) => `${a.topic}/${a.partition}`);
    if (err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
      this.s.assignment = [...new Set([...this.s.assignment, ...ids])];
      this.log.info({ group: this.config.groupId, assigned: ids }, 'partitions assigned');
    } else if (err.code === Kafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
      // Store what is finished before librdkafka commits on revoke, then forget those partitions.
      this.storeOffsets(ids.filter((id) => this.dirty.has(id)));
      this.generation++;
      for (const id of ids) this.trackers.delete(id);
      this.s.assignment = this.s.assignment.filter((id) => !ids.includes(id));
      this.log.info({ group: this.config.groupId, revoked: ids }, 'partitions revoked');
    } else {
      this.log.warn({ group: this.config.groupId, err: err.message }, 'rebalance error');
    }
  }

  private disconnect(consumer: Kafka.KafkaConsumer): void {
    this.storeOffsets();
    const done = () => {
      this.log.info({ group: this.config.groupId, stored: this.s.stored, consumed: this.s.consumed, acked: this.s.acked }, 'consumer closed');
      this.resolveClosed();
    };
    if (!consumer.isConnected()) {
      done();
      return;
    }
    try {
      // Synchronous commit of everything stored, so a restart resumes exactly after it.
      consumer.commitSync(null);
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'final commit had nothing to commit');
    }
    consumer.disconnect(() => done());
  }
}

/** Measured on an idle per-client worker (perf/tenancy.ts): 1000 → 3000 took its CPU from 0.071 % to 0.055 % of a core. */
export const DEFAULT_IDLE_CONSUME_TIMEOUT_MS = 3000;

/** A KafkaSource's options, checked before anything uses them (kafkajs-style messages). */
export function checkKafkaSourceConfig(config: KafkaSourceConfig): void {
  if (!config.groupId) throw new Error(`groupId must be set, got ${JSON.stringify(config.groupId)}`);
  checkNonEmpty('topics', config.topics);
  checkAtLeast('maxInFlight', config.maxInFlight, 1);
  checkAtLeast('batchSize', config.batchSize, 1);
  checkAtLeast('maxConsumeFailures', config.maxConsumeFailures, 1);
  checkAtLeast('commitIntervalMs', config.commitIntervalMs, 1);
  checkAtLeast('consumeTimeoutMs', config.consumeTimeoutMs, 1);
  checkAtLeast('idleConsumeTimeoutMs', config.idleConsumeTimeoutMs, 1);
  checkAtLeast('prefetchKbytes', config.prefetchKbytes, 1);
  checkAtLeast('drainTimeoutMs', config.drainTimeoutMs, 0);
}

/** Sources currently open, read by the consumer-lag gauge when Prometheus scrapes and by /healthz. */
const openSources = new Set<KafkaSource>();

/** The problems of the open sources (a consumer whose pulls keep failing); empty when all are fine. */
export function sourceProblems(): string[] {
  return [...openSources].flatMap((s) => s.problem() ?? []);
}

/** The consumer's positions, "topic/partition@offset", for the error that says where it is stuck. */
function positions(consumer: Kafka.KafkaConsumer): string[] {
  try {
    return consumer.position().map((p) => `${p.topic}/${p.partition}@${p.offset ?? 'committed'}`);
  } catch {
    return [];
  }
}

/**
 * The error a source fails with after `count` failed pulls in a row: where it is stuck and the
 * way past it (README, "A consumer that cannot read a batch").
 */
export function consumeFailure(group: string, count: number, e: { message: string; code?: number }, at: string[]): Error {
  const codec = e.code === Kafka.CODES.ERRORS.ERR__NOT_IMPLEMENTED
    ? `; "Not implemented" is a compression codec this librdkafka lacks (features: ${Kafka.features.join(',')}): install libzstd-dev liblz4-dev libsnappy-dev and run npm rebuild node-rdkafka`
    : '';
  const where = at.length > 0 ? ` at ${at.slice(0, 10).join(' ')}` : '';
  return new Error(`kafka consumer ${group}: ${count} pulls failed in a row (${e.message})${where}${codec}; or move the group past the batch (kafka-consumer-groups.sh --reset-offsets --to-offset N --group ${group} --topic T:P --execute)`);
}
/** kgroot_consumer_lag, refreshed from the open sources on each scrape (the source registers its own collector). */
export const consumerLag = new Gauge({
  name: 'kgroot_consumer_lag',
  help: 'High watermark minus the consumer position, per assigned partition',
  labelNames: ['group', 'topic', 'partition'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const src of openSources) {
      for (const l of src.lag()) this.labels(src.groupId, l.topic, String(l.partition)).set(l.lag);
    }
  },
});

interface Emitter {
  next(batch: SourceRecord[]): void;
  error(e: unknown): void;
  complete(): void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
