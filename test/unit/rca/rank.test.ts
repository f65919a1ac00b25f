import { BUILTIN_PATTERNS, learnedPattern, libraryOf, wlSimilarity, abstractGraph } from '../../../src/rca/patterns';
import { bestPaths, causalGraph, evidenceGraph, personalisedRank, rankCauses } from '../../../src/rca/rank';
import { RcaSlice, SliceEvent } from '../../../src/rca/slice';
import { scorePair } from '../../../src/graph/causalRules';

const T = Date.parse('2024-05-01T10:00:00Z');
const S = 1000;
const MIN = 60 * S;
const ev = (eid: string, reason: string, category: string, rid: string, ts: number, source = 'k8s'): SliceEvent => ({ eid, reason, category, rid, ts, source, message: '' });
const alertInfo = (eid: string, rid: string, ts: number) => ({ eid, fingerprint: 'f00d', alertname: 'KubePodCrashLooping', status: 'firing', startsAt: new Date(ts).toISOString(), ts, rid });
const E = (cause: string, effect: string, rule: string, confidence: number) => ({ cause, effect, rule, confidence });

const POD = 'Pod/shop/web-1';
const ALERT = 'alert:f00d:' + (T + 16 * MIN);

/** An OOM kill 16 minutes before the alert, its restart and back-off, and a probe failure linked straight to the alert. */
function oomSlice(): RcaSlice {
  return {
    alert: alertInfo(ALERT, POD, T + 16 * MIN),
    events: [
      ev('oom', 'OOMKilled', 'oom', POD, T, 'state'),
      ev('rs', 'Restarted', 'restart', POD, T + S, 'state'),
      ev('bo', 'BackOff', 'backoff', POD, T + 30 * S),
      ev('uh', 'Unhealthy', 'unhealthy', POD, T + 14 * MIN),
      ev(ALERT, 'KubePodCrashLooping', 'alert', POD, T + 16 * MIN, 'alert'),
    ],
    edges: [
      E('oom', 'rs', 'oom->restart', 0.95),
      E('oom', 'bo', 'oom->backoff', 0.922),
      E('rs', 'bo', 'restart->backoff', 0.773),
      E('bo', ALERT, 'backoff->alert', 0.7),
      E('uh', ALERT, 'unhealthy->alert', 0.85),
    ],
    near: [],
    calls: [],
    dependencies: [],
  };
}

/**
 * A liveness probe failing: Unhealthy, the kubelet's Killing, the container's exit 137 after the grace
 * period (state: Error, exit code 137 — categorized as a kill), restarts and back-off, each a few minutes
 * apart; the alert (KubePodCrashLooping) 18 minutes later; every event near the alert (on its pod),
 * edges among them as the write path scores them.
 */
function livenessSlice(exitCategory: string): RcaSlice {
  const A = 'alert:f00d:' + (T + 18 * MIN);
  const events = [
    ev('uh', 'Unhealthy', 'unhealthy', POD, T),
    ev('kill', 'Killing', 'killing', POD, T + 21 * S),
    ev('exit1', 'Error', exitCategory, POD, T + 51 * S, 'state'),
    ev('rs1', 'Restarted', 'restart', POD, T + 52 * S, 'state'),
    ev('exit2', 'Error', exitCategory, POD, T + 4 * MIN, 'state'),
    ev('rs2', 'Restarted', 'restart', POD, T + 4 * MIN + S, 'state'),
    ev('bo', 'BackOff', 'backoff', POD, T + 4 * MIN + 2 * S),
    ev('exit3', 'Error', exitCategory, POD, T + 8 * MIN, 'state'),
    ev('rs3', 'Restarted', 'restart', POD, T + 8 * MIN + S, 'state'),
    ev(A, 'KubePodCrashLooping', 'alert', POD, T + 18 * MIN, 'alert'),
  ];
  const edges = [];
  for (const c of events) for (const e of events) {
    if (c.eid === e.eid || e.category === 'alert' || e.ts <= c.ts) continue;
    const sc = scorePair(c, e, 0, { windowMs: 300_000, minConfidence: 0.05 });
    if (sc) edges.push(E(c.eid, e.eid, sc.rule, sc.confidence));
  }
  return { alert: alertInfo(A, POD, T + 18 * MIN), events, edges, near: events.filter((e) => e.eid !== A).map((e) => ({ eid: e.eid, d: 0 })), calls: [], dependencies: [] };
}

describe('rankCauses', () => {
  it('names the OOM-killed container, not its node\'s report of the same kill (node-problem-detector OOMKilling)', () => {
    // The small corpus's oom-kill as the graph builder stored it: five kills of the container (OOMKilled, Restarted,
    // CrashLoopBackOff from its state), the last four also reported by node-problem-detector on its node (OOMKilling,
    // the same instant), KubePodCrashLooping 50 s after the last. Seconds after the first kill.
    const NODE = 'Node//ip-10-0-90-75.eu-west-1.compute.internal';
    const at: Record<string, number> = { oom1: 0, rs1: 0, bo1: 0, npd1: 406, oom2: 406, rs2: 406, bo2: 406, npd2: 834, oom3: 834, rs3: 834, bo3: 834, npd3: 1219, oom4: 1219, rs4: 1219, bo4: 1219, npd4: 1577, oom5: 1577, rs5: 1577, bo5: 1577 };
    const kind: Record<string, [string, string]> = { oom: ['OOMKilled', 'oom'], rs: ['Restarted', 'restart'], bo: ['CrashLoopBackOff', 'backoff'], npd: ['OOMKilling', 'oom'] };
    const A = 'alert:f00d:' + (T + 1_627_123);
    const events = Object.entries(at).map(([eid, sec]) => {
      const [reason, category] = kind[eid.replace(/\d+$/, '')];
      return ev(eid, reason, category, eid.startsWith('npd') ? NODE : POD, T + sec * S, eid.startsWith('npd') ? 'k8s' : 'state');
    });
    events.push(ev(A, 'KubePodCrashLooping', 'alert', POD, T + 1_627_123, 'alert'));
    const byId = new Map(events.map((e) => [e.eid, e]));
    // The pairs the write path found (a node's report before the pod's state at the same instant), scored by today's rules.
    const pairs = [
      ['rs5', A], ['oom4', A], ['oom3', A], ['oom5', A], ['rs3', A], ['npd4', 'rs5'], ['oom5', 'rs5'], ['npd3', 'oom4'], ['npd2', 'oom3'], ['npd4', 'oom5'], ['npd2', 'rs3'],
      ['oom3', 'rs3'], ['oom5', 'bo5'], ['npd4', 'bo5'], ['rs5', 'bo5'], ['oom4', 'bo4'], ['rs4', 'bo4'], ['npd3', 'bo4'], ['npd3', 'rs4'], ['oom4', 'rs4'], ['npd2', 'bo3'],
      ['rs3', 'bo3'], ['oom3', 'bo3'], ['npd1', 'oom2'], ['oom2', 'rs2'], ['npd1', 'rs2'], ['npd1', 'bo2'], ['rs2', 'bo2'], ['oom2', 'bo2'], ['oom1', 'rs1'], ['rs1', 'bo1'], ['oom1', 'bo1'],
    ];
    const edges = [];
    for (const [c, e] of pairs) {
      const sc = scorePair(byId.get(c)!, byId.get(e)!, byId.get(c)!.rid === byId.get(e)!.rid ? 0 : 1, { windowMs: 300_000, alertLookbackMs: 1_800_000, minConfidence: 0.05 });
      if (sc) edges.push(E(c, e, sc.rule, sc.confidence));
    }
    // One kill reported twice is no cause and effect: the node's OOMKilling → the pod's OOMKilled pairs are not edges.
    expect(edges.filter((x) => x.cause.startsWith('npd') && x.effect.startsWith('oom'))).toEqual([]);
    expect(edges.find((x) => x.cause === 'npd4' && x.effect === 'rs5')).toEqual(E('npd4', 'rs5', 'oom->restart', 0.633));
    const near = events.filter((e) => e.eid !== A).map((e) => ({ eid: e.eid, d: e.rid === POD ? 0 : 1 }));
    const a = rankCauses('acme', { alert: alertInfo(A, POD, T + 1_627_123), events, edges, near, calls: [], dependencies: [] }, BUILTIN_PATTERNS);
    expect(a.causes.slice(0, 3).map((c) => [c.reason, c.resource])).toEqual([['OOMKilled', POD], ['OOMKilled', POD], ['OOMKilled', POD]]);
    expect(a.faultType).toBe('oom');
  });

  it('names the failing liveness probe, not the exits it causes (a container killed by a signal is no crash of its own)', () => {
    const a = rankCauses('acme', livenessSlice('killing'), BUILTIN_PATTERNS);
    expect(a.causes[0]).toMatchObject({ eid: 'uh', reason: 'Unhealthy', category: 'unhealthy' });
    expect(a.faultType).toBe('probe-failure');
    // Taken for crashes, the three exits would outrank the probe failure that caused them.
    const asCrash = rankCauses('acme', livenessSlice('crash'), BUILTIN_PATTERNS);
    expect(asCrash.causes.findIndex((c) => c.eid === 'uh')).toBeGreaterThan(0);
  });

  it('puts the OOM kill first, over the probe failure nearer the alert, with its path and fault type', () => {
    const a = rankCauses('acme', oomSlice(), BUILTIN_PATTERNS);
    expect(a.causes.map((c) => c.eid)).toEqual(['oom', 'uh', 'bo', 'rs']);
    expect(a.faultType).toBe('oom');
    const top = a.causes[0];
    expect(top).toMatchObject({ rank: 1, reason: 'OOMKilled', category: 'oom', resource: POD, at: '2024-05-01T10:00:00.000Z', hops: 2 });
    expect(top.path.map((p) => [p.eid, p.rule, p.confidence])).toEqual([
      ['oom', 'oom->backoff', 0.922],
      ['bo', 'backoff->alert', 0.7],
      [ALERT, null, null],
    ]);
    expect(top.pattern).toMatchObject({ id: 'builtin:oom', faultType: 'oom' });
    // Scores are shares of the candidates, three decimals.
    expect(a.causes.reduce((s, c) => s + c.score, 0)).toBeCloseTo(1, 2);
    for (const c of a.causes) expect(Math.round(c.score * 1000) / 1000).toBe(c.score);
  });

  it('without the priors the walk alone would favour the probe failure (why the priors are there)', () => {
    const s = oomSlice();
    const g = causalGraph(s, { windowMs: 300_000, alertLookbackMs: 1_800_000 });
    const pi = personalisedRank(s.events.map((e) => e.eid), g.edges, () => 1, ALERT, { alpha: 0.15, rho: 0.2, lambda: 1 });
    expect(pi.get('uh')!).toBeGreaterThan(pi.get('oom')!);
  });

  it('links the events on the subject within the lookback that the write path left unlinked', () => {
    const s = oomSlice();
    s.edges = [];
    s.near = [{ eid: 'oom', d: 0 }, { eid: 'bo', d: 0 }];
    const a = rankCauses('acme', s, BUILTIN_PATTERNS);
    expect(a.causes.map((c) => [c.eid, c.path[0].rule, c.path[0].confidence])).toEqual([
      // 16 min back: 0.8 × (1 − (16 − 15) / 30); 15.5 min back: 0.7 × (1 − 0.5 / 30).
      ['oom', 'oom->alert', 0.773],
      ['bo', 'backoff->alert', 0.688],
    ]);
  });

  it('finds a dependency failure two hops away through the Service the alerting pod calls', () => {
    const api = 'Pod/shop/api-1';
    const db = 'Pod/data/pg-0';
    const alert = 'alert:beef:' + (T + 20 * MIN);
    const s: RcaSlice = {
      alert: { ...alertInfo(alert, api, T + 20 * MIN), fingerprint: 'beef', alertname: 'ApiErrorRate' },
      events: [
        ev('conn', 'connection_refused', 'log-conn', api, T + 2 * MIN, 'log'),
        ev('uh', 'Unhealthy', 'unhealthy', api, T + 3 * MIN),
        ev(alert, 'ApiErrorRate', 'alert', api, T + 20 * MIN, 'alert'),
        ev('pg-oom', 'OOMKilled', 'oom', db, T + MIN, 'state'),
        ev('pg-rs', 'Restarted', 'restart', db, T + MIN + S, 'state'),
      ],
      edges: [E('conn', 'uh', 'log-conn->unhealthy', 0.6), E('uh', alert, 'unhealthy->alert', 0.85), E('conn', alert, 'log-conn->alert', 0.6), E('pg-oom', 'pg-rs', 'oom->restart', 0.95)],
      near: [],
      calls: [{ caller: api, callee: 'Service/data/pg', target: db }],
      dependencies: ['pg-oom', 'pg-rs'],
    };
    const a = rankCauses('acme', s, BUILTIN_PATTERNS);
    expect(a.causes[0]).toMatchObject({ eid: 'pg-oom', resource: db, hops: 1 });
    expect(a.causes[0].path.map((p) => p.rule)).toEqual(['dependency:oom->alert', null]);
    expect(a.faultType).toBe('dependency-failure');
    // Without the call the database's events are not candidates at all.
    expect(rankCauses('acme', { ...s, calls: [] }, BUILTIN_PATTERNS).causes.map((c) => c.eid)).not.toContain('pg-oom');
  });

  it('names the fault type from a learned pattern over the built-in one', () => {
    const s = oomSlice();
    const g = causalGraph(s, { windowMs: 300_000, alertLookbackMs: 1_800_000 });
    const reach = new Set(bestPaths(g.edges, ALERT, 8).keys());
    const evidence = evidenceGraph('oom', g.events, g.edges, reach);
    expect(evidence).toEqual({ nodes: ['alert', 'backoff', 'oom', 'restart'], edges: ['backoff>alert', 'oom>backoff', 'oom>restart', 'restart>backoff'] });
    const learned = learnedPattern('memory-leak', 'oom', evidence);
    const a = rankCauses('acme', s, libraryOf([learned]));
    expect(a.faultType).toBe('memory-leak');
    expect(a.causes[0].pattern).toEqual({ id: learned.id, faultType: 'memory-leak', similarity: 1 });
    // Without the FEKG the fault type comes from the top cause's category.
    expect(rankCauses('acme', s, libraryOf([learned]), { fekg: false }).faultType).toBe('oom');
  });

  it('prefers the OOMKilled on the alerting pod over the same kill reported on its node', () => {
    const s = oomSlice();
    s.events.push(ev('npd', 'OOMKilling', 'oom', 'Node//n1', T - S));
    // As the write path scores them: the node one hop away, the two reports of one kill a co-occurrence.
    s.edges.push(E('npd', ALERT, 'oom->alert', 0.515), E('npd', 'oom', 'co-occurrence', 0.2), E('oom', ALERT, 'oom->alert', 0.773));
    const a = rankCauses('acme', s, BUILTIN_PATTERNS);
    expect(a.causes.slice(0, 2).map((c) => [c.eid, c.resource])).toEqual([['oom', POD], ['npd', 'Node//n1']]);
    expect(a.causes[0].path.map((p) => p.rule)).toEqual(['oom->alert', null]);
  });

  it('finds a node failure upstream of the pods it took down, two hops from a Deployment alert', () => {
    const dep = 'Deployment/shop/web';
    const alert = 'alert:d00d:' + (T + 20 * MIN);
    const pods = ['a', 'b', 'c'];
    const s: RcaSlice = {
      alert: { ...alertInfo(alert, dep, T + 20 * MIN), fingerprint: 'd00d', alertname: 'KubeDeploymentReplicasMismatch' },
      events: [
        ev('node', 'NodeNotReady', 'node-not-ready', 'Node//n2', T),
        ...pods.map((p) => ev(`nr-${p}`, 'NodeNotReady', 'not-ready', `Pod/shop/web-${p}`, T + 40 * S)),
        ev('bo', 'BackOff', 'backoff', 'Pod/shop/web-d', T + 5 * MIN),
        ev('fs', 'FailedSync', 'warning', 'Pod/shop/web-d', T + 4 * MIN),
        ev(alert, 'KubeDeploymentReplicasMismatch', 'alert', dep, T + 20 * MIN, 'alert'),
      ],
      edges: [
        ...pods.map((p) => E('node', `nr-${p}`, 'node-not-ready->not-ready', 0.567)),
        ...pods.map((p) => E(`nr-${p}`, alert, 'not-ready->alert', 0.375)),
        E('bo', alert, 'backoff->alert', 0.35),
        E('fs', 'bo', 'co-occurrence', 0.28),
      ],
      near: [],
      calls: [],
      dependencies: [],
    };
    const a = rankCauses('acme', s, BUILTIN_PATTERNS);
    expect(a.causes[0]).toMatchObject({ eid: 'node', resource: 'Node//n2', hops: 2 });
    expect(a.faultType).toBe('node-not-ready');
    expect(a.causes[0].path.map((p) => p.rule)).toEqual(['node-not-ready->not-ready', 'not-ready->alert', null]);
  });

  it('answers an alert with no causes with an empty list', () => {
    const s = oomSlice();
    const a = rankCauses('acme', { ...s, events: s.events.filter((e) => e.eid === ALERT), edges: [] }, BUILTIN_PATTERNS);
    expect(a).toMatchObject({ faultType: null, causes: [], alert: { fingerprint: 'f00d', eid: ALERT } });
  });
});

describe('personalisedRank', () => {
  it('is a distribution and keeps the walker on a root-like sink', () => {
    const pi = personalisedRank(['a', 'x', 'r'], [{ cause: 'x', effect: 'a', confidence: 1 }, { cause: 'r', effect: 'x', confidence: 1 }], (n) => (n === 'r' ? 1 : 0), 'a', { alpha: 0.15, rho: 0, lambda: 1 });
    expect([...pi.values()].reduce((s, v) => s + v, 0)).toBeCloseTo(1, 9);
    // Only restarts reach a (π = α); x gets what leaves a; r holds the walker until a restart and takes the rest.
    expect(pi.get('a')!).toBeCloseTo(0.15, 6);
    expect(pi.get('x')!).toBeCloseTo(0.1275, 6);
    expect(pi.get('r')!).toBeCloseTo(0.7225, 6);
    expect(pi.get('r')!).toBeGreaterThan(pi.get('x')!);
  });
});

describe('WL kernel', () => {
  it('is 1 for the same shape, lower for a partial one, 0 for disjoint categories', () => {
    const g = abstractGraph([{ cause: 'oom', effect: 'backoff' }, { cause: 'backoff', effect: 'alert' }]);
    expect(wlSimilarity(g, g)).toBeCloseTo(1, 9);
    const partial = wlSimilarity(g, abstractGraph([{ cause: 'oom', effect: 'alert' }]));
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(0.6);
    expect(wlSimilarity(g, abstractGraph([{ cause: 'volume', effect: 'failed-mount' }]))).toBe(0);
  });
  it('has a built-in pattern for every built-in fault type', () => {
    expect(BUILTIN_PATTERNS.map((p) => p.faultType).sort()).toEqual(
      ['bad-rollout', 'cni-sandbox', 'crash-loop', 'crash-loop-config', 'dependency-failure', 'failed-job', 'image-pull', 'missing-config', 'node-not-ready', 'node-pressure', 'oom', 'probe-failure', 'pvc-pending', 'scheduling'],
    );
  });
});
