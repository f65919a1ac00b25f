import { ConfigError, Env, readEnum, readInt, readOptional, readString } from '../config/env';

/** Connection settings shared by every Kafka client of a process. */
export interface KafkaConnection {
  /** Comma-separated host:port list. KAFKA_BROKERS, default 127.0.0.1:9092. */
  brokers: string;
  /** Shown in broker logs; defaults to the component name. */
  clientId: string;
  /** Largest value accepted anywhere (producer message.max.bytes). KAFKA_MAX_MESSAGE_BYTES. */
  maxMessageBytes: number;
  /** SASL authentication (KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT); absent = PLAINTEXT. */
  sasl?: SaslSettings;
  /**
   * Consecutive failed pulls after which a consumer gives up and fails its component (which then
   * exits 1 and is restarted with backoff) instead of retrying for ever. KAFKA_CONSUME_MAX_FAILURES.
   */
  consumeMaxFailures?: number;
  /**
   * How far back a sink that writes dead letters reads the DLQ topics at start, so the dead letters
   * of a replay (offsets processed but not committed before a crash) are not written twice, ms;
   * 0 = no check. DLQ_REPLAY_LOOKBACK_SECONDS, default 3600.
   */
  dlqReplayLookbackMs?: number;
}

export type SaslMechanism = 'SCRAM-SHA-512' | 'SCRAM-SHA-256';

export interface SaslSettings {
  /** KAFKA_SASL_MECHANISM, default SCRAM-SHA-512. */
  mechanism: SaslMechanism;
  /** KAFKA_SASL_USERNAME. */
  username: string;
  /** KAFKA_SASL_PASSWORD. */
  password: string;
}

/** KAFKA_SECURITY_PROTOCOL (PLAINTEXT | SASL_PLAINTEXT) and, for SASL, KAFKA_SASL_MECHANISM/USERNAME/PASSWORD. */
export function loadSasl(env: Env): SaslSettings | undefined {
  const protocol = readEnum(env, 'KAFKA_SECURITY_PROTOCOL', ['PLAINTEXT', 'SASL_PLAINTEXT'] as const, 'PLAINTEXT');
  if (protocol === 'PLAINTEXT') return undefined;
  const need = (name: string) => {
    const v = readOptional(env, name);
    if (v === undefined) throw new ConfigError(name, 'is required when KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT', `Set ${name}, or set KAFKA_SECURITY_PROTOCOL=PLAINTEXT`);
    return v;
  };
  return {
    mechanism: readEnum(env, 'KAFKA_SASL_MECHANISM', ['SCRAM-SHA-512', 'SCRAM-SHA-256'] as const, 'SCRAM-SHA-512'),
    username: need('KAFKA_SASL_USERNAME'),
    password: need('KAFKA_SASL_PASSWORD'),
  };
}

export function loadKafkaConnection(env: Env, clientId: string): KafkaConnection {
  return {
    brokers: readString(env, 'KAFKA_BROKERS', '127.0.0.1:9092'),
    clientId,
    maxMessageBytes: readInt(env, 'KAFKA_MAX_MESSAGE_BYTES', 8 * 1024 * 1024, { min: 1024 }),
    sasl: loadSasl(env),
    consumeMaxFailures: readInt(env, 'KAFKA_CONSUME_MAX_FAILURES', DEFAULT_CONSUME_MAX_FAILURES, { min: 1 }),
    dlqReplayLookbackMs: readInt(env, 'DLQ_REPLAY_LOOKBACK_SECONDS', DEFAULT_DLQ_REPLAY_LOOKBACK_SECONDS, { min: 0, max: 14 * 86_400 }) * 1000,
  };
}

/** An hour: a replay re-sends what was done after the last commit, normally seconds before. */
export const DEFAULT_DLQ_REPLAY_LOOKBACK_SECONDS = 3600;

/** About a minute of retrying (a failed pull waits 0.5 s). */
export const DEFAULT_CONSUME_MAX_FAILURES = 120;

/** librdkafka settings common to producers, consumers and admin clients. */
export function librdkafkaBase(c: KafkaConnection): Record<string, string | number | boolean> {
  return {
    'metadata.broker.list': c.brokers,
    'client.id': c.clientId,
    'socket.keepalive.enable': true,
    // A broker that goes away is retried forever with backoff; these bound the wait between tries.
    'reconnect.backoff.ms': 100,
    'reconnect.backoff.max.ms': 5000,
    'log.connection.close': false,
    ...(c.sasl
      ? { 'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': c.sasl.mechanism, 'sasl.username': c.sasl.username, 'sasl.password': c.sasl.password }
      : {}),
  };
}
