import { Observable, map } from 'rxjs';
import { Delivered, OutRecord, SourceRecord } from '../../src/kafka/record';
import { mergeMapWide } from '../operators/mergeMapWide';

export interface PassthroughConfig {
  /** Topic the records are copied to. */
  to: string;
  /** Batches produced and awaiting their delivery reports at once. */
  concurrency: number;
}

export interface Copied {
  kind: 'passthrough/copied';
  count: number;
  /** The batch's source records, settled once their copies' delivery reports arrived. */
  settles: SourceRecord[];
  /** Last source offset of the batch per "topic/partition". */
  upTo: Record<string, number>;
}

/**
 * Copies every record (key, value, headers) to another topic; the source records are settled
 * (the runner acknowledges them) once their copies' delivery reports arrived: the smallest consume → produce pipeline,
 * used to measure the adapters and to test the runner's drain. Works on the source's batches.
 *
 * @example passthrough({ batches$: source.batches$ }, { sendBatch: (o) => sink.sendBatch$(o) }, { to: 'copy', concurrency: 8 })
 */
export function passthrough(
  sources: { batches$: Observable<SourceRecord[]> },
  deps: { sendBatch: (out: OutRecord[]) => Observable<Delivered[]> },
  config: PassthroughConfig,
): Observable<Copied> {
  return sources.batches$.pipe(
    mergeMapWide(
      (batch) =>
        deps.sendBatch(batch.map((r) => ({ topic: config.to, key: r.key, value: r.value, headers: r.headers }))).pipe(
          map(() => {
            const upTo: Record<string, number> = {};
            for (const r of batch) upTo[`${r.topic}/${r.partition}`] = r.offset;
            return { kind: 'passthrough/copied' as const, count: batch.length, upTo, settles: batch };
          }),
        ),
      config.concurrency,
    ),
  );
}
