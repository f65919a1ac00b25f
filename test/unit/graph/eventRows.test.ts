import type { NormalizedLog } from '../../../src/avro/normalizedCodec';
import { fingerprintOf, parseAlert } from '../../../src/graph/alert';
import { aggregateErrorLogs, eventRowOfAlert, eventRowOfNormalized, mergeEventRows, podIsScrapeTarget } from '../../../src/graph/eventRows';
import { evidenceOfObject } from '../../../src/graph/objectEvidence';
import { canonicalKind, parseResourceId, resourceRef } from '../../../src/graph/resourceId';
import { ALERT, EVENTS, T0 } from '../../fixtures/graph/incident';

const log = (i: number, over: Partial<NormalizedLog> = {}): NormalizedLog => ({
  log_id: `l${i}`, timestamp: T0 + i * 1000, level: 'error', message: `timeout after ${i}ms`, pod: 'web-1', namespace: 'shop', container: 'web',
  node: 'n1', stream: 'stderr', template_id: 'tpl1', template: 'timeout after <*>ms', error_class: 'Timeout', ...over,
});

describe('resource ids', () => {
  it('are deterministic, canonical and drop the namespace of cluster-scoped kinds', () => {
    expect(resourceRef('pod', 'shop', 'web-1')?.rid).toBe('Pod/shop/web-1');
    expect(resourceRef('Node', 'default', 'n1')?.rid).toBe('Node//n1');
    expect(canonicalKind('replicaset')).toBe('ReplicaSet');
    expect(canonicalKind('Event')).toBe('K8sEvent');
    expect(canonicalKind('bad kind!')).toBeNull();
    expect(parseResourceId('Service/shop/web')).toEqual({ rid: 'Service/shop/web', kind: 'Service', namespace: 'shop', name: 'web' });
  });
});

describe('event rows', () => {
  it('maps a normalized event to an Event row about its object', () => {
    expect(eventRowOfNormalized(EVENTS[0])).toMatchObject({ eid: 'evt:oom-1', category: 'oom', rid: 'Pod/shop/web-7d9-abc', kind: 'Pod', ts: T0, count: 1 });
  });
  it('dates every copy of a repeated Event from its first occurrence, the latest in last_ts', () => {
    const repeat = { ...EVENTS[0], timestamp: T0 + 310_000, first_timestamp: T0, count: 6 };
    expect(eventRowOfNormalized(repeat)).toMatchObject({ eid: 'evt:oom-1', ts: T0, last_ts: T0 + 310_000, count: 6 });
    expect(eventRowOfNormalized({ ...EVENTS[0], first_timestamp: null })).toMatchObject({ ts: T0, last_ts: T0 });
  });
  it('keeps the id of evidence from object state, with source state and a category that takes part in causal edges', () => {
    const pod = { kind: 'Pod', metadata: { name: 'api-1', namespace: 'shop', uid: 'u1' }, spec: { nodeName: 'n1' }, status: { containerStatuses: [{ name: 'api', restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=api pod=api-1_shop(u1)' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-12-01T09:00:04Z' } } }] } };
    const rows = evidenceOfObject(pod, 0).map(eventRowOfNormalized);
    expect(rows.map((r) => [r.source, r.reason, r.category, r.rid])).toEqual([
      ['state', 'Error', 'crash', 'Pod/shop/api-1'],
      ['state', 'Restarted', 'restart', 'Pod/shop/api-1'],
      ['state', 'CrashLoopBackOff', 'backoff', 'Pod/shop/api-1'],
    ]);
    expect(rows[0].eid).toMatch(/^state:[0-9a-f]{32}$/);
    const node = { kind: 'Node', metadata: { name: 'n1', uid: 'n' }, status: { conditions: [{ type: 'DiskPressure', status: 'True', lastTransitionTime: '2026-12-01T09:00:00Z' }] } };
    expect(evidenceOfObject(node, 0).map(eventRowOfNormalized).map((r) => [r.reason, r.category, r.rid])).toEqual([['DiskPressure', 'node-pressure', 'Node//n1']]);
    const rs = { kind: 'ReplicaSet', metadata: { name: 'api-5f', namespace: 'shop', uid: 'r', creationTimestamp: '2026-12-01T09:00:00Z', annotations: { 'deployment.kubernetes.io/revision': '4' }, ownerReferences: [{ kind: 'Deployment', name: 'api', uid: 'd' }] } };
    expect(evidenceOfObject(rs, 0).map(eventRowOfNormalized).map((r) => [r.reason, r.category, r.rid])).toEqual([['ReplicaSetUpdated', 'rollout', 'Deployment/shop/api']]);
  });
  it('falls back to the node when there is no object', () => {
    const e = { ...EVENTS[0], object_kind: null, object_name: null, pod: null, node: 'n9', reason: 'NodeNotReady', event_type_abstract: 'node_not_ready' };
    expect(eventRowOfNormalized(e)).toMatchObject({ rid: 'Node//n9', category: 'node-not-ready' });
  });
  it('aggregates classified error logs per template, resource and window; others are not events', () => {
    const rows = aggregateErrorLogs([log(1), log(2), log(3, { pod: 'web-2' }), log(70), log(4, { error_class: null })], 60_000);
    expect(rows.map((r) => [r.rid, r.count, r.ts])).toEqual([
      ['Pod/shop/web-1', 2, T0 + 1000],
      ['Pod/shop/web-2', 1, T0 + 3000],
      ['Pod/shop/web-1', 1, T0 + 70_000],
    ]);
    expect(rows[0].eid).toBe(`log:tpl1:Pod/shop/web-1:${Math.floor((T0 + 1000) / 60_000) * 60_000}`);
    // A timeout is what a failing peer causes (categorizeLogClass).
    expect(rows[0].category).toBe('log-conn');
  });
  it('maps an alert to an Event about the resource its labels name', () => {
    const parsed = parseAlert(ALERT);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(eventRowOfAlert(parsed.alert)).toMatchObject({ eid: `alert:${ALERT.fingerprint}:${T0 + 60_000}`, rid: 'Service/shop/web', category: 'alert', severity: 'critical', reason: 'WebUnavailable' });
    const onPod = parseAlert({ ...ALERT, labels: { ...ALERT.labels, pod: 'web-7d9-abc' } });
    expect(onPod.ok && eventRowOfAlert(onPod.alert).rid).toBe('Pod/shop/web-7d9-abc');
  });
  it('puts a kube-state-metrics alert on its subject, not on the exporter pod the scrape labels name', () => {
    // kube-prometheus-stack: the target's pod/container/service/job are on every series; honorLabels keeps the metric's own.
    const ksm = { container: 'kube-state-metrics', endpoint: 'http', instance: '10.244.7.15:8080', job: 'kube-state-metrics', pod: 'kube-prometheus-stack-kube-state-metrics-9l5g8txjjt-lsj9b', service: 'kube-prometheus-stack-kube-state-metrics', severity: 'warning' };
    const row = (labels: Record<string, string>) => {
      const p = parseAlert({ ...ALERT, labels: { ...ksm, ...labels } });
      if (!p.ok) throw new Error(p.reason);
      return eventRowOfAlert(p.alert).rid;
    };
    expect(row({ alertname: 'KubeNodeNotReady', condition: 'Ready', status: 'true', namespace: 'monitoring', node: 'ip-10-0-74-68.eu-west-1.compute.internal' })).toBe('Node//ip-10-0-74-68.eu-west-1.compute.internal');
    expect(row({ alertname: 'KubeDeploymentRolloutStuck', namespace: 'shop', deployment: 'orders' })).toBe('Deployment/shop/orders');
    expect(row({ alertname: 'KubeJobFailed', namespace: 'batch', job_name: 'nightly-report-29919210' })).toBe('Job/batch/nightly-report-29919210');
    // A pod metric overrides the pod label with its subject: that pod it is.
    expect(row({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'orders-7d9-abc', container: 'orders' })).toBe('Pod/shop/orders-7d9-abc');
    // An alert about the exporter itself stays on it.
    expect(row({ alertname: 'KubeStateMetricsListErrors', namespace: 'monitoring' })).toBe('Pod/monitoring/kube-prometheus-stack-kube-state-metrics-9l5g8txjjt-lsj9b');
    expect(podIsScrapeTarget({ pod: 'kube-state-metrics-5d8-x', job: 'kube-state-metrics', deployment: 'web' })).toBe(true);
    expect(podIsScrapeTarget({ pod: 'web-5d8-x', job: 'kube-state-metrics', deployment: 'web' })).toBe(false);
  });
  it('counts each log line once: a replayed copy (same log_id) in the batch adds nothing', () => {
    const rows = aggregateErrorLogs([log(1), log(2), log(1), log(3), log(2)], 60_000);
    expect(rows.map((r) => [r.count, r.lids])).toEqual([[3, ['l1', 'l2', 'l3']]]);
  });
  it('merges the lines of two log rows of one Event by id, each counted once', () => {
    const [a] = aggregateErrorLogs([log(1), log(2)], 60_000);
    const [b] = aggregateErrorLogs([log(2), log(3), log(4)], 60_000);
    expect(mergeEventRows([a, b]).map((r) => [r.count, r.lids])).toEqual([[4, ['l1', 'l2', 'l3', 'l4']]]);
  });
  it('merges duplicate ids within a batch', () => {
    const a = eventRowOfNormalized({ ...EVENTS[2], count: 3, timestamp: T0 + 50_000 });
    const b = eventRowOfNormalized({ ...EVENTS[2], count: 5 });
    expect(mergeEventRows([a, b])).toEqual([expect.objectContaining({ eid: 'evt:backoff-1', count: 5, ts: T0 + 10_000, last_ts: T0 + 50_000 })]);
  });
});

describe('alerts', () => {
  it('computes a stable fingerprint from the labels when absent', () => {
    const { fingerprint: _, ...noFp } = ALERT;
    const parsed = parseAlert(noFp);
    expect(parsed.ok && parsed.alert.fingerprint).toBe(fingerprintOf(ALERT.labels));
    expect(fingerprintOf({ b: '2', a: '1' })).toBe(fingerprintOf({ a: '1', b: '2' }));
    expect(fingerprintOf({ a: '1' })).toMatch(/^[0-9a-f]{16}$/);
  });
  it('names the problem of a bad alert', () => {
    expect(parseAlert({ ...ALERT, startsAt: 'yesterday' }, 'alerts[3]')).toEqual({ ok: false, reason: 'alerts[3].startsAt must be an RFC 3339 time, got "yesterday"' });
    expect(parseAlert({ ...ALERT, labels: { alertname: 5 } })).toMatchObject({ ok: false, reason: 'alert.labels must be an object of strings' });
  });
});
