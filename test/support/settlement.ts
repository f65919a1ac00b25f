import { settlesRecords } from '../../pipelines/operators/settlement';

/** The records a list of effects settles, in the order settled (a record settled twice appears twice). */
export function settledBy<R>(effects: readonly unknown[]): R[] {
  return effects.flatMap((e) => (settlesRecords(e) ? (e.settles as readonly R[]) : []));
}
