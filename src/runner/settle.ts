import { MonoTypeOperatorFunction, tap } from 'rxjs';
import { settlesRecords } from '../../pipelines/operators/settlement';

/**
 * The one place a record is acknowledged: each record an effect settles (pipelines/operators/settlement.ts).
 * runPipeline applies it to every component's effects; code that subscribes a pipeline itself
 * (benchmarks, the corpus replay, integration tests) pipes {@link settled}.
 */
export function settle(effect: unknown): void {
  if (!settlesRecords(effect)) return;
  for (const r of effect.settles) r.ack?.();
}

/** Acknowledges what each effect settles as it passes (values unchanged). */
export function settled<E>(): MonoTypeOperatorFunction<E> {
  return tap<E>(settle);
}
