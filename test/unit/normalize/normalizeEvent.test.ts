import { classifyEventType } from '../../../src/normalize/eventTypeAbstract';
import { containerOf, normalizeEvent } from '../../../src/normalize/normalizeEvent';

const opts = { fallbackTimestamp: 1_718_000_000_000 };

describe('normalizeEvent', () => {
  it('rejects what is not an event, with a reason', () => {
    expect(normalizeEvent([1, 2], opts)).toEqual({ ok: false, reason: expect.stringMatching(/expected a JSON object, got an array/) });
    expect(normalizeEvent('x', opts)).toEqual({ ok: false, reason: expect.stringMatching(/got string/) });
    expect(normalizeEvent({ hello: 'world' }, opts)).toEqual({ ok: false, reason: expect.stringMatching(/unknown event shape.*keys: hello/) });
    expect(normalizeEvent({ involvedObject: { kind: 'Pod' }, message: 'm' }, opts)).toEqual({ ok: false, reason: 'invalid core/v1 event: missing reason' });
  });

  it('gives a content-hash id that is the same on replay and differs with content', () => {
    const ev = { involvedObject: { kind: 'Pod', name: 'a', namespace: 'n' }, reason: 'Killing', message: 'Stopping container x' };
    const a = normalizeEvent(ev, opts);
    const b = normalizeEvent(JSON.parse(JSON.stringify(ev)), opts);
    const c = normalizeEvent({ ...ev, message: 'Stopping container y' }, opts);
    if (!a.ok || !b.ok || !c.ok) throw new Error('expected ok');
    expect(a.value.event_id).toMatch(/^h-[0-9a-f]{32}$/);
    expect(b.value.event_id).toBe(a.value.event_id);
    expect(c.value.event_id).not.toBe(a.value.event_id);
  });

  it('uses the key id when the payload has no uid, and hashes an id unsafe for a key', () => {
    const ev = { involvedObject: { kind: 'Pod', name: 'a' }, reason: 'Killing', message: 'm' };
    const r = normalizeEvent(ev, { ...opts, keyId: 'abc-123' });
    expect(r.ok && r.value.event_id).toBe('abc-123');
    const m = normalizeEvent({ event_id: 'has::colons and spaces', reason: 'X', message: 'y' }, opts);
    expect(m.ok && m.value.event_id).toMatch(/^h-/);
  });

  it('bounds the message and falls back to the record time', () => {
    const r = normalizeEvent({ event_id: 'e1', reason: 'X', message: 'a'.repeat(10_000) }, { ...opts, maxMessageChars: 100 });
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.message).toHaveLength(100);
    expect(r.value.message.endsWith('…')).toBe(true);
    expect(r.value.timestamp).toBe(opts.fallbackTimestamp);
  });

  it('keeps the uid of a repeated Event as its id, and its first occurrence (core/v1 firstTimestamp, events.k8s.io/v1 eventTime)', () => {
    const core = (count: number, last: string) => ({
      apiVersion: 'v1', kind: 'Event', metadata: { name: 'api-1.17a', namespace: 'shop', uid: 'u-17a' }, involvedObject: { kind: 'Pod', name: 'api-1', namespace: 'shop' },
      reason: 'BackOff', message: 'Back-off pulling image "x"', type: 'Normal', count, firstTimestamp: '2024-06-10T05:00:02Z', lastTimestamp: last, source: { component: 'kubelet', host: 'n1' },
    });
    const once = normalizeEvent(core(1, '2024-06-10T05:00:02Z'), opts);
    const again = normalizeEvent(core(5, '2024-06-10T05:05:12Z'), opts);
    if (!once.ok || !again.ok) throw new Error('expected ok');
    expect([once.value.event_id, once.value.first_timestamp]).toEqual(['u-17a', null]);
    expect([again.value.event_id, again.value.timestamp, again.value.first_timestamp]).toEqual(['u-17a', Date.parse('2024-06-10T05:05:12Z'), Date.parse('2024-06-10T05:00:02Z')]);
    const v1 = normalizeEvent({
      apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'w.18b', namespace: 'shop', uid: 'u-18b' }, regarding: { kind: 'Pod', name: 'api-1', namespace: 'shop' },
      reason: 'Unhealthy', note: 'Readiness probe failed', type: 'Warning', eventTime: '2024-06-10T05:00:00.000000Z', reportingController: 'kubelet', reportingInstance: 'n1',
      series: { count: 9, lastObservedTime: '2024-06-10T05:04:00.000000Z' },
    }, opts);
    if (!v1.ok) throw new Error(v1.reason);
    expect([v1.value.timestamp, v1.value.first_timestamp]).toEqual([Date.parse('2024-06-10T05:04:00Z'), Date.parse('2024-06-10T05:00:00Z')]);
  });

  it('reads a watch-event envelope {type, object}', () => {
    const r = normalizeEvent({ type: 'ADDED', object: { involvedObject: { kind: 'Pod', name: 'p' }, reason: 'Evicted', message: 'The node was low on resource: memory.' } }, opts);
    expect(r.ok && [r.value.source_format, r.value.event_type_abstract, r.value.pod]).toEqual(['event-exporter', 'Evicted', 'p']);
  });

  it('extracts the container of a fieldPath', () => {
    expect(containerOf('spec.containers{api}')).toBe('api');
    expect(containerOf('spec.initContainers{init-db}')).toBe('init-db');
    expect(containerOf(null)).toBeNull();
  });
});

describe('classifyEventType (the documented table)', () => {
  it.each([
    ['BackOff', 'Back-off restarting failed container', 'CrashLoopBackOff', 'error'],
    ['BackOff', 'Back-off pulling image "x"', 'ImagePullBackOff', 'error'],
    ['Failed', 'Failed to pull image "x": not found', 'ErrImagePull', 'error'],
    ['Failed', 'Error: container create failed', 'ContainerFailed', 'error'],
    ['Unhealthy', 'Readiness probe failed: 503', 'ReadinessProbeFailed', 'warning'],
    ['Unhealthy', 'Startup probe failed: x', 'StartupProbeFailed', 'error'],
    ['OOMKilling', 'Memory cgroup out of memory', 'OOMKilled', 'critical'],
    ['NodeNotReady', 'Node n is not ready', 'NodeNotReady', 'critical'],
    ['NodeStatusUnknown', 'Node n status is now: NodeNotReady', 'NodeNotReady', 'critical'],
    ['FailedMount', 'MountVolume.SetUp failed', 'VolumeMountFailed', 'error'],
    ['Killing', 'Stopping container api', 'ContainerKilled', 'warning'],
    ['Started', 'Started container api', 'ContainerStarted', 'info'],
  ])('%s / %s → %s', (reason, message, abstract, severity) => {
    expect(classifyEventType(reason, message, 'Warning')).toEqual({ abstract, severity });
  });

  it('keeps an unknown plain reason, else Other, with severity from the type', () => {
    expect(classifyEventType('SomethingNew', 'm', 'Warning')).toEqual({ abstract: 'SomethingNew', severity: 'warning' });
    expect(classifyEventType('weird reason!', 'm', 'Normal')).toEqual({ abstract: 'Other', severity: 'info' });
  });
});
