import { defer, Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { eventNormalizer } from '../../../pipelines/eventNormalizer/eventNormalizer';
import { normalizeRecords } from '../../../pipelines/operators/normalizeRecords';
import { decodeNormalizedEvent } from '../../../src/avro/normalizedCodec';
import { DLQ_HEADERS } from '../../../src/kafka/deadLetter';
import { Delivered, OutRecord, SourceRecord } from '../../../src/kafka/record';

const C = 'acme';
const config = {
  clientId: C,
  outputTopic: 'events.normalized',
  maxValueBytes: 1024,
  maxMessageChars: 4096,
  progressEveryRecords: 1000,
  progressIntervalMs: 1000,
  retryBaseMs: 1,
};

/** A record as the source hands it out; the pipeline never acknowledges it (the effects settle it: the batch's `settles`). */
function rec(offset: number, key: string | null, value: string | Buffer | null): SourceRecord {
  return {
    topic: 'raw.k8s.events',
    partition: 0,
    offset,
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(value),
    headers: {},
    timestamp: 1_718_000_000_000,
    ack: () => {
      throw new Error('acknowledged by the pipeline');
    },
  };
}

const minimal = (id: string) => JSON.stringify({ event_id: id, reason: 'Killing', message: 'Stopping container api' });
const delivered: Delivered = { topic: 't', partition: 0, offset: 0 };
const deliveries = (outs: OutRecord[]) => outs.map(() => delivered);
const batch = (settles: SourceRecord[], normalized: number, foreign: number, deadLettered: unknown[] = []) => ({ kind: 'normalizer/batch', records: settles.length, normalized, foreign, deadLettered, settles });

function newScheduler(): TestScheduler {
  return new TestScheduler((a, e) => expect(a).toEqual(e));
}

describe('eventNormalizer (marbles, per source batch)', () => {
  it('empty: completes with a final progress report', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const out$ = eventNormalizer({ batches$: cold<SourceRecord[]>('|') }, { sendBatch: (o) => cold('a|', { a: deliveries(o) }) }, config);
      expectObservable(out$).toBe('(p|)', {
        p: { kind: 'normalizer/progress', counters: { processed: 0, errors: 0, foreign: 0, deadLettered: 0 }, total: 0, ratePerSec: 0, intervalMs: 0, final: true },
      });
    });
  });

  it('one: sends {C}::evt-{id} with an Avro value and settles it only after delivery', () => {
    newScheduler().run(({ hot, cold, expectObservable, flush }) => {
      const r = rec(7, `${C}::event::u1`, minimal('e1'));
      const sent: OutRecord[][] = [];
      const sendBatch = (o: OutRecord[]): Observable<Delivered[]> => {
        sent.push(o);
        return cold('---d|', { d: deliveries(o) });
      };
      const out$ = eventNormalizer({ batches$: hot('-r-|', { r: [r] }) }, { sendBatch }, config);
      expectObservable(out$).toBe('----n(p|)', {
        n: batch([r], 1, 0),
        p: expect.objectContaining({ kind: 'normalizer/progress', counters: { processed: 1, errors: 0, foreign: 0, deadLettered: 0 }, total: 1, final: true }),
      });
      flush();
      expect(sent).toHaveLength(1);
      expect(sent[0]).toHaveLength(1);
      expect(sent[0][0].topic).toBe('events.normalized');
      expect(sent[0][0].key).toBe(`${C}::evt-e1`);
      expect(decodeNormalizedEvent(sent[0][0].value!).event_id).toBe('e1');
      expect(sent[0][0].value!.toString('latin1')).not.toContain(C);
    });
  });

  it('nothing is settled before the delivery of the whole batch', () => {
    newScheduler().run(({ hot, cold, expectObservable, flush }) => {
      const rs = [rec(1, `${C}::event::u1`, minimal('e1')), rec(2, `${C}::event::u2`, minimal('e2'))];
      const out$ = eventNormalizer({ batches$: hot('-r', { r: rs }) }, { sendBatch: (o) => cold('-----d|', { d: deliveries(o) }) }, config);
      // Unsubscribed before the delivery at 6: no effect, so nothing settled.
      expectObservable(out$, '^--!').toBe('');
    });
  });

  it('many: one send per batch; foreign keys (and keys naming no client) counted and settled with their batch; bad records to dlq.raw with the reason', () => {
    newScheduler().run(({ hot, cold, expectObservable, flush }) => {
      const recs = {
        a: rec(1, `${C}::event::u1`, minimal('e1')),
        b: rec(2, `other::event::u2`, minimal('e2')),
        c: rec(3, `${C}::event::u3`, '{not json'),
        d: rec(4, null, minimal('e4')),
        e: rec(5, `${C}::event::u5`, 'x'.repeat(2000)),
        f: rec(6, `${C}::event::u6`, Buffer.from([0xc3, 0x28])),
        g: rec(7, `${C}::log::u7`, minimal('e7')),
        h: rec(8, `${C}::k8s-event::u8`, JSON.stringify({ foo: 1 })),
        i: rec(9, `Bad Client::event::u9`, minimal('e9')),
        j: rec(10, `${C}::event::u10`, minimal('e10')),
        k: rec(11, `other::event::u11`, minimal('e11')),
      };
      const { a, b, c, d, e, f, g, h, i, j, k } = recs;
      const sent: OutRecord[][] = [];
      const sendBatch = (o: OutRecord[]) => {
        sent.push(o);
        return cold('--d|', { d: deliveries(o) });
      };
      // Three source batches: mixed, all foreign (no send at all), one good.
      const out$ = eventNormalizer({ batches$: hot('x-y-z|', { x: [a, b, c, d, e, f, g, h, i], y: [k], z: [j] }) }, { sendBatch }, config);
      const dl = (offset: number, cause: string, reason: unknown) => ({ cause, reason, partition: 0, offset });
      // y (all foreign) is done at once, before x's delivery in the same frame; the inner of z completes at 7.
      expectObservable(out$).toBe('--(yx)z(p|)', {
        // d (null key) and i (no valid client) belong to no client: not this worker's to dead-letter
        // (the topology-builder process does it once for all workers).
        x: batch([a, b, c, d, e, f, g, h, i], 1, 3, [
          dl(3, 'content', expect.stringMatching(/^invalid JSON/)),
          dl(5, 'content', 'oversized value: 2000 bytes, limit 1024 (MAX_MESSAGE_BYTES)'),
          dl(6, 'content', 'invalid UTF-8'),
          dl(7, 'key', 'wrong key type "log" for raw.k8s.events, expected event'),
          dl(8, 'content', expect.stringMatching(/^unknown event shape/)),
        ]),
        y: batch([k], 0, 1),
        z: batch([j], 1, 0),
        p: expect.objectContaining({ kind: 'normalizer/progress', counters: { processed: 2, errors: 4, foreign: 4, deadLettered: 5 }, total: 11, final: true }),
      });
      flush();
      expect(sent.map((s) => s.length)).toEqual([6, 1]);
      const dlq = sent[0].filter((o) => o.topic === 'dlq.raw');
      expect(dlq).toHaveLength(5);
      expect(dlq[0].headers![DLQ_HEADERS.component]).toBe(`event-normalizer-${C}`);
      expect(dlq[0].headers![DLQ_HEADERS.sourceOffset]).toBe('3');
      expect(dlq[0].headers![DLQ_HEADERS.error]).toMatch(/^invalid JSON/);
      expect(dlq[0].value!.toString()).toBe('{not json');
      expect(sent[1][0].key).toBe(`${C}::evt-e10`);
    });
  });

  it('a throwing transform is dead-lettered and the stream goes on', () => {
    newScheduler().run(({ hot, cold, expectObservable, flush }) => {
      const transform = (text: string) => {
        if (text === 'boom') throw new Error('kaput');
        return { ok: true as const, value: { id: text, value: Buffer.from(text) } };
      };
      const sent: OutRecord[][] = [];
      const [a, b] = [[rec(1, `${C}::event::1`, 'x1'), rec(2, `${C}::event::2`, 'boom')], [rec(3, `${C}::event::3`, 'x3')]];
      const out$ = normalizeRecords(
        hot('ab|', { a, b }),
        { sendBatch: (o) => (sent.push(o), cold('d|', { d: deliveries(o) })) },
        { clientId: C, component: 'event-normalizer', keyTypes: ['event'], outputTopic: 'o', outputKind: 'evt', maxValueBytes: 100 },
        transform,
      );
      expectObservable(out$).toBe('ab|', {
        a: batch(a, 1, 0, [{ cause: 'content', reason: 'normalizer failed: kaput', partition: 0, offset: 2 }]),
        b: batch(b, 1, 0),
      });
      flush();
      expect(sent.map((s) => s.map((o) => `${o.topic} ${o.key}`))).toEqual([[`o ${C}::evt-x1`, `dlq.raw ${C}::event::2`], [`o ${C}::evt-x3`]]);
    });
  });

  it('a failed batch send is retried record by record with backoff on the scheduler, then settles', () => {
    newScheduler().run(({ hot, cold, expectObservable, flush }) => {
      const rs = [rec(1, `${C}::event::u1`, minimal('e1')), rec(2, `${C}::event::u2`, minimal('e2'))];
      const calls: number[] = [];
      let failures = 2;
      // Like KafkaSink.sendBatch$: cold, so a retry produces again.
      const sendBatch = (o: OutRecord[]) =>
        defer(() => {
          calls.push(o.length);
          return failures-- > 0 ? cold<Delivered[]>('#', undefined, new Error('broker down')) : cold('d|', { d: deliveries(o) });
        });
      const out$ = eventNormalizer({ batches$: hot('-r', { r: rs }) }, { sendBatch }, { ...config, retryBaseMs: 5 });
      // t1 the batch fails; t6 (after 5 ms) record 1 fails alone, record 2 goes; t11 (5 ms more) record 1 goes, completing at t12.
      expectObservable(out$, '^-------------!').toBe('------------n', { n: batch(rs, 2, 0) });
      flush();
      expect(calls).toEqual([2, 1, 1, 1]);
    });
  });

  it('a DLQ write refused for good is written once more without its value, keeping the reason', () => {
    newScheduler().run(({ hot, cold, expectObservable, flush }) => {
      const r = rec(1, `${C}::event::u1`, '{not json');
      const sent: OutRecord[][] = [];
      const sendBatch = (o: OutRecord[]) =>
        defer(() => {
          sent.push(o);
          return o[0].value !== null ? cold<Delivered[]>('#', undefined, new Error('too large')) : cold('d|', { d: deliveries(o) });
        });
      const out$ = eventNormalizer({ batches$: hot('r|', { r: [r] }) }, { sendBatch }, { ...config, retryBaseMs: 1, sendRetries: 1 });
      // t0 the batch fails; t1 alone fails; t2 its retry fails, then without the value at once (completing at t3).
      expectObservable(out$).toBe('---(np|)', {
        n: batch([r], 0, 0, [{ cause: 'content', reason: expect.stringMatching(/^invalid JSON/), partition: 0, offset: 1 }]),
        p: expect.objectContaining({ kind: 'normalizer/progress', final: true }),
      });
      flush();
      const last = sent[sent.length - 1][0];
      expect(last.value).toBeNull();
      expect(last.headers![DLQ_HEADERS.error]).toMatch(/^invalid JSON.*; value dropped, DLQ write failed: too large$/);
    });
  });

  it('a send failing past every retry ends the pipeline with the error (a restart resumes), nothing settled', () => {
    newScheduler().run(({ hot, cold, expectObservable, flush }) => {
      const r = rec(1, `${C}::event::u1`, minimal('e1'));
      const out$ = eventNormalizer({ batches$: hot('r', { r: [r] }) }, { sendBatch: () => cold<Delivered[]>('#', undefined, new Error('down')) }, { ...config, sendRetries: 1, retryBaseMs: 1 });
      // t0 the batch fails; t1 alone fails; t2 its one retry fails.
      // No batch effect before the error: the record is not settled.
      expectObservable(out$).toBe('--#', undefined, new Error('down'));
      void r;
    });
  });

  it('error: a source error ends the pipeline with it', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const out$ = eventNormalizer({ batches$: hot<SourceRecord[]>('--#', undefined, new Error('consumer lost')) }, { sendBatch: (o) => cold('d|', { d: deliveries(o) }) }, config);
      expectObservable(out$).toBe('--#', undefined, new Error('consumer lost'));
    });
  });

  it('progress counts records, not batches: a report once N records passed', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const foreign = (o: number) => rec(o, 'other::event::x', minimal('x'));
      const [a, b] = [[foreign(1), foreign(2)], [foreign(3), foreign(4)]];
      const batches$ = hot('-a-b---|', { a, b });
      const out$ = eventNormalizer({ batches$ }, { sendBatch: (o) => cold('d|', { d: deliveries(o) }) }, { ...config, progressEveryRecords: 3 });
      expectObservable(out$).toBe('-a-(bp)(q|)', {
        a: batch(a, 0, 2),
        b: batch(b, 0, 2),
        p: { kind: 'normalizer/progress', counters: { processed: 0, errors: 0, foreign: 4, deadLettered: 0 }, total: 4, ratePerSec: 1333, intervalMs: 3, final: false },
        q: { kind: 'normalizer/progress', counters: { processed: 0, errors: 0, foreign: 4, deadLettered: 0 }, total: 4, ratePerSec: 0, intervalMs: 4, final: true },
      });
    });
  });

  it('never-ending: progress every T of scheduler time; unsubscribing reaches the source and the sends in flight', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const r = [rec(1, 'other::event::1', minimal('x'))];
      const batches$ = hot<SourceRecord[]>('-r-s', { r, s: [rec(2, `${C}::event::2`, minimal('e2'))] });
      const reply = cold<Delivered[]>('-');
      const out$ = eventNormalizer({ batches$ }, { sendBatch: () => reply }, { ...config, progressIntervalMs: 10 });
      expectObservable(out$, '^ 25ms !').toBe('-f 8ms p 9ms q', {
        f: batch(r, 0, 1),
        p: { kind: 'normalizer/progress', counters: { processed: 0, errors: 0, foreign: 1, deadLettered: 0 }, total: 1, ratePerSec: 100, intervalMs: 10, final: false },
        q: { kind: 'normalizer/progress', counters: { processed: 0, errors: 0, foreign: 1, deadLettered: 0 }, total: 1, ratePerSec: 0, intervalMs: 10, final: false },
      });
      expectSubscriptions(batches$.subscriptions).toBe('^ 25ms !');
      expectSubscriptions(reply.subscriptions).toBe('---^ 22ms !');
    });
  });
});
