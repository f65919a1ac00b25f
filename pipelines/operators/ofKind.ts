import { filter, OperatorFunction } from 'rxjs';

/** An effect: every component's effects have a `kind` namespaced by their source (`graph/…`, `topology/…`, `client/…`). */
export interface Kinded {
  kind: string;
}

/**
 * Passes the effects of the given kinds, or of every kind under a namespace (`'graph/'`), and
 * narrows their type accordingly; the rest are dropped.
 *
 * @example effects$.pipe(ofKind('graph/'))                                  // Observable<GraphBuilderEffect>
 * @example effects$.pipe(ofKind(['graph/batch-written', 'graph/write-retry']))
 */
export function ofKind<E extends Kinded, const K extends E['kind']>(kinds: readonly K[]): OperatorFunction<E, Extract<E, { kind: K }>>;
export function ofKind<E extends Kinded, P extends string>(prefix: `${P}/`): OperatorFunction<E, Extract<E, { kind: `${P}/${string}` }>>;
export function ofKind<E extends Kinded>(prefixOrKinds: string | readonly string[]): OperatorFunction<E, E> {
  const kinds = typeof prefixOrKinds === 'string' ? undefined : new Set(prefixOrKinds);
  const prefix = typeof prefixOrKinds === 'string' ? prefixOrKinds : '';
  return filter((e: E) => (kinds ? kinds.has(e.kind) : e.kind.startsWith(prefix)));
}

/** One handler per kind (kinds without one are ignored), typed by kind: the dispatch of a tap, instead of an if/else chain. */
export type KindHandlers<E extends Kinded> = { [K in E['kind']]?: (e: Extract<E, { kind: K }>) => void };

/**
 * The handler of each effect's kind, for `tap`.
 *
 * @example effects$.pipe(tap(byKind<RouterEffect>({ 'router/retry': (e) => directory.forget(e.client, bases) })))
 */
export function byKind<E extends Kinded>(handlers: KindHandlers<E>): (e: E) => void {
  return (e) => (handlers[e.kind as E['kind']] as ((e: E) => void) | undefined)?.(e);
}
