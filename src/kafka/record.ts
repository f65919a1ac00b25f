/** A record as read from Kafka, with headers flattened (the last value of a repeated key wins). */
export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  /** Broker or producer timestamp, ms since the epoch. */
  timestamp: number;
}

/**
 * A record handed to a pipeline. `ack()` says everything it produced is acknowledged; only then
 * can its offset be committed. Acking twice is harmless.
 */
export interface SourceRecord extends KafkaRecord {
  ack(): void;
}

/** A record a pipeline may acknowledge (the lifecycle's inputs: the control plane acks some itself). */
export type Ackable = KafkaRecord & { ack?: () => void };

/** A record to produce. `partition` undefined lets the key decide. */
export interface OutRecord {
  topic: string;
  key: string | Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string | Buffer>;
  partition?: number;
  timestamp?: number;
}

/** What a delivery report says about one produced record. */
export interface Delivered {
  topic: string;
  partition: number;
  offset: number;
}
