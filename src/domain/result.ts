/** What a pure normalizer returns: the value, or the reason it cannot be normalized (for the DLQ). */
export type Normalized<T> = { ok: true; value: T };
export type Rejected = { ok: false; reason: string };
export type NormalizeResult<T> = Normalized<T> | Rejected;

export function rejected(reason: string): Rejected {
  return { ok: false, reason };
}
