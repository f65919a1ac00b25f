import { decodeGraphRecord } from '../../../pipelines/graphBuilder/decodeGraphRecord';
import { decodeTopologyRecord } from '../../../pipelines/topologyBuilder/decodeTopologyRecord';
import { futureProblem, parseRfc3339 } from '../../../src/domain/time';
import { clipText, utf8OrNull } from '../../../src/domain/text';
import { parseAlert } from '../../../src/graph/alert';
import { checkResourceKey, resourceOfObject } from '../../../src/graph/k8sObject';
import { checkResourceRef, labelProblem, LIMITS, resourceRef } from '../../../src/graph/resourceId';
import { alertRecordsOfWebhook } from '../../../src/http/alertmanagerPayload';
import { normalizeEvent } from '../../../src/normalize/normalizeEvent';
import { timestampMs } from '../../../src/normalize/fields';
import { ALERT } from '../../fixtures/graph/incident';

const NOW = Date.parse('2024-06-10T12:00:00Z');
const record = (topic: string, key: string, value: Buffer | string, timestamp = NOW) => ({
  topic, partition: 0, offset: 7, key: Buffer.from(key), value: typeof value === 'string' ? Buffer.from(value) : value, headers: {}, timestamp,
});
/** Bytes that are not UTF-8: a lone continuation byte and a truncated 3-byte sequence. */
const BAD_UTF8 = Buffer.concat([Buffer.from('{"kind":"Pod","metadata":{"name":"web'), Buffer.from([0x80, 0xe2, 0x82]), Buffer.from('"}}')]);

describe('resource ids at the edge', () => {
  it('reject a name over 253 characters, a namespace over 63, and a "/" in either, with the reason', () => {
    expect(checkResourceRef('Pod', 'shop', 'x'.repeat(253))).toMatchObject({ ok: true });
    expect(checkResourceRef('Pod', 'shop', 'x'.repeat(10_000))).toEqual({ ok: false, reason: 'Pod name is 10000 characters (at most 253)' });
    expect(checkResourceRef('Pod', 'n'.repeat(64), 'web')).toEqual({ ok: false, reason: 'Pod namespace is 64 characters (at most 63)' });
    expect(checkResourceRef('Pod', 'a/b', 'x')).toMatchObject({ ok: false, reason: expect.stringContaining('contains "/"') });
    expect(checkResourceRef('Pod', 'a', 'x/../../y')).toMatchObject({ ok: false, reason: expect.stringContaining('ambiguous') });
    expect(checkResourceRef('Node', '', 'n1\n')).toMatchObject({ ok: false, reason: expect.stringContaining('control character') });
    expect(resourceRef('Node', 'a/b', 'n1')?.rid).toBe('Node//n1'); // a Node has no namespace: it is dropped, not checked
    const longest = checkResourceRef('X'.repeat(63), 'n'.repeat(63), 'x'.repeat(253));
    expect(longest.ok && longest.ref.rid.length).toBe(LIMITS.rid);
  });

  it('bound Kubernetes label keys and values', () => {
    expect(labelProblem('app.kubernetes.io/name', 'web')).toBeNull();
    expect(labelProblem('app', 'v'.repeat(64))).toBe('label "app" has a value of 64 characters (at most 63)');
    expect(labelProblem('k'.repeat(64), 'v')).toMatch(/out of bounds/);
    expect(labelProblem(`${'p'.repeat(254)}/app`, 'v')).toMatch(/out of bounds/);
  });

  it('a state.k8s.resource key or object out of bounds is rejected with the reason', () => {
    expect(checkResourceKey('Pod', `shop/${'x'.repeat(10_000)}`)).toEqual({ ok: false, reason: 'Pod name is 10000 characters (at most 253)' });
    const long = decodeTopologyRecord(record('state.k8s.resource', `acme::Pod::shop/${'x'.repeat(10_000)}`, '{}'), { resources: 'state.k8s.resource', topology: 'state.k8s.topology' });
    expect(long).toEqual({ kind: 'reject', reason: 'key does not name a resource ({client}::{kind}::{namespace}/{name}): Pod name is 10000 characters (at most 253)' });
    const ref = checkResourceKey('Pod', 'shop/web');
    if (!ref.ok) throw new Error(ref.reason);
    const pod = (over: object) => resourceOfObject({ kind: 'Pod', metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } }, spec: { nodeName: 'n1' }, ...over }, ref.value);
    expect(pod({})).toMatchObject({ ok: true, value: { runsOn: 'Node//n1', labels: ['app=web'] } });
    expect(pod({ spec: { nodeName: 'n'.repeat(300) } })).toEqual({ ok: false, reason: 'spec.nodeName: Node name is 300 characters (at most 253)' });
    expect(pod({ metadata: { name: 'web', namespace: 'shop', labels: { app: 'w'.repeat(100) } } })).toEqual({ ok: false, reason: 'metadata.labels: label "app" has a value of 100 characters (at most 63)' });
  });
});

describe('invalid UTF-8', () => {
  it('is null, not U+FFFD', () => {
    expect(utf8OrNull(Buffer.from('grüße'))).toBe('grüße');
    expect(utf8OrNull(BAD_UTF8)).toBeNull();
  });
  it('is rejected on state.k8s.resource, state.k8s.topology, alerts.raw and at the webhook', () => {
    const topics = { resources: 'state.k8s.resource', topology: 'state.k8s.topology' };
    expect(decodeTopologyRecord(record('state.k8s.resource', 'acme::Pod::shop/web', BAD_UTF8), topics)).toEqual({ kind: 'reject', reason: 'invalid UTF-8' });
    expect(decodeTopologyRecord(record('state.k8s.topology', 'acme::topology', BAD_UTF8), topics)).toEqual({ kind: 'reject', reason: 'invalid UTF-8' });
    const alerts = { events: 'events.normalized', logs: 'logs.normalized', alerts: 'alerts.raw' };
    expect(decodeGraphRecord(record('alerts.raw', 'acme::alert::abc', BAD_UTF8), 'acme', Buffer.from('acme::'), alerts)).toEqual({ kind: 'reject', reason: 'invalid UTF-8' });
    expect(alertRecordsOfWebhook(BAD_UTF8, 'acme', NOW)).toEqual({ ok: false, error: 'body is not valid UTF-8' });
  });
});

describe('timestamps', () => {
  it('are read as RFC 3339 only', () => {
    expect(parseRfc3339('2024-06-10T12:00:00Z')).toBe(NOW);
    expect(parseRfc3339('2024-06-10T14:00:00.123456789+02:00')).toBe(NOW + 123);
    expect(parseRfc3339('2024-06-10 12:00:00z')).toBe(NOW);
    expect(parseRfc3339('1')).toBeNull(); // Date.parse: 2001-01-01
    expect(parseRfc3339('Mon, 10 Jun 2024 12:00:00 GMT')).toBeNull(); // RFC 2822
    expect(parseRfc3339('2024-06-10')).toBeNull();
    expect(parseRfc3339('2024-13-10T12:00:00Z')).toBeNull();
    expect(timestampMs('1')).toBeNull();
    expect(timestampMs(1_718_020_800)).toBe(NOW); // Fluent Bit's seconds
  });
  it('more than a day after the record are refused with the reason', () => {
    expect(futureProblem(NOW + 86_400_000, NOW, 'startsAt')).toBeNull();
    expect(futureProblem(Date.parse('9999-12-31T00:00:00Z'), NOW, 'startsAt')).toBe("startsAt 9999-12-31T00:00:00.000Z is more than a day after the record's time 2024-06-10T12:00:00.000Z");
  });
  it('an alert from year 9999, with startsAt "1" or in RFC 2822 is rejected; Alertmanager\'s zero endsAt is fine', () => {
    const a = (over: object) => parseAlert({ ...ALERT, startsAt: '2024-06-10T11:59:00Z', ...over }, 'alerts[0]', NOW);
    expect(a({})).toMatchObject({ ok: true });
    expect(a({ endsAt: '0001-01-01T00:00:00Z' })).toMatchObject({ ok: true });
    expect(a({ startsAt: '9999-12-31T23:59:59Z' })).toMatchObject({ ok: false, reason: expect.stringMatching(/^alerts\[0\]\.startsAt 9999-12-31T23:59:59.000Z is more than a day after/) });
    expect(a({ startsAt: '1' })).toEqual({ ok: false, reason: 'alerts[0].startsAt must be an RFC 3339 time, got "1"' });
    expect(a({ startsAt: 'Mon, 10 Jun 2024 12:00:00 GMT' })).toMatchObject({ ok: false });
    expect(a({ endsAt: 'soon' })).toEqual({ ok: false, reason: 'alerts[0].endsAt must be an RFC 3339 time' });
  });
  it('a Kubernetes event from year 9999 is rejected by the normalizer', () => {
    const ev = { kind: 'Event', metadata: { name: 'e1', namespace: 'shop', uid: 'u1' }, involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web' }, reason: 'BackOff', message: 'Back-off', type: 'Warning', lastTimestamp: '9999-01-01T00:00:00Z' };
    expect(normalizeEvent(ev, { fallbackTimestamp: NOW })).toMatchObject({ ok: false, reason: expect.stringContaining('more than a day after') });
    expect(normalizeEvent({ ...ev, lastTimestamp: '2024-06-10T11:00:00Z' }, { fallbackTimestamp: NOW })).toMatchObject({ ok: true });
  });
});

describe('alert labels', () => {
  it('a 200 KB pod label is rejected at the edge with the reason', () => {
    const huge = { ...ALERT, startsAt: '2024-06-10T11:59:00Z', labels: { ...ALERT.labels, pod: 'p'.repeat(200 * 1024) } };
    expect(parseAlert(huge, 'alert', NOW)).toEqual({ ok: false, reason: 'alert.labels.pod is 204800 characters (at most 1024)' });
    const topics = { events: 'events.normalized', logs: 'logs.normalized', alerts: 'alerts.raw' };
    expect(decodeGraphRecord(record('alerts.raw', 'acme::alert::abc', JSON.stringify(huge)), 'acme', Buffer.from('acme::'), topics)).toEqual({ kind: 'reject', reason: 'alert.labels.pod is 204800 characters (at most 1024)' });
  });
});

describe('clipText', () => {
  it('cuts free text and marks the cut', () => {
    expect(clipText('a long message', 6)).toBe('a lon…');
    expect(clipText('short', 6)).toBe('short');
  });
});
