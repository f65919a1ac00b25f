import type { NormalizedLog } from '../../../src/avro/normalizedCodec';
import { fingerprintOf, parseAlert } from '../../../src/graph/alert';
import { aggregateErrorLogs, eventRowOfAlert, eventRowOfNormalized, mergeEventRows } from '../../../src/graph/eventRows';
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
