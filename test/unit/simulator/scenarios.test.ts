import { SCENARIO_NAMES, buildScenario, noiseItem } from '../../../src/simulator/scenarios';
import { registrationRecord, timelineRecord, topologyRecord, parseSimulateArgs } from '../../../src/commands/simulate';
import { parseKey } from '../../../src/domain/keys';
import { createHmac } from 'node:crypto';

const START = Date.parse('2026-11-21T12:00:00Z');

describe('simulator scenarios', () => {
  it('offers the six fault scenarios the issue names', () => {
    expect(SCENARIO_NAMES.sort()).toEqual(['crash-loop-bad-config', 'image-pull', 'node-failure', 'oom-kill', 'pvc-pending', 'readiness-probe']);
  });

  it.each(SCENARIO_NAMES)('%s: the root cause is in the timeline before its effects, about the named object', (name) => {
    const s = buildScenario(name, START);
    const rc = s.rootCause;
    const causeIdx = s.timeline.findIndex((i) => {
      if (rc.reason === 'error-log') return i.type === 'log' && (i.value as { kubernetes: { pod_name: string } }).kubernetes.pod_name === rc.name;
      const v = i.value as { reason?: string; involvedObject?: { kind: string; name: string } };
      return i.type === 'event' && v.reason === rc.reason && v.involvedObject?.kind === rc.kind && v.involvedObject?.name === rc.name;
    });
    expect(causeIdx).toBeGreaterThanOrEqual(0);
    for (const effect of s.expectedEffects) {
      const at = s.timeline.findIndex((i) => (i.value as { reason?: string }).reason === effect || (i.value as { labels?: { alertname?: string } }).labels?.alertname === effect);
      expect(at).toBeGreaterThan(causeIdx);
    }
    // The named object exists among the published resources.
    expect(s.resources.some((o) => o.kind === rc.kind && o.metadata.name === rc.name)).toBe(true);
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
        expect({ 'raw.k8s.events': 'event', 'raw.k8s.logs': 'log', 'alerts.raw': 'alert' }[rec.topic]).toBe(key.type);
      }
      expect(rec.value!.toString()).not.toContain('acme-prod');
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
  });
});
