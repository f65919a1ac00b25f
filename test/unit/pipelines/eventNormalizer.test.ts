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

function rec(offset: number, key: string | null, value: string | Buffer | null): SourceRecord & { ack: jest.Mock } {
  return {
    topic: 'raw.k8s.events',
    partition: 0,
    offset,
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(value),
    headers: {},
    timestamp: 1_718_000_000_000,
    ack: jest.fn(),
  };
}

const minimal = (id: string) => JSON.stringify({ event_id: id, reason: 'Killing', message: 'Stopping container api' });
const delivered: Delivered = { topic: 't', partition: 0, offset: 0 };

function newScheduler(): TestScheduler {
  return new TestScheduler((a, e) => expect(a).toEqual(e));
}

describe('eventNormalizer (marbles)', () => {
  it('empty: completes with a final progress report', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const out$ = eventNormalizer({ raw$: cold<SourceRecord>('|') }, { send: () => cold('a|', { a: delivered }) }, config);
      expectObservable(out$).toBe('(p|)', {
        p: { kind: 'progress', counters: { processed: 0, errors: 0, foreign: 0, deadLettered: 0 }, total: 0, ratePerSec: 0, intervalMs: 0, final: true },
      });
    });
  });

  it('one: sends {C}::evt-{id} with an Avro value and acks only after delivery', () => {
    newScheduler().run(({ hot, cold, expectObservable, flush }) => {
      const r = rec(7, `${C}::event::u1`, minimal('e1'));
      const sent: OutRecord[] = [];
      const send = (o: OutRecord): Observable<Delivered> => {
        sent.push(o);
        return cold('---d|', { d: delivered });
      };
      const out$ = eventNormalizer({ raw$: hot('-r-|', { r }) }, { send }, config);
      expectObservable(out$).toBe('----n(p|)', {
        n: { kind: 'normalized', key: `${C}::evt-e1`, partition: 0, offset: 7 },
        p: expect.objectContaining({ kind: 'progress', counters: { processed: 1, errors: 0, foreign: 0, deadLettered: 0 }, final: true }),
      });
      flush();
      expect(sent).toHaveLength(1);
      expect(sent[0].topic).toBe('events.normalized');
      expect(decodeNormalizedEvent(sent[0].value!).event_id).toBe('e1');
      expect(sent[0].value!.toString('latin1')).not.toContain(C);
      expect(r.ack).toHaveBeenCalledTimes(1);
    });
  });

  it('ack waits for the delivery', () => {
    newScheduler().run(({ hot, cold, expectObservable, flush }) => {
      const r = rec(1, `${C}::event::u1`, minimal('e1'));
      const out$ = eventNormalizer({ raw$: hot('-r', { r }) }, { send: () => cold('-----d|', { d: delivered }) }, config);
      expectObservable(out$, '^--!').toBe('');
      flush();
      expect(r.ack).not.toHaveBeenCalled();
    });
  });

  it('many: filters foreign keys (acked at once, counted) and routes bad records to dlq.raw with the reason', () => {
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
      };
      const sent: OutRecord[] = [];
      const send = (o: OutRecord) => {
        sent.push(o);
        return cold('d|', { d: delivered });
      };
      const out$ = eventNormalizer({ raw$: hot('abcdefghi|', recs) }, { send }, config);
      const dl = (offset: number, reason: unknown) => ({ kind: 'dead-lettered', cause: expect.any(String), reason, partition: 0, offset });
      expectObservable(out$).toBe('abcdefghi(p|)', {
        a: { kind: 'normalized', key: `${C}::evt-e1`, partition: 0, offset: 1 },
        b: { kind: 'foreign' },
        c: dl(3, expect.stringMatching(/^invalid JSON/)),
        d: dl(4, 'missing key'),
        e: dl(5, 'oversized value: 2000 bytes, limit 1024 (MAX_MESSAGE_BYTES)'),
        f: dl(6, 'invalid UTF-8'),
        g: dl(7, 'wrong key type "log" for raw.k8s.events, expected event'),
        h: dl(8, expect.stringMatching(/^unknown event shape/)),
        i: dl(9, expect.stringMatching(/^malformed key: invalid client id/)),
        p: expect.objectContaining({ kind: 'progress', counters: { processed: 1, errors: 4, foreign: 1, deadLettered: 7 }, total: 9, final: true }),
      });
      flush();
      for (const r of Object.values(recs)) expect(r.ack).toHaveBeenCalledTimes(1);
      const dlq = sent.filter((o) => o.topic === 'dlq.raw');
      expect(dlq).toHaveLength(7);
      expect(dlq[0].headers![DLQ_HEADERS.component]).toBe(`event-normalizer-${C}`);
      expect(dlq[0].headers![DLQ_HEADERS.sourceOffset]).toBe('3');
      expect(dlq[0].value!.toString()).toBe('{not json');
    });
  });

  it('a throwing transform is dead-lettered and the stream goes on', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const transform = (text: string) => {
        if (text === 'boom') throw new Error('kaput');
        return { ok: true as const, value: { id: text, value: Buffer.from(text) } };
      };
      const out$ = normalizeRecords(
        hot('abc|', { a: rec(1, `${C}::event::1`, 'x1'), b: rec(2, `${C}::event::2`, 'boom'), c: rec(3, `${C}::event::3`, 'x3') }),
        { send: () => cold('d|', { d: delivered }) },
        { clientId: C, component: 'event-normalizer', keyTypes: ['event'], outputTopic: 'o', outputKind: 'evt', maxValueBytes: 100 },
        transform,
      );
      expectObservable(out$).toBe('abc|', {
        a: { kind: 'normalized', key: `${C}::evt-x1`, partition: 0, offset: 1 },
        b: { kind: 'dead-lettered', cause: 'content', reason: 'normalizer failed: kaput', partition: 0, offset: 2 },
        c: { kind: 'normalized', key: `${C}::evt-x3`, partition: 0, offset: 3 },
      });
    });
  });

  it('retries a failed send with backoff on the scheduler, then acks', () => {
    newScheduler().run(({ hot, cold, expectObservable, flush }) => {
      const r = rec(1, `${C}::event::u1`, minimal('e1'));
      let calls = 0;
      // Like KafkaSink.send$: cold, so a retry produces again.
      const send = () => defer(() => (++calls === 1 ? cold<Delivered>('#', undefined, new Error('broker down')) : cold('d|', { d: delivered })));
      const out$ = eventNormalizer({ raw$: hot('-r', { r }) }, { send }, { ...config, retryBaseMs: 5 });
      expectObservable(out$, '^-------!').toBe('------n', { n: { kind: 'normalized', key: `${C}::evt-e1`, partition: 0, offset: 1 } });
      flush();
      expect(calls).toBe(2);
      expect(r.ack).toHaveBeenCalledTimes(1);
    });
  });

  it('error: a source error ends the pipeline with it', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const out$ = eventNormalizer({ raw$: hot<SourceRecord>('--#', undefined, new Error('consumer lost')) }, { send: () => cold('d|', { d: delivered }) }, config);
      expectObservable(out$).toBe('--#', undefined, new Error('consumer lost'));
    });
  });

  it('never-ending: progress every T of scheduler time; unsubscribing reaches the source', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const raw$ = hot<SourceRecord>('-r', { r: rec(1, 'other::event::1', minimal('x')) });
      const out$ = eventNormalizer({ raw$ }, { send: () => cold('d|', { d: delivered }) }, { ...config, progressIntervalMs: 10 });
      expectObservable(out$, '^ 25ms !').toBe('-f 8ms p 9ms q', {
        f: { kind: 'foreign' },
        p: { kind: 'progress', counters: { processed: 0, errors: 0, foreign: 1, deadLettered: 0 }, total: 1, ratePerSec: 100, intervalMs: 10, final: false },
        q: { kind: 'progress', counters: { processed: 0, errors: 0, foreign: 1, deadLettered: 0 }, total: 1, ratePerSec: 0, intervalMs: 10, final: false },
      });
      expectSubscriptions(raw$.subscriptions).toBe('^ 25ms !');
    });
  });
});
