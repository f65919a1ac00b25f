import { routeOf } from '../../../src/tenancy/routeOf';
import { loadTenancySettings } from '../../../src/tenancy/tenancyConfig';
import { tenantTopic, tenantTopicSpecs, workerTopics } from '../../../src/tenancy/tenantTopics';

describe('routeOf', () => {
  it('takes the client from the key prefix and leaves the rest to the worker', () => {
    expect(routeOf('acme::event::9f2c', null)).toEqual({ ok: true, client: 'acme', via: 'key' });
    expect(routeOf(Buffer.from('acme::alert::abc'), 'solo')).toEqual({ ok: true, client: 'acme', via: 'key' });
    // The agent's own shapes still name the client before "::"
    expect(routeOf('acme::pod:1dfa2b35-aaaa-bbbb-cccc-000000000000', null)).toEqual({ ok: true, client: 'acme', via: 'key' });
  });

  it('gives keys that name no client to the default client, or refuses them with the reason', () => {
    expect(routeOf(null, 'solo')).toEqual({ ok: true, client: 'solo', via: 'default' });
    expect(routeOf('1dfa2b35-0c1e-4b43-9a57-5c1d5b0e7f00', 'solo')).toEqual({ ok: true, client: 'solo', via: 'default' });
    const none = routeOf(null, null);
    expect(none.ok).toBe(false);
    expect(!none.ok && none.reason).toMatch(/the key is empty and DEFAULT_CLIENT_ID is not set/);
    // A uid-shaped key is an object key even though "a1b2…" would pass the client id rule.
    const uid = routeOf('a1b2c3d4-0c1e-4b43-9a57-5c1d5b0e7f00', null);
    expect(!uid.ok && uid.reason).toMatch(/names no client/);
  });

  it('calls a bare client id malformed, not foreign, and an invalid prefix invalid', () => {
    const bare = routeOf('acme', 'solo');
    expect(bare.ok).toBe(false);
    expect(!bare.ok && bare.reason).toMatch(/malformed key "acme"/);
    const empty = routeOf('acme::', null);
    expect(!empty.ok && empty.reason).toMatch(/nothing after/);
    const bad = routeOf('Acme::event::1', 'solo');
    expect(!bad.ok && bad.reason).toMatch(/invalid client id in key/);
  });
});

describe('tenancy settings and topics', () => {
  it('defaults to shared, validates the default client and the mode', () => {
    const s = loadTenancySettings({});
    expect(s).toMatchObject({ mode: 'shared', defaultClient: null, partitions: 3, onRemove: 'keep', unregisteredGraceMs: 120_000 });
    expect(() => loadTenancySettings({ DEFAULT_CLIENT_ID: 'Bad' })).toThrow(/DEFAULT_CLIENT_ID: client id must start with a lowercase letter/);
    expect(() => loadTenancySettings({ TENANCY: 'split' })).toThrow(/TENANCY: must be one of shared, routed/);
  });

  it('names per-client topics and the worker topics of each mode', () => {
    expect(tenantTopic('raw.k8s.events', 'acme')).toBe('raw.k8s.events.acme');
    expect(tenantTopicSpecs('acme', { partitions: 2, retentionHours: 1 }).map((t) => [t.name, t.partitions, t.retentionMs])).toEqual([
      ['raw.k8s.events.acme', 2, 3_600_000],
      ['raw.k8s.logs.acme', 2, 3_600_000],
      ['alerts.raw.acme', 2, 3_600_000],
      ['events.normalized.acme', 2, 3_600_000],
      ['logs.normalized.acme', 2, 3_600_000],
    ]);
    expect(workerTopics('acme', 'shared').rawEvents).toBe('raw.k8s.events');
    expect(workerTopics('acme', 'routed')).toEqual({
      rawEvents: 'raw.k8s.events.acme', rawLogs: 'raw.k8s.logs.acme', alertsRaw: 'alerts.raw.acme',
      eventsNormalized: 'events.normalized.acme', logsNormalized: 'logs.normalized.acme',
    });
  });
});
