import { Observable } from 'rxjs';

/**
 * A gate shared by many observables: at most `n` of those passed through it are subscribed at
 * once; the others wait in the order they were subscribed and start as running ones end
 * (complete, error or unsubscribe). One gate per call, its state inside it.
 *
 * @example const gate = limitConcurrency(4); clients$.pipe(mergeMap((c) => gate(spawn$(c))))
 */
export function limitConcurrency(n: number): <T>(work$: Observable<T>) => Observable<T> {
  let running = 0;
  const queue: Array<() => void> = [];
  const next = () => {
    while (running < n && queue.length > 0) queue.shift()!();
  };
  return <T>(work$: Observable<T>) =>
    new Observable<T>((subscriber) => {
      let started = false;
      let inner: { unsubscribe(): void } | undefined;
      const start = () => {
        started = true;
        running++;
        inner = work$.subscribe(subscriber);
      };
      queue.push(start);
      next();
      return () => {
        const i = queue.indexOf(start);
        if (i >= 0) queue.splice(i, 1);
        if (started) {
          inner?.unsubscribe();
          running--;
          next();
        }
      };
    });
}
