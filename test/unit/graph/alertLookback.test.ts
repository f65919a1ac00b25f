import { readAlertLookbackMs } from '../../../src/commands/graph-builder';
import { alertParsed } from './alertLookbackFixture';
import { categorizeK8sEvent, categorizeLogClass, inCausalReach, scorePair, timeFactor } from '../../../src/graph/causalRules';
import { batchCandidatePairs, causalEdges } from '../../../src/graph/causality';
import { CausalMemory, ReadRows } from '../../../src/graph/causalMemory';
import { EventRow, eventRowOfAlert } from '../../../src/graph/eventRows';
import { storedCandidates } from '../../../src/graph/cypher';

const MIN = 60_000;
const s = { windowMs: 300_000, alertLookbackMs: 1_800_000, minConfidence: 0.1 };

describe('alert lookback in the causal scoring', () => {
  it('reaches 30 minutes back from an alert and 5 from anything else', () => {
    expect(scorePair({ category: 'oom', ts: 0 }, { category: 'alert', ts: 15 * MIN }, 0, s)).toEqual({ rule: 'oom->alert', confidence: 0.8 });
    // Past half the lookback the time factor falls to 0.5 at its end: 1 − (20 − 15) / 30.
    expect(scorePair({ category: 'oom', ts: 0 }, { category: 'alert', ts: 20 * MIN }, 0, s)).toEqual({ rule: 'oom->alert', confidence: 0.667 });
    expect(scorePair({ category: 'oom', ts: 0 }, { category: 'alert', ts: 30 * MIN + 1 }, 0, s)).toBeUndefined();
    expect(scorePair({ category: 'oom', ts: 0 }, { category: 'backoff', ts: 15 * MIN }, 0, s)).toBeUndefined();
    // The node's OOMKilling and the container's OOMKilled are one kill: no edge either way, whatever the lag.
    expect(scorePair({ category: 'oom', ts: 0 }, { category: 'oom', ts: 0 }, 1, s)).toBeUndefined();
    expect(scorePair({ category: 'oom', ts: 0 }, { category: 'oom', ts: 2_000 }, 0, s)).toBeUndefined();
    expect(scorePair({ category: 'oom', ts: 0 }, { category: 'restart', ts: 0 }, 1, s)).toEqual({ rule: 'oom->restart', confidence: 0.633 });
    // Without a lookback the alert has the window's reach.
    expect(scorePair({ category: 'oom', ts: 0 }, { category: 'alert', ts: 15 * MIN }, 0, { windowMs: 300_000, minConfidence: 0.1 })).toBeUndefined();
  });
  it('does not punish a 15-minute lag', () => {
    expect(timeFactor(15 * MIN, 'alert', s)).toBe(1);
    expect(timeFactor(MIN, 'alert', s)).toBe(1);
    expect(timeFactor(150_000, 'backoff', s)).toBe(0.75);
  });
  it('is symmetric: either end finds the pair, only with the alert later', () => {
    const oom = { ts: 0, category: 'oom' };
    const alert = { ts: 25 * MIN, category: 'alert' };
    expect(inCausalReach(oom, alert, s)).toBe(true);
    expect(inCausalReach(alert, oom, s)).toBe(true);
    expect(inCausalReach({ ts: 26 * MIN, category: 'oom' }, { ts: 0, category: 'alert' }, s)).toBe(false);
    expect(inCausalReach({ ts: 0, category: 'oom' }, { ts: 6 * MIN, category: 'backoff' }, s)).toBe(false);
  });
  it('pairs a batch event with an alert 15 minutes later, from both sides', () => {
    const rows = [
      { eid: 'oom', ts: 0, category: 'oom', rid: 'Pod/a/p' },
      { eid: 'al', ts: 15 * MIN, category: 'alert', rid: 'Pod/a/p' },
      { eid: 'bo', ts: 10 * MIN, category: 'backoff', rid: 'Pod/a/p' },
    ];
    const pairs = batchCandidatePairs(rows, [], 300_000, 50, 1_800_000);
    expect(pairs.map((p) => `${p.a}>${p.b}`).sort()).toEqual(['al>bo', 'al>oom', 'bo>al', 'oom>al']);
    const edges = causalEdges(pairs, { ...s, maxCausesPerEffect: 5 });
    expect(edges.map((e) => [e.cause, e.effect, e.rule, e.confidence])).toEqual([
      ['oom', 'al', 'oom->alert', 0.8],
      ['bo', 'al', 'backoff->alert', 0.7],
    ]);
    // Without the lookback only the back-off (5 min before) pairs with the alert; the OOM is 10 min before the back-off.
    expect(batchCandidatePairs(rows, [], 300_000, 50).map((p) => `${p.a}>${p.b}`).sort()).toEqual(['al>bo', 'bo>al']);
  });
  it('sends the lookback to the Neo4j search with each event', () => {
    const row = (eid: string, ts: number, category: string) => ({ eid, ts, category, rid: 'Pod/a/p', last_ts: ts, source: 'k8s', reason: 'r', severity: 'warning', message: '', count: 1, detail: null, kind: 'Pod', namespace: 'a', name: 'p' }) as EventRow;
    const st = storedCandidates('acme', [row('x', 5, 'oom'), row('al', 9, 'alert')], 300_000, 50, [], [], 1_800_000)!;
    expect(st.params).toMatchObject({ window: 300_000, lookback: 1_800_000 });
    expect(st.params.groups).toEqual([{ rid: 'Pod/a/p', evs: [{ eid: 'x', ts: 5, alert: false, back: 300_000 }, { eid: 'al', ts: 9, alert: true, back: 1_800_000 }] }]);
  });
});

describe('CausalMemory with an alert lookback', () => {
  it('covers the lookback before an alert and after any event, and finds the pair from both sides', async () => {
    const stored = [{ eid: 'oom', ts: 1_000_000, category: 'oom', rid: 'Pod/ns/p', ref: 'r1' }];
    const calls: Array<Record<string, unknown>> = [];
    const read: ReadRows = async (st) => {
      calls.push(st.params);
      if ('rids' in st.params) return [];
      const { from, to } = st.params as { from: number; to: number };
      return stored.filter((e) => e.ts >= from && e.ts <= to);
    };
    const m = new CausalMemory('acme', { windowMs: 300_000, alertLookbackMs: 1_800_000, maxCandidates: 5, maxEvents: 100, topologyTtlMs: 5000, isolatedTtlMs: 500 }, () => 0);
    const alert = { eid: 'al', ts: 1_000_000 + 15 * MIN, category: 'alert', rid: 'Pod/ns/p' } as EventRow;
    const [g] = (await m.prepare([alert], read))!;
    expect(calls[0]).toMatchObject({ from: 1_000_000 + 15 * MIN - 1_800_000, to: 1_000_000 + 15 * MIN + 1_800_000 + 300_000 });
    expect(g.cands.map((c) => c.b)).toEqual(['oom']);
    m.remember([{ eid: 'al', ts: alert.ts, category: 'alert', rid: 'Pod/ns/p', ref: 'r2' }]);
    const [h] = (await m.prepare([{ eid: 'oom2', ts: 1_000_001, category: 'oom', rid: 'Pod/ns/p' } as EventRow], read))!;
    expect(h.cands.map((c) => c.b)).toEqual(['oom', 'al']);
  });
});

describe('categories of the evidence reasons and log classes', () => {
  it.each([
    ['OOMKilled', 'Warning', 'Pod', '', 'oom'],
    ['OOMKilling', 'Warning', 'Node', 'Killed process 42 (java) total-vm:1kB, anon-rss:1kB, file-rss:0kB', 'oom'],
    ['SystemOOM', 'Warning', 'Node', '', 'oom'],
    ['Error', 'Warning', 'Pod', 'exit code 1', 'crash'],
    ['Restarted', 'Warning', 'Pod', 'container web, restartCount 3', 'restart'],
    ['CrashLoopBackOff', 'Warning', 'Pod', '', 'backoff'],
    ['CreateContainerConfigError', 'Warning', 'Pod', 'secret "db" not found', 'config'],
    ['Failed', 'Warning', 'Pod', 'Error: couldn\'t find key K in Secret ns/x', 'config'],
    ['FailedMount', 'Warning', 'Pod', 'MountVolume.SetUp failed for volume "v" : configmap "x" not found', 'config'],
    ['FailedMount', 'Warning', 'Pod', 'Unable to attach or mount volumes: unmounted volumes=[data]: timed out waiting for the condition', 'failed-mount'],
    ['ImagePullBackOff', 'Warning', 'Pod', '', 'image-pull'],
    ['ErrImagePull', 'Warning', 'Pod', '', 'image-pull'],
    ['Unschedulable', 'Warning', 'Pod', '0/9 nodes are available', 'failed-scheduling'],
    ['Evicted', 'Warning', 'Pod', '', 'eviction'],
    ['PodNotReady', 'Warning', 'Pod', '', 'not-ready'],
    ['NodeNotReady', 'Normal', 'Node', '', 'node-not-ready'],
    ['NodeNotReady', 'Warning', 'Pod', 'Node is not ready', 'not-ready'],
    ['MemoryPressure', 'Warning', 'Node', '', 'node-pressure'],
    ['DiskPressure', 'Warning', 'Node', '', 'node-pressure'],
    ['PIDPressure', 'Warning', 'Node', '', 'node-pressure'],
    ['NodeHasDiskPressure', 'Normal', 'Node', '', 'node-pressure'],
    ['NetworkUnavailable', 'Warning', 'Node', '', 'network'],
    ['ProgressDeadlineExceeded', 'Warning', 'Deployment', '', 'rollout-stuck'],
    ['ReplicaSetUpdated', 'Normal', 'Deployment', '', 'rollout'],
    ['ClaimPending', 'Warning', 'PersistentVolumeClaim', '', 'volume'],
    ['ClaimLost', 'Warning', 'PersistentVolumeClaim', '', 'volume'],
    ['BackoffLimitExceeded', 'Warning', 'Job', '', 'job-failed'],
    ['FailedCreatePodSandBox', 'Warning', 'Pod', 'Failed to create pod sandbox: plugin type="calico" failed (add)', 'sandbox'],
  ])('%s (%s, %s) → %s', (reason, type, kind, message, category) => {
    expect(categorizeK8sEvent(reason, type, null, message, kind)).toBe(category);
  });
  it.each([
    ['config_error', 'log-config'],
    ['permission_denied', 'log-config'],
    ['panic', 'log-crash'],
    ['exception', 'log-crash'],
    ['stack_trace', 'log-crash'],
    ['dns_failure', 'log-dns'],
    ['tls_error', 'log-tls'],
    ['connection_refused', 'log-conn'],
    ['timeout', 'log-conn'],
    ['disk_full', 'error-log'],
  ])('log class %s → %s', (cls, category) => {
    expect(categorizeLogClass(cls)).toBe(category);
  });
});

describe('alert subjects', () => {
  it('takes the workload over the scrape service, and a claim or a job by its own label', () => {
    expect(eventRowOfAlert(alertParsed({ alertname: 'KubeDeploymentReplicasMismatch', namespace: 'shop', deployment: 'web', service: 'kube-state-metrics', job: 'kube-state-metrics' })).rid).toBe('Deployment/shop/web');
    expect(eventRowOfAlert(alertParsed({ alertname: 'KubePersistentVolumeFillingUp', namespace: 'db', persistentvolumeclaim: 'data-pg-0', service: 'kubelet' })).rid).toBe('PersistentVolumeClaim/db/data-pg-0');
    expect(eventRowOfAlert(alertParsed({ alertname: 'KubeJobFailed', namespace: 'ops', job_name: 'backup-28990', job: 'kube-state-metrics' })).rid).toBe('Job/ops/backup-28990');
    expect(eventRowOfAlert(alertParsed({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'web-1', container: 'app', service: 'kube-state-metrics' })).rid).toBe('Pod/shop/web-1');
    expect(eventRowOfAlert(alertParsed({ alertname: 'KubeNodeNotReady', node: 'n3', service: 'kube-state-metrics' })).rid).toBe('Node//n3');
    expect(eventRowOfAlert(alertParsed({ alertname: 'WebErrors', namespace: 'shop', service: 'web' })).rid).toBe('Service/shop/web');
  });
});

describe('ALERT_LOOKBACK_SECONDS', () => {
  it('defaults to 1800 s and must cover the causal window', () => {
    expect(readAlertLookbackMs({}, 300_000)).toBe(1_800_000);
    expect(readAlertLookbackMs({ ALERT_LOOKBACK_SECONDS: '3600' }, 300_000)).toBe(3_600_000);
    expect(() => readAlertLookbackMs({ ALERT_LOOKBACK_SECONDS: '60' }, 300_000)).toThrow(/ALERT_LOOKBACK_SECONDS: must be at least CAUSAL_WINDOW_SECONDS \(300\), got 60/);
    expect(() => readAlertLookbackMs({ ALERT_LOOKBACK_SECONDS: 'half an hour' }, 300_000)).toThrow(/ALERT_LOOKBACK_SECONDS: must be an integer/);
  });
});
