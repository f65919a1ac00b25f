import Kafka from 'node-rdkafka';
import { defer, Observable } from 'rxjs';
import { KafkaConnection, librdkafkaBase } from '../kafka/kafkaConfig';
import { Logger } from '../log/logger';
import { tenantTopic } from './tenantTopics';

/**
 * Which per-client topics exist, from the broker's metadata: the router's test for "this client has
 * registered" (the control plane creates a client's topics at registration, and the broker creates
 * none by itself: auto.create.topics.enable=false). The topic list is read at most once per
 * `refreshMs` however many clients ask; a client once seen stays known until `forget`.
 */
export class TopicDirectory {
  private names = new Set<string>();
  private readAt = 0;
  private pending: Promise<void> | null = null;

  private constructor(
    private readonly producer: Kafka.Producer,
    private readonly refreshMs: number,
  ) {}

  static async connect(connection: KafkaConnection, log: Logger, refreshMs = 1000): Promise<TopicDirectory> {
    const producer = new Kafka.Producer({ ...librdkafkaBase({ ...connection, clientId: `${connection.clientId}-metadata` }) } as never);
    producer.on('event.error', (err) => log.warn({ err: err.message }, 'metadata client error'));
    await new Promise<void>((resolve, reject) => producer.connect({ timeout: 30_000 }, (err) => (err ? reject(new Error(err.message)) : resolve())));
    return new TopicDirectory(producer, refreshMs);
  }

  /** True when every one of `bases` exists as `{base}.{client}`. Cold. */
  ready$(client: string, bases: readonly string[]): Observable<boolean> {
    return defer(async () => {
      const want = bases.map((b) => tenantTopic(b, client));
      if (want.every((t) => this.names.has(t))) return true;
      await this.refresh();
      return want.every((t) => this.names.has(t));
    });
  }

  /** True when every one of `bases` is already known to exist as `{base}.{client}` (no broker call; false means "look with ready$"). */
  knows(client: string, bases: readonly string[]): boolean {
    for (const b of bases) if (!this.names.has(tenantTopic(b, client))) return false;
    return true;
  }

  /** Drops what is known of a client's topics (a produce to them failed: they may be gone). */
  forget(client: string, bases: readonly string[]): void {
    for (const b of bases) this.names.delete(tenantTopic(b, client));
  }

  private refresh(): Promise<void> {
    if (this.pending) return this.pending;
    const wait = Math.max(0, this.readAt + this.refreshMs - Date.now());
    this.pending = new Promise<void>((resolve) => setTimeout(resolve, wait))
      .then(
        () =>
          new Promise<void>((resolve, reject) =>
            this.producer.getMetadata({ timeout: 10_000 }, (err, md) => {
              if (err) return reject(new Error(`metadata: ${err.message}`));
              this.names = new Set(md.topics.map((t) => t.name));
              this.readAt = Date.now();
              resolve();
            }),
          ),
      )
      .finally(() => (this.pending = null));
    return this.pending;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.producer.disconnect(() => resolve()));
  }
}
