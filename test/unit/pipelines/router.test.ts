import { TestScheduler } from 'rxjs/testing';
import { Observable, of, tap, throwError } from 'rxjs';
import { router, RouterEffect } from '../../../pipelines/router/router';
import { Delivered, OutRecord, SourceRecord } from '../../../src/kafka/record';
import { routeOf } from '../../../src/tenancy/routeOf';
import { settle } from '../../../src/runner/settle';

function rec(offset: number, key: string | null, topic = 'raw.k8s.events'): SourceRecord {
  return { topic, partition: 0, offset, key: key === null ? null : Buffer.from(key), value: Buffer.from(`v${offset}`), headers: {}, timestamp: 0, ack: () => undefined };
}
const route = (r: SourceRecord) => routeOf(r.key, null);
const offsets = (e: RouterEffect) => ('settles' in e ? e.settles.map((r) => r.offset) : []);

describe('router (marbles)', () => {
  it('copies each record to its client topic and settles it on the delivery report', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ hot, cold, expectObservable, flush }) => {
      const sent: OutRecord[][] = [];
      const a0 = rec(0, 'acme::event::1');
      const b1 = rec(1, 'beta::event::2');
      const a2 = rec(2, 'acme::event::3');
      const batches$ = hot('-x------|', { x: [a0, b1, a2] });
      const sendBatch = (out: OutRecord[]): Observable<Delivered[]> => {
        sent.push(out);
        return cold('--(d|)', { d: out.map((_, i) => ({ topic: out[0].topic, partition: 0, offset: i })) });
      };
      const out$ = router({ batches$ }, { route, clientReady: () => cold('(t|)', { t: true }), sendBatch }, { unregisteredGraceMs: 10 });
      expectObservable(out$).toBe('---(ab)-|', {
        a: { kind: 'router/routed', client: 'acme', count: 2, settles: [a0, a2] },
        b: { kind: 'router/routed', client: 'beta', count: 1, settles: [b1] },
      });
      flush();
      expect(sent.map((b) => b.map((o) => [o.topic, o.value!.toString()]))).toEqual([
        [['raw.k8s.events.acme', 'v0'], ['raw.k8s.events.acme', 'v2']],
        [['raw.k8s.events.beta', 'v1']],
      ]);
    });
  });

  it('dead-letters a record without a client once, with the reason, and routes the rest', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ hot, cold, flush }) => {
      const sent: OutRecord[][] = [];
      const batches$ = hot('-x|', { x: [rec(0, null), rec(1, 'acme'), rec(2, 'acme::log::1', 'raw.k8s.logs')] });
      const sendBatch = (out: OutRecord[]): Observable<Delivered[]> => {
        sent.push(out);
        return cold('(d|)', { d: [] });
      };
      const effects: RouterEffect[] = [];
      router({ batches$ }, { route, clientReady: () => cold('(t|)', { t: true }), sendBatch }, { unregisteredGraceMs: 10 }).subscribe((e) => effects.push(e));
      flush();
      expect(effects.map((e) => [e.kind, offsets(e)])).toEqual([
        ['router/dead-lettered', [0]],
        ['router/dead-lettered', [1]],
        ['router/routed', [2]],
      ]);
      const dlq = sent.filter((b) => b[0].topic === 'dlq.raw').flat();
      expect(dlq.map((o) => String(o.headers!['kg.error']))).toEqual([
        expect.stringMatching(/the key is empty and DEFAULT_CLIENT_ID is not set/),
        expect.stringMatching(/malformed key "acme"/),
      ]);
      expect(sent.flat().filter((o) => o.topic === 'raw.k8s.logs.acme')).toHaveLength(1);
    });
  });

  it('holds a client without topics until they exist, in order, then routes', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ hot, cold, expectObservable, flush }) => {
      let ready = false;
      const r0 = rec(0, 'newc::event::1');
      const r1 = rec(1, 'newc::event::2');
      const batches$ = hot('-x-y', { x: [r0], y: [r1] });
      hot('------r').subscribe(() => (ready = true));
      const sendBatch = (out: OutRecord[]) => cold<Delivered[]>('(d|)', { d: [] });
      const out$ = router({ batches$ }, { route, clientReady: () => cold('(t|)', { t: ready }), sendBatch }, { unregisteredGraceMs: 100, recheckMs: 2 });
      expectObservable(out$).toBe('-w-----(ab)', {
        w: { kind: 'router/waiting', client: 'newc', records: 1 },
        a: { kind: 'router/routed', client: 'newc', count: 1, settles: [r0] },
        b: { kind: 'router/routed', client: 'newc', count: 1, settles: [r1] },
      });
      flush();
    });
  });

  it('dead-letters a made-up client after the grace, creating nothing', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ hot, cold, expectObservable }) => {
      const r0 = rec(0, 'madeup::event::1');
      const batches$ = hot('-x', { x: [r0] });
      const topics: string[] = [];
      const sendBatch = (out: OutRecord[]) => {
        topics.push(...out.map((o) => o.topic));
        return cold<Delivered[]>('(d|)', { d: [] });
      };
      const out$ = router({ batches$ }, { route, clientReady: () => cold('(f|)', { f: false }), sendBatch }, { unregisteredGraceMs: 5, recheckMs: 2 });
      expectObservable(out$).toBe('-w-----d', {
        w: { kind: 'router/waiting', client: 'madeup', records: 1 },
        d: { kind: 'router/dead-lettered', client: 'madeup', reason: expect.stringMatching(/client "madeup" has no topics \(not registered\) after 0 s/), settles: [r0] },
      });
    });
  });

  it('retries a failed produce with backoff and settles nothing before it succeeds', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ hot, cold, expectObservable }) => {
      const r0 = rec(0, 'acme::event::1');
      let calls = 0;
      const sendBatch = () => (++calls === 1 ? cold<Delivered[]>('-#', undefined, new Error('broker away')) : cold<Delivered[]>('(d|)', { d: [] }));
      const out$ = router({ batches$: hot('-x', { x: [r0] }) }, { route, clientReady: () => cold('(t|)', { t: true }), sendBatch }, { unregisteredGraceMs: 5, retryInitialMs: 3 });
      expectObservable(out$).toBe('--r--a', {
        r: { kind: 'router/retry', client: 'acme', records: 1, attempt: 1, delayMs: 3, error: 'broker away' },
        a: { kind: 'router/routed', client: 'acme', count: 1, settles: [r0] },
      });
    });
  });

  it('tears down the source when unsubscribed', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const batches$ = hot('-x----', { x: [rec(0, 'acme::event::1')] });
      const out$ = router({ batches$ }, { route, clientReady: () => cold('(t|)', { t: true }), sendBatch: () => cold<Delivered[]>('----(d|)', { d: [] }) }, { unregisteredGraceMs: 5 });
      expectObservable(out$, '^--!').toBe('---');
      expectSubscriptions(batches$.subscriptions).toBe('^--!');
    });
  });
});

type Cold = (marbles: string, values?: Record<string, Delivered[]>, error?: unknown) => Observable<Delivered[]>;

/** A sendBatch that answers its calls with the marbles given, in turn (then at once), and records "topic:value" of what it was sent. */
function scriptedSink(cold: Cold, replies: string[]): { sent: string[]; sendBatch: (out: OutRecord[]) => Observable<Delivered[]> } {
  const sent: string[] = [];
  const sendBatch = (out: OutRecord[]) => {
    sent.push(...out.map((o) => `${o.topic}:${o.value!.toString()}`));
    return cold(replies.shift() ?? '(d|)', { d: [] }, new Error('topic gone'));
  };
  return { sent, sendBatch };
}

describe('router pipelining (marbles)', () => {
  const acme = (offset: number) => rec(offset, `acme::event::${offset}`);
  const values = (out: OutRecord[]) => out.map((o) => o.value!.toString());

  it('sends a client\'s next chunk before the previous one is delivered, and settles them in order when the deliveries come back reversed', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot, cold, flush }) => {
      const sentAt: Array<[number, string[]]> = [];
      const acked: number[] = [];
      const [r0, r1, r2] = [acme(0), acme(1), acme(2)].map((r) => ({ ...r, ack: () => acked.push(r.offset) }));
      let calls = 0;
      const delays = ['-----(d|)', '-(d|)', '--(d|)'];
      const sendBatch = (out: OutRecord[]): Observable<Delivered[]> => {
        sentAt.push([ts.now(), values(out)]);
        return cold(delays[calls++], { d: [] });
      };
      const batches$ = hot('-x-y-z', { x: [r0], y: [r1], z: [r2] });
      const out$ = router({ batches$ }, { route, clientReady: () => cold('(t|)', { t: true }), sendBatch }, { unregisteredGraceMs: 100, depth: 2 });
      const seen: Array<[number, string, number[]]> = [];
      out$.pipe(tap((e) => settle(e))).subscribe((e) => seen.push([ts.now(), e.kind, offsets(e)]));
      flush();
      // Pipelined: r1 sent at 3, while r0 (sent at 1) is still out; r2 waits for room in the window.
      expect(sentAt).toEqual([[1, ['v0']], [3, ['v1']], [6, ['v2']]]);
      // r1 is delivered at 4, before r0 (at 6): it is settled only after r0, then r2 at 8.
      expect(seen).toEqual([[6, 'router/routed', [0]], [6, 'router/routed', [1]], [8, 'router/routed', [2]]]);
      expect(acked).toEqual([0, 1, 2]);
    });
  });

  it('after a failed send, sends it again and then every chunk sent after it, in order, and settles each once', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot, cold, flush }) => {
      const sent: string[] = [];
      const acked: number[] = [];
      const [r0, r1, r2] = [acme(0), acme(1), acme(2)].map((r) => ({ ...r, ack: () => acked.push(r.offset) }));
      // r0's first send fails at 5, after r1 (delivered at 2) and r2 (at 4) were sent behind it.
      const replies = ['----#', '(d|)', '-(d|)'];
      const sendBatch = (out: OutRecord[]): Observable<Delivered[]> => {
        sent.push(...values(out));
        return cold(replies.shift() ?? '(d|)', { d: [] }, new Error('broker away'));
      };
      const batches$ = hot('-xyz', { x: [r0], y: [r1], z: [r2] });
      const seen: Array<[number, string, number[]]> = [];
      router({ batches$ }, { route, clientReady: () => cold('(t|)', { t: true }), sendBatch }, { unregisteredGraceMs: 100, retryInitialMs: 3 })
        .pipe(tap((e) => settle(e)))
        .subscribe((e) => seen.push([ts.now(), e.kind, offsets(e)]));
      flush();
      // The copies of r1 and r2 that landed before r0's retry are duplicates; from the retry on the order is the input's.
      expect(sent).toEqual(['v0', 'v1', 'v2', 'v0', 'v1', 'v2']);
      expect(seen).toEqual([
        [5, 'router/retry', []],
        [8, 'router/routed', [0]],
        [8, 'router/routed', [1]],
        [8, 'router/routed', [2]],
      ]);
      expect(acked).toEqual([0, 1, 2]);
    });
  });

  it('does not dead-letter a chunk twice when a send ahead of it fails and is redone', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot, cold, flush }) => {
      let ready = true;
      const r0 = rec(0, 'newc::event::0');
      const r1 = rec(1, 'newc::event::1');
      const { sent, sendBatch } = scriptedSink(cold, ['---------#']);
      // The client's topics vanish at 2 (r0 was already sent) and are back at 12.
      hot('--f---------t').subscribe((x) => (ready = x === 't'));
      const batches$ = hot('-x-y', { x: [r0], y: [r1] });
      const seen: Array<[number, string, number[]]> = [];
      router({ batches$ }, { route, clientReady: () => cold('(t|)', { t: ready }), sendBatch }, { unregisteredGraceMs: 4, recheckMs: 2, retryInitialMs: 3 }).subscribe((e) =>
        seen.push([ts.now(), e.kind, offsets(e)]),
      );
      flush();
      // r1 waited from 3 and was dead-lettered at 7 (grace 4); r0 failed at 10 and went again at 13; r1 is not redone.
      expect(sent).toEqual(['raw.k8s.events.newc:v0', 'dlq.raw:v1', 'raw.k8s.events.newc:v0']);
      expect(seen).toEqual([
        [10, 'router/retry', []],
        [13, 'router/routed', [0]],
        [13, 'router/waiting', []],
        [13, 'router/dead-lettered', [1]],
      ]);
    });
  });

  it('lets a dead letter under way finish when a send ahead of it fails, and writes it once', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot, cold, flush }) => {
      let ready = true;
      const r0 = rec(0, 'gone::event::0');
      const r1 = rec(1, 'gone::event::1');
      // r0's copy fails at 9; r1's dead letter (its grace ran out at 6) is being written until 10.
      const { sent, sendBatch } = scriptedSink(cold, ['--------#', '----(d|)']);
      hot('--f').subscribe(() => (ready = false)); // the client's topics are deleted at 2
      const batches$ = hot('-x-y', { x: [r0], y: [r1] });
      const seen: Array<[number, string, number[]]> = [];
      router({ batches$ }, { route, clientReady: () => cold('(t|)', { t: ready }), sendBatch }, { unregisteredGraceMs: 3, recheckMs: 3, retryInitialMs: 3 }).subscribe((e) =>
        seen.push([ts.now(), e.kind, offsets(e)]),
      );
      flush();
      expect(sent).toEqual(['raw.k8s.events.gone:v0', 'dlq.raw:v1', 'dlq.raw:v0']);
      expect(seen.filter(([, k]) => k !== 'router/waiting')).toEqual([
        [9, 'router/retry', []],
        [15, 'router/dead-lettered', [0]],
        [15, 'router/dead-lettered', [1]],
      ]);
    });
  });

  it('sends nothing after a send that fails at once, until it went again', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot, cold, flush }) => {
      const [r0, r1, r2] = [acme(0), acme(1), acme(2)];
      // Depth 1: r1 and r2 wait behind r0 (delivered at 3); then r1's send is refused as it is made (a record too large, a full local queue).
      const replies: Array<() => Observable<Delivered[]>> = [() => cold('--(d|)', { d: [] }), () => throwError(() => new Error('refused'))];
      const sent: string[] = [];
      const sendBatch = (out: OutRecord[]): Observable<Delivered[]> => {
        sent.push(...values(out));
        return (replies.shift() ?? (() => of([])))();
      };
      const batches$ = hot('-x(yz)', { x: [r0], y: [r1], z: [r2] });
      const seen: Array<[number, string, number[]]> = [];
      router({ batches$ }, { route, clientReady: () => of(true), sendBatch }, { unregisteredGraceMs: 100, retryInitialMs: 2, depth: 1 }).subscribe((e) => seen.push([ts.now(), e.kind, offsets(e)]));
      flush();
      expect(sent).toEqual(['v0', 'v1', 'v1', 'v2']);
      expect(seen).toEqual([
        [3, 'router/routed', [0]],
        [3, 'router/retry', []],
        [5, 'router/routed', [1]],
        [5, 'router/routed', [2]],
      ]);
    });
  });
});
