import { categorizeK8sEvent, priorOf, ruleFor, scorePair } from '../../../src/graph/causalRules';
import { batchCandidatePairs, causalEdges, CandidatePair } from '../../../src/graph/causality';

const opts = { windowMs: 300_000, minConfidence: 0.1, maxCausesPerEffect: 5 };
const pair = (a: string, ats: number, acat: string, b: string, bts: number, bcat: string, d = 0): CandidatePair => ({ a, ats, acat, b, bts, bcat, d });

describe('categorizeK8sEvent', () => {
  it.each([
    ['OOMKilled', 'Warning', 'oom'],
    ['OOMKilling', 'Warning', 'oom'],
    ['ImagePullBackOff', 'Warning', 'image-pull'],
    ['ErrImagePull', 'Warning', 'image-pull'],
    ['BackOff', 'Warning', 'backoff'],
    ['Unhealthy', 'Warning', 'unhealthy'],
    ['FailedScheduling', 'Warning', 'failed-scheduling'],
    ['NodeNotReady', 'Normal', 'node-not-ready'],
    ['Evicted', 'Warning', 'eviction'],
    ['FailedMount', 'Warning', 'failed-mount'],
    ['SomethingOdd', 'Warning', 'warning'],
    ['Pulled', 'Normal', 'normal'],
  ])('%s (%s) → %s', (reason, type, category) => {
    expect(categorizeK8sEvent(reason, type, null, '')).toBe(category);
  });
  it('takes a container terminated by SIGKILL / SIGTERM (137 / 143, not OOMKilled) for a kill, any other exit for a crash', () => {
    expect(categorizeK8sEvent('Error', 'Warning', 'state:container-terminated', 'container api terminated: Error (exit code 137)', 'Pod')).toBe('killing');
    expect(categorizeK8sEvent('Error', 'Warning', 'state:container-terminated', 'container api terminated: Error (exit code 143)', 'Pod')).toBe('killing');
    expect(categorizeK8sEvent('Error', 'Warning', 'state:container-terminated', 'container api terminated: Error (exit code 1)', 'Pod')).toBe('crash');
    expect(categorizeK8sEvent('Error', 'Warning', 'state:container-terminated', 'container api terminated: Error (exit code 1370)', 'Pod')).toBe('crash');
    expect(categorizeK8sEvent('OOMKilled', 'Warning', 'state:container-terminated', 'container api terminated: OOMKilled (exit code 137)', 'Pod')).toBe('oom');
  });
  it('links a failing liveness probe to the kill and the restarts it causes, and the Killing to the exit', () => {
    expect(ruleFor('unhealthy', 'restart')?.weight).toBe(0.65);
    expect(ruleFor('unhealthy', 'backoff')?.weight).toBe(0.6);
    expect(scorePair({ category: 'killing', ts: 0 }, { category: 'killing', ts: 30_000 }, 0, opts)).toEqual({ rule: 'killing->killing', confidence: 0.808 });
    // A killed container is a symptom: its prior is below the probe failure's.
    expect(priorOf('killing')).toBeLessThan(priorOf('unhealthy'));
  });
  it('reads a pull failure from a generic Failed reason', () => {
    expect(categorizeK8sEvent('Failed', 'Warning', null, 'Failed to pull image "x": not found')).toBe('image-pull');
  });
});

describe('scorePair', () => {
  it('weights rule, time order and distance', () => {
    expect(scorePair({ category: 'oom', ts: 0 }, { category: 'backoff', ts: 10_000 }, 0, opts)).toEqual({ rule: 'oom->backoff', confidence: 0.934 });
    const far = scorePair({ category: 'oom', ts: 0 }, { category: 'backoff', ts: 10_000 }, 2, opts)!;
    expect(far.confidence).toBeCloseTo(0.467, 3);
    const late = scorePair({ category: 'oom', ts: 0 }, { category: 'backoff', ts: 290_000 }, 0, opts)!;
    expect(late.confidence).toBeLessThan(0.6);
  });
  it('uses the co-occurrence prior without a rule, nothing for normal events, reversed time or out of window', () => {
    expect(scorePair({ category: 'warning', ts: 0 }, { category: 'backoff', ts: 0 }, 0, opts)).toEqual({ rule: 'co-occurrence', confidence: 0.3 });
    expect(scorePair({ category: 'normal', ts: 0 }, { category: 'backoff', ts: 1 }, 0, opts)).toBeUndefined();
    expect(scorePair({ category: 'oom', ts: 10 }, { category: 'backoff', ts: 0 }, 0, opts)).toBeUndefined();
    expect(scorePair({ category: 'oom', ts: 0 }, { category: 'backoff', ts: 300_001 }, 0, opts)).toBeUndefined();
  });
  it('drops edges under the minimum confidence', () => {
    expect(scorePair({ category: 'warning', ts: 0 }, { category: 'warning', ts: 290_000 }, 2, opts)).toBeUndefined();
  });
});

describe('causalEdges', () => {
  it('is empty for no pairs', () => {
    expect(causalEdges([], opts)).toEqual([]);
  });
  it('orients by time whichever side the pair was found from, once per pair, at the shortest distance', () => {
    const edges = causalEdges(
      [pair('b', 10_000, 'backoff', 'a', 0, 'oom', 1), pair('a', 0, 'oom', 'b', 10_000, 'backoff', 0)],
      opts,
    );
    expect(edges).toEqual([{ cause: 'a', effect: 'b', confidence: 0.934, rule: 'oom->backoff', lag_ms: 10_000, distance: 0 }]);
  });
  it('breaks a time tie by the rule, then by id', () => {
    expect(causalEdges([pair('z', 5, 'backoff', 'y', 5, 'oom')], opts)[0]).toMatchObject({ cause: 'y', effect: 'z' });
    expect(causalEdges([pair('z', 5, 'warning', 'y', 5, 'warning')], opts)[0]).toMatchObject({ cause: 'y', effect: 'z' });
  });
  it('keeps the strongest causes per effect', () => {
    const pairs = ['c1', 'c2', 'c3'].map((c, i) => pair('e', 100_000, 'backoff', c, i * 1000, i === 2 ? 'oom' : 'warning'));
    const edges = causalEdges(pairs, { ...opts, maxCausesPerEffect: 2 });
    expect(edges.map((e) => e.cause)).toEqual(['c3', 'c2']);
  });
  it('gives the same edges whatever the arrival order', () => {
    const pairs = [pair('a', 0, 'oom', 'b', 10, 'backoff'), pair('b', 10, 'backoff', 'c', 20, 'unhealthy'), pair('a', 0, 'oom', 'c', 20, 'unhealthy')];
    const sort = (x: ReturnType<typeof causalEdges>) => [...x].sort((p, q) => (p.cause + p.effect < q.cause + q.effect ? -1 : 1));
    expect(sort(causalEdges([...pairs].reverse(), opts))).toEqual(sort(causalEdges(pairs, opts)));
  });
});

describe('batchCandidatePairs', () => {
  const row = (eid: string, ts: number, category: string, rid: string | null) => ({ eid, ts, category, rid });
  it('pairs the batch events on the same resource, a stub resource included, both ways', () => {
    const pairs = batchCandidatePairs([row('oom', 0, 'oom', 'Pod/a/p'), row('bo', 10_000, 'backoff', 'Pod/a/p'), row('n', 5, 'normal', 'Pod/a/p')], [], 300_000, 50);
    expect(pairs).toEqual([pair('oom', 0, 'oom', 'bo', 10_000, 'backoff'), pair('bo', 10_000, 'backoff', 'oom', 0, 'oom')]);
  });
  it('pairs on related resources at their distance, merges stored candidates, orders nearest first and cuts at maxCandidates', () => {
    const stored = [
      { rid: 'Service/a/s', related: [{ rid: 'Service/a/s', d: 0 }, { rid: 'Pod/a/p', d: 1 }], cands: [{ a: 'alert', b: 'old', bts: 50_000, bcat: 'unhealthy', d: 1 }] },
    ];
    const rows = [row('alert', 60_000, 'alert', 'Service/a/s'), row('bo', 10_000, 'backoff', 'Pod/a/p'), row('far', 500_000, 'oom', 'Pod/a/p')];
    const pairs = batchCandidatePairs(rows, stored, 300_000, 1);
    // alert: 'old' (10 s away) beats 'bo' (50 s away) at the same distance; 'far' is out of the window.
    expect(pairs.filter((p) => p.a === 'alert')).toEqual([pair('alert', 60_000, 'alert', 'old', 50_000, 'unhealthy', 1)]);
    // The pod has no stored row: related to itself only, so the service's alert is found from the alert's side.
    expect(pairs.filter((p) => p.a === 'bo')).toEqual([]);
    expect(causalEdges(batchCandidatePairs(rows, stored, 300_000, 50), opts).map((e) => [e.cause, e.effect, e.rule])).toEqual(
      expect.arrayContaining([['bo', 'alert', 'backoff->alert'], ['old', 'alert', 'unhealthy->alert']]),
    );
  });
});
