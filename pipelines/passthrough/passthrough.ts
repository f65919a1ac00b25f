import { Observable, map, mergeMap } from 'rxjs';
import { Delivered, OutRecord, SourceRecord } from '../../src/kafka/record';

export interface PassthroughConfig {
  /** Topic the records are copied to. */
  to: string;
  /** Records produced and awaiting their delivery report at once. */
  concurrency: number;
}

export interface Copied {
  kind: 'passthrough/copied';
  from: { topic: string; partition: number; offset: number };
  to: Delivered;
}

/**
 * Copies every record (key, value, headers) to another topic and acknowledges the source record
 * once the copy's delivery report arrives: the smallest consume → produce pipeline, used to
 * measure the adapters and to test the runner's drain.
 *
 * @example passthrough({ raw$: source.records$ }, { send: (o) => sink.send$(o) }, { to: 'copy', concurrency: 1000 })
 */
export function passthrough(
  sources: { raw$: Observable<SourceRecord> },
  deps: { send: (out: OutRecord) => Observable<Delivered> },
  config: PassthroughConfig,
): Observable<Copied> {
  return sources.raw$.pipe(
    mergeMap(
      (r) =>
        deps.send({ topic: config.to, key: r.key, value: r.value, headers: r.headers }).pipe(
          map((to) => {
            r.ack();
            return { kind: 'passthrough/copied' as const, from: { topic: r.topic, partition: r.partition, offset: r.offset }, to };
          }),
        ),
      config.concurrency,
    ),
  );
}
