/**
 * The one start/shutdown contract of kgroot's adapters and servers (KafkaSource, KafkaSink,
 * GraphStore, the HTTP servers): the runner and tests start and stop every one the same way.
 *
 * @example
 *   const sink = KafkaSink.create({ connection }, log);
 *   await sink.start();
 *   ...
 *   await sink.shutdown(); // flushes what is buffered, then disconnects
 */
export interface Service {
  /** Connects or listens; resolves once ready. Calling it again returns the same promise. */
  start(): Promise<void>;
  /**
   * Stops for good: flushes what is buffered (queued records, acknowledged offsets, requests under
   * way), then disconnects. Safe without start (resolves at once) and safe twice (a second call
   * waits for the first).
   */
  shutdown(): Promise<void>;
}
