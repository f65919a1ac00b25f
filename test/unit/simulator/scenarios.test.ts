import { SCENARIO_NAMES, buildScenario, noiseItem } from '../../../src/simulator/scenarios';
import { registrationRecord, timelineRecord, topologyRecord, parseSimulateArgs } from '../../../src/commands/simulate';
import { parseKey } from '../../../src/domain/keys';
import { createHmac } from 'node:crypto';
import { alertFingerprint } from '../../../src/simulator/corpus/rng';

const START = Date.parse('2026-11-21T12:00:00Z');

describe('simulator scenarios', () => {
  it('offers the six fault scenarios the issue names', () => {
    expect(SCENARIO_NAMES.sort()).toEqual(['crash-loop-bad-config', 'image-pull', 'node-failure', 'oom-kill', 'pvc-pending', 'readiness-probe']);
  });

  /** Where the root cause first shows in the timeline: its Event, the object snapshot whose status says it, or its error log. */
  function rootIndex(s: ReturnType<typeof buildScenario>): number {
    const rc = s.rootCause;
    return s.timeline.findIndex((i) => {
      if (rc.evidence === 'log') return i.type === 'log' && (i.value as { kubernetes: { pod_name: string } }).kubernetes.pod_name === rc.name;
      if (rc.evidence === 'state') {
        if (i.type !== 'resource' || !i.value || i.object.kind !== rc.kind || i.object.metadata.name !== rc.name) return false;
        const cs = ((i.value.status as { containerStatuses?: Array<{ state?: { terminated?: { reason: string } }; lastState?: { terminated?: { reason: string } } }> }).containerStatuses ?? [])[0];
        return cs?.state?.terminated?.reason === rc.reason || cs?.lastState?.terminated?.reason === rc.reason;
      }
      const v = i.value as { reason?: string; involvedObject?: { kind: string; name: string }; regarding?: { kind: string; name: string } } | null;
      const about = v?.involvedObject ?? v?.regarding;
      return i.type === 'event' && v?.reason === rc.reason && about?.kind === rc.kind && about?.name === rc.name;
    });
  }

  it.each(SCENARIO_NAMES)('%s: the root cause is in the timeline before its effects, about the named object', (name) => {
    const s = buildScenario(name, START);
    const rc = s.rootCause;
    const causeIdx = rootIndex(s);
    expect(causeIdx).toBeGreaterThanOrEqual(0);
    for (const effect of s.expectedEffects) {
      const at = s.timeline.findIndex((i) => (i.value as { reason?: string } | null)?.reason === effect || (i.value as { labels?: { alertname?: string } } | null)?.labels?.alertname === effect);
      expect(at).toBeGreaterThan(causeIdx);
    }
    // The named object exists among the published resources.
    expect(s.resources.some((o) => o.kind === rc.kind && o.metadata.name === rc.name)).toBe(true);
  });

  it.each(SCENARIO_NAMES)('%s: emits what Kubernetes and Prometheus emit', (name) => {
    const s = buildScenario(name, START);
    const events = s.timeline.filter((i) => i.type === 'event').map((i) => i.value as Record<string, unknown>);
    // There is no OOMKilled event in Kubernetes: an OOM kill is container state only.
    expect(events.map((e) => e.reason)).not.toContain('OOMKilled');
    for (const e of events) {
      if (e.reason === 'Scheduled' || e.reason === 'FailedScheduling') expect(e.apiVersion).toBe('events.k8s.io/v1');
      if (e.reason === 'NodeNotReady' && (e.involvedObject as { kind: string }).kind === 'Node') expect(e.type).toBe('Normal');
      if (e.reason === 'BackOff' && /pulling image/.test(e.message as string)) expect(e.type).toBe('Normal');
    }
    // Repeats keep the Event's uid and raise its count.
    const counts = new Map<string, number[]>();
    for (const i of s.timeline) if (i.type === 'event') counts.set(i.uid, [...(counts.get(i.uid) ?? []), ((i.value.count ?? (i.value.series as { count?: number } | undefined)?.count) as number) ?? 1]);
    for (const c of counts.values()) expect(c).toEqual(c.map((_, k) => k + 1));
    // The alert fires 15+ minutes after the first symptom (kubernetes-mixin `for: 15m`), firing, with Alertmanager's fingerprint.
    const alerts = s.timeline.filter((i) => i.type === 'alert');
    expect(alerts).toHaveLength(1);
    const a = alerts[0].value as { startsAt: string; endsAt: string; labels: Record<string, string>; fingerprint: string };
    expect(Date.parse(a.startsAt) - START - s.timeline[rootIndex(s)].atMs).toBeGreaterThanOrEqual(15 * 60_000);
    expect(a.endsAt).toBe('0001-01-01T00:00:00Z');
    expect(a.fingerprint).toBe(alertFingerprint(a.labels));
  });

  it.each(SCENARIO_NAMES)('%s: every record is keyed {client}::{type}::{id} for its topic and carries no client id in the value', (name) => {
    const s = buildScenario(name, START);
    const items = [...s.timeline, ...Array.from({ length: 20 }, (_, n) => noiseItem(s.resources, n, START + n))];
    for (const item of items) {
      const rec = timelineRecord('acme-prod', item);
      const key = parseKey(rec.key as string);
      expect(key.ok).toBe(true);
      if (key.ok) {
        expect(key.client).toBe('acme-prod');
        const type = rec.topic === 'state.k8s.resource' && item.type === 'resource' ? item.object.kind : { 'raw.k8s.events': 'event', 'raw.k8s.logs': 'log', 'alerts.raw': 'alert' }[rec.topic];
        expect(type).toBe(key.type);
      }
      if (rec.value) expect(rec.value.toString()).not.toContain('acme-prod');
    }
    const topo = topologyRecord('acme-prod', s);
    expect(topo.key).toBe('acme-prod::topology');
    expect(JSON.parse(topo.value!.toString()).edges.length).toBeGreaterThan(0);
  });

  it('signs the registration with HMAC-SHA256(secret, client_id) when a secret is set', () => {
    const signed = JSON.parse(registrationRecord('acme-prod', 's3cret').value!.toString());
    expect(signed.token).toBe(createHmac('sha256', 's3cret').update('acme-prod').digest('hex'));
    expect(JSON.parse(registrationRecord('acme-prod', undefined).value!.toString()).token).toBeUndefined();
  });

  it('rejects a bad client id or scenario with the reason', () => {
    expect(() => parseSimulateArgs(['--client', 'Bad_Id'])).toThrow(/option '--client <id>' argument 'Bad_Id' is invalid\. client id must start with a lowercase letter/);
    expect(() => parseSimulateArgs(['--client', 'acme', '--scenario', 'meteor'])).toThrow(/argument 'meteor' is invalid\. Allowed choices are .*oom-kill/);
    expect(parseSimulateArgs(['--client', 'acme', '--rate', '5']).rate).toBe(5);
    expect(parseSimulateArgs(['--client', 'acme']).speed).toBe(60);
  });
});
