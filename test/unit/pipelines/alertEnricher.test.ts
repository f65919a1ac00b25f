import { Observable, of, SchedulerLike, Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { alertEnricher, AlertEnricherEffect, WrittenBatch } from '../../../pipelines/alertEnricher/alertEnricher';
import type { RcaAnswer } from '../../../src/delivery/answer';

const FP = '3f1c0a9be2d47781';
const EID = `alert:${FP}:1714557660000`;

function answer(status: string, top: string[]): RcaAnswer {
  return {
    client: 'acme',
    alert: { fingerprint: FP, eid: EID, alertname: 'KubePodCrashLooping', status, startsAt: '2024-05-01T10:01:00.000Z' },
    faultType: 'oom',
    causes: top.map((eid, i) => ({ rank: i + 1, score: 1 - i / 10, eid, reason: eid, category: 'oom', resource: 'Pod/shop/web-7d9-abc', at: null, hops: 1, path: [{ eid: EID, reason: 'KubePodCrashLooping', resource: 'Pod/shop/web-7d9-abc', at: null, rule: 'oom->alert', confidence: 0.7 }] })),
  };
}

const firing = (at: number, rows = 1): WrittenBatch => ({ at, rows, alerts: [{ fingerprint: FP, eid: EID, status: 'firing' }] });
const evidence = (at: number): WrittenBatch => ({ at, rows: 3, alerts: [] });
const summary = (e: AlertEnricherEffect) =>
  e.kind === 'published' ? `pub r${e.revision} ${e.status} ${e.why} ${e.answer.causes.map((c) => c.eid).join(',')} ${e.latencyMs}` : e.kind === 'stopped' ? `stop ${e.why}` : e.kind;

describe('alertEnricher (alerts.enriched revisions)', () => {
  const run = (marbles: string, values: Record<string, WrittenBatch>, answers: RcaAnswer[], cfg = {}) => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    const out: Array<[number, string]> = [];
    const published: number[] = [];
    let i = 0;
    ts.run(({ cold, flush }) => {
      const written$ = cold(marbles, values);
      const deps = {
        // Each answer is read from the graph in 5 ms; the publication is acknowledged 10 ms later.
        answer: (): Observable<RcaAnswer | null> => cold('-----(a|)', { a: answers[Math.min(i++, answers.length - 1)] }),
        publish: (_a: RcaAnswer, rev: number) => {
          published.push(rev);
          return cold('----------(d|)', { d: rev });
        },
      };
      alertEnricher({ written$ }, deps, { debounceMs: 100, stopAfterResolvedMs: 300, ...cfg }, ts).subscribe((e) => out.push([ts.now(), summary(e)]));
      flush();
    });
    return { out, published };
  };

  it('publishes an alert as soon as it is written, with the latency from the batch, and republishes only when the top causes change', () => {
    const { out, published } = run('a 49ms b 99ms c 99ms d 400ms |', { a: firing(0), b: evidence(50), c: evidence(150), d: evidence(250) }, [
      answer('firing', ['evt:backoff']),
      answer('firing', ['evt:oom', 'evt:backoff']),
      answer('firing', ['evt:oom', 'evt:backoff']),
    ]);
    expect(out).toEqual([
      [15, 'pub r1 firing alert evt:backoff 15'],
      [115, 'pub r2 firing evidence evt:oom,evt:backoff null'],
      [205, 'unchanged'],
      [305, 'unchanged'],
    ]);
    expect(published).toEqual([1, 2]);
  });

  it('debounces: many evidence batches within one interval are one answer', () => {
    const { out } = run('a 9ms b 9ms c 9ms d 9ms e 200ms |', { a: firing(0), b: evidence(10), c: evidence(20), d: evidence(30), e: evidence(40) }, [answer('firing', ['evt:oom']), answer('firing', ['evt:oom'])]);
    expect(out).toEqual([
      [15, 'pub r1 firing alert evt:oom 15'],
      [105, 'unchanged'],
    ]);
  });

  it('a resolved alert is published resolved, then followed only until stopAfterResolvedMs', () => {
    const resolved: WrittenBatch = { at: 50, rows: 1, alerts: [{ fingerprint: FP, eid: EID, status: 'resolved' }] };
    const { out, published } = run('a 49ms r 99ms e 99ms f 199ms g 99ms h 200ms |', { a: firing(0), r: resolved, e: evidence(150), f: evidence(250), g: evidence(450), h: evidence(550) }, [
      answer('firing', ['evt:oom']),
      answer('resolved', ['evt:oom']),
      answer('resolved', ['evt:oom', 'evt:node']),
      answer('resolved', ['evt:oom', 'evt:node', 'evt:x']),
    ]);
    expect(out).toEqual([
      [15, 'pub r1 firing alert evt:oom 15'],
      [65, 'pub r2 resolved alert evt:oom null'],
      [215, 'pub r3 resolved evidence evt:oom,evt:node null'],
      [315, 'pub r4 resolved evidence evt:oom,evt:node,evt:x null'],
      [400, 'stop resolved'],
    ]);
    // Evidence after the stop (450, 550) is not looked at.
    expect(published).toEqual([1, 2, 3, 4]);
  });

  it('a new firing (another startsAt) starts at revision 1; beyond maxTracked the oldest alert is dropped', () => {
    const other = (n: number): WrittenBatch => ({ at: n, rows: 1, alerts: [{ fingerprint: `fp${n}`, eid: `alert:fp${n}:1`, status: 'firing' }] });
    const refire: WrittenBatch = { at: 30, rows: 1, alerts: [{ fingerprint: FP, eid: `alert:${FP}:1714557999000`, status: 'firing' }] };
    const { out } = run('a 19ms b 9ms r 9ms c 9ms |', { a: firing(0), b: other(20), r: refire, c: other(40) }, [answer('firing', ['evt:oom'])], { maxTracked: 2 });
    expect(out.map((o) => o[1])).toEqual(['pub r1 firing alert evt:oom 15', 'pub r1 firing alert evt:oom 15', 'pub r1 firing alert evt:oom 20', 'stop evicted', 'pub r1 firing alert evt:oom 25']);
  });

  it('a failed answer or publication is an effect, and the next evidence tries again', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    const out: string[] = [];
    let calls = 0;
    ts.run(({ cold, flush }) => {
      const deps = {
        answer: () => (calls++ === 0 ? cold<RcaAnswer | null>('-#', undefined, new Error('Neo4j unavailable')) : of(answer('firing', ['evt:oom']))),
        publish: () => cold('-(d|)', { d: 1 }),
      };
      alertEnricher({ written$: cold('a 99ms b 200ms |', { a: firing(0), b: evidence(100) }) }, deps, { debounceMs: 150 }, ts).subscribe((e) => out.push(e.kind === 'failed' ? `failed ${e.stage} ${e.error}` : summary(e)));
      flush();
    });
    expect(out).toEqual(['failed answer Neo4j unavailable', 'pub r1 firing evidence evt:oom 151']);
  });

  it('sets no timer while no alert is followed (an idle client wakes nothing), and ticks once one is', () => {
    const vts = new VirtualTimeScheduler(VirtualAction, 10_000);
    let timers = 0;
    const counting: SchedulerLike = { now: () => vts.now(), schedule: (work, delay, state) => (timers++, vts.schedule(work as never, delay, state)) };
    const written$ = new Subject<WrittenBatch>();
    const answers: string[] = [];
    const deps = { answer: () => (answers.push('answer'), of(answer('firing', ['evt:oom']))), publish: (_a: RcaAnswer, rev: number) => of(rev) };
    const out: string[] = [];
    alertEnricher({ written$ }, deps, { debounceMs: 1000 }, counting).subscribe((e) => out.push(summary(e)));
    written$.next(evidence(0));
    written$.next(evidence(10));
    vts.flush();
    expect(timers).toBe(0);
    expect(out).toEqual([]);
    written$.next(firing(20));
    written$.next(evidence(30));
    vts.flush();
    expect(timers).toBeGreaterThan(0);
    // The firing answered at once; the evidence after it answered again at the next tick.
    expect(out.slice(0, 2)).toEqual(['pub r1 firing alert evt:oom -20', 'unchanged']);
  });
});
