/**
 * Settlement as data. A pipeline never acknowledges a record itself: the effect that says what
 * became of a record (written, copied, dead-lettered, skipped as another client's) carries it in
 * `settles`, and the runner (src/runner/settle.ts) acknowledges each one as the effect passes.
 * An effect is emitted only once what it settles is confirmed (the transaction committed, the
 * delivery report arrived), so the offsets committed stay at least once. A retry settles nothing.
 */

/** What a source handed out and the runner acknowledges: a Kafka record (the lifecycle's may have no `ack`). */
export interface Settleable {
  ack?(): void;
}

/** An effect that settles records; `settles` may be empty (the records were settled by an earlier effect). */
export interface Settles<R extends Settleable = Settleable> {
  readonly settles: readonly R[];
}

/** True when the value is an effect carrying records to settle. */
export function settlesRecords(e: unknown): e is Settles {
  return typeof e === 'object' && e !== null && Array.isArray((e as { settles?: unknown }).settles);
}
