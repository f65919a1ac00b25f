import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCorpus, corpusSplit, feedRecords, alertFingerprint, FAULT_TYPES } from '../../../src/simulator/corpus';
import { normalizeEvent } from '../../../src/normalize/normalizeEvent';
import { normalizeLog } from '../../../src/normalize/normalizeLog';
import { TemplateMiner } from '../../../src/normalize/templateMiner';
import { refOfResourceKey, resourceOfObject } from '../../../src/graph/k8sObject';
import { parseKey } from '../../../src/domain/keys';
import { parseAlert } from '../../../src/graph/alert';

// Format checks on half a day (one incident per fault type); sizes on a full default day.
const corpus = generateCorpus({ seed: 11, hours: 12, incidents: 18, resyncMinutes: 60 });
const day = generateCorpus({ seed: 12 });
const digest = (c: ReturnType<typeof generateCorpus>) => createHash('sha256').update(JSON.stringify([c.records, c.truth])).digest('hex');

describe('labelled corpus generator', () => {
  it('is a function of its seed', () => {
    expect(digest(generateCorpus({ seed: 11, hours: 12, incidents: 18, resyncMinutes: 60 }))).toBe(digest(corpus));
    const split = corpusSplit(5, { incidents: 18 });
    expect(split.training.seed).not.toBe(split.heldOut.seed);
    // The halves share no incident target (different objects, names and times).
    const roots = new Set(split.training.truth.map((t) => t.root.rid));
    expect(split.heldOut.truth.filter((t) => roots.has(t.root.rid) && !t.root.rid.startsWith('Node/') && !t.root.rid.includes('/postgres-0')).length).toBeLessThan(3);
  });

  it('is the corpus whose truth is committed (perf rca measures its held-out half)', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'corpus', 'seed7-held-out-truth.json'), 'utf8'));
    expect(corpusSplit(7).heldOut.truth).toEqual(committed.incidents);
  });

  it('covers at least 15 fault types, overlapping incidents, and 5+ noise records per causal one', () => {
    expect(FAULT_TYPES.length).toBeGreaterThanOrEqual(15);
    expect(new Set(day.truth.map((t) => t.faultType)).size).toBe(FAULT_TYPES.length);
    expect(day.truth.length).toBeGreaterThanOrEqual(2 * FAULT_TYPES.length - 2);
    expect(day.stats.overlappingIncidents).toBeGreaterThanOrEqual(8);
    expect(day.stats.noise / day.stats.causal).toBeGreaterThanOrEqual(5);
    expect(day.end - day.start).toBe(24 * 3_600_000);
    expect(day.records.every((r, i) => i === 0 || r.at >= day.records[i - 1].at)).toBe(true);
    // Some alerts come an hour after the first symptom (older mixin rules: for: 1h).
    expect(day.truth.some((t) => Date.parse(t.alert.startsAt) - Date.parse(t.firstSymptomAt) > 55 * 60_000)).toBe(true);
  });

  it('sends only what Kubernetes sends: every Event normalizes, no OOMKilled event reason, scheduler events are events.k8s.io/v1', () => {
    const formats = new Map<string, number>();
    const reasons = new Set<string>();
    for (const r of day.records.filter((x) => x.topic === 'event')) {
      const n = normalizeEvent(JSON.parse(r.value!), { fallbackTimestamp: Date.now() });
      if (!n.ok) throw new Error(`${n.reason}: ${r.value}`);
      formats.set(n.value.source_format, (formats.get(n.value.source_format) ?? 0) + 1);
      reasons.add(n.value.reason);
      if (n.value.reporting_component === 'default-scheduler') expect(n.value.source_format).toBe('events.k8s.io/v1');
    }
    expect([...formats.keys()].sort()).toEqual(['core/v1', 'event-exporter', 'events.k8s.io/v1']);
    expect(reasons.has('OOMKilled')).toBe(false);
    for (const r of ['BackOff', 'OOMKilling', 'FailedMount', 'FailedScheduling', 'FailedCreatePodSandBox', 'FailedAttachVolume', 'ProvisioningFailed', 'BackoffLimitExceeded', 'Unhealthy', 'Evicted', 'NodeNotReady', 'ScalingReplicaSet', 'Scheduled', 'Pulled', 'Started']) {
      expect(reasons).toContain(r);
    }
  });

  it('repeats an Event as Kubernetes does: the same uid with a rising count', () => {
    const byUid = new Map<string, number[]>();
    for (const r of corpus.records.filter((x) => x.topic === 'event')) {
      const n = normalizeEvent(JSON.parse(r.value!), { fallbackTimestamp: Date.now() });
      if (n.ok) byUid.set(r.id, [...(byUid.get(r.id) ?? []), n.value.count]);
    }
    const repeated = [...byUid.values()].filter((c) => c.length > 3);
    expect(repeated.length).toBeGreaterThan(10);
    for (const counts of repeated) expect(counts).toEqual([...counts].sort((a, b) => a - b));
  });

  it('ships logs as Vector, Fluent Bit and plain CRI lines, and every one normalizes', () => {
    const miner = new TemplateMiner({ maxClusters: 5000 });
    const formats = new Map<string, number>();
    for (const r of corpus.records.filter((x) => x.topic === 'log')) {
      const n = normalizeLog(r.value!, { fallbackTimestamp: Date.now(), miner });
      if (!n.ok) throw new Error(`${n.reason}: ${r.value}`);
      const f = r.value!.startsWith('{') ? (JSON.parse(r.value!).source_type ? 'vector' : 'fluent-bit') : 'plain';
      formats.set(f, (formats.get(f) ?? 0) + 1);
      if (f !== 'plain') expect(n.value.pod).not.toBeNull();
    }
    expect([...formats.keys()].sort()).toEqual(['fluent-bit', 'plain', 'vector']);
    // Caller logs name the callee's Service.
    expect(day.records.some((r) => r.topic === 'log' && /dial tcp 10\.100\.\d+\.\d+:\d+: connect: connection refused|ECONNREFUSED 10\.100\./.test(r.value!))).toBe(true);
  });

  it('publishes full objects whose keys match, with OOM only in container state, and resyncs of unchanged objects', () => {
    let oomStates = 0;
    const seen = new Map<string, string>();
    let unchanged = 0;
    for (const r of corpus.records.filter((x) => x.topic === 'resource')) {
      const ref = refOfResourceKey(r.kind!, r.id);
      expect(ref).not.toBeNull();
      if (r.value === null) continue;
      const o = JSON.parse(r.value);
      const row = resourceOfObject(o, ref!);
      if (!row.ok) throw new Error(`${row.reason}: ${r.kind} ${r.id}`);
      if (seen.get(`${r.kind}/${r.id}`) === r.value) unchanged++;
      seen.set(`${r.kind}/${r.id}`, r.value);
      for (const cs of (o.status?.containerStatuses ?? []) as Array<{ state?: { terminated?: { reason: string; exitCode: number } }; lastState?: { terminated?: { reason: string; exitCode: number } } }>) {
        const t = cs.lastState?.terminated ?? cs.state?.terminated;
        if (t?.reason === 'OOMKilled') {
          expect(t.exitCode).toBe(137);
          oomStates++;
        }
      }
    }
    expect(oomStates).toBeGreaterThan(2);
    expect(unchanged).toBeGreaterThan(300);
    const kinds = new Set(corpus.records.filter((r) => r.topic === 'resource').map((r) => r.kind));
    for (const k of ['Node', 'Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Service', 'PersistentVolumeClaim', 'ConfigMap', 'Secret', 'Job', 'CronJob', 'Ingress']) expect(kinds).toContain(k);
  });

  it('keys every record with the client only in the key, and alerts go through the webhook receiver', () => {
    for (const r of corpus.records) {
      for (const rec of feedRecords('acme-prod', r)) {
        const k = parseKey(rec.key as string);
        expect(k.ok && k.client === 'acme-prod').toBe(true);
        if (rec.value) expect(rec.value.toString()).not.toContain('acme-prod');
      }
    }
  });

  it('fires kubernetes-mixin alerts 15+ minutes after the first symptom, firing with endsAt 0001-01-01, Alertmanager fingerprints', () => {
    expect(alertFingerprint({})).toBe('cbf29ce484222325');
    expect(alertFingerprint({ b: '2', a: '1' })).toBe(alertFingerprint({ a: '1', b: '2' }));
    const fingerprints = new Set<string>();
    for (const r of corpus.records.filter((x) => x.topic === 'alert')) {
      const body = JSON.parse(r.value!);
      expect(body.version).toBe('4');
      for (const a of body.alerts) {
        const p = parseAlert(a);
        if (!p.ok) throw new Error(p.reason);
        expect(a.fingerprint).toBe(alertFingerprint(a.labels));
        if (a.status === 'firing') expect(a.endsAt).toBe('0001-01-01T00:00:00Z');
        fingerprints.add(a.fingerprint);
      }
    }
    for (const t of corpus.truth) {
      expect(fingerprints).toContain(t.alert.fingerprint);
      const lag = Date.parse(t.alert.startsAt) - Date.parse(t.firstSymptomAt);
      expect(lag).toBeGreaterThanOrEqual((t.alert.alertname === 'HighErrorRate' ? 5 : 15) * 60_000);
      // The root is an object of the corpus.
      const [kind, ns, name] = t.root.rid.split('/');
      expect(corpus.records.some((r) => r.topic === 'resource' && r.kind === kind && r.id === (ns ? `${ns}/${name}` : name))).toBe(true);
      expect(t.root.reasons.length).toBeGreaterThan(0);
    }
  });

  it('names as a failed job\'s root the container failure that exhausted its backoff limit, not the Job\'s BackoffLimitExceeded', () => {
    const jobs = corpus.truth.filter((t) => t.faultType === 'job-failed');
    expect(jobs.length).toBeGreaterThan(0);
    for (const t of jobs) {
      const jobName = /^(nightly-report-\d+):/.exec(t.note)![1];
      // The job's pods as the corpus sends them: owned by the Job, each terminated with exit code 1.
      const finished = new Map<string, number>();
      for (const r of corpus.records.filter((x) => x.topic === 'resource' && x.kind === 'Pod' && x.value !== null)) {
        const o = JSON.parse(r.value!);
        if (!(o.metadata.ownerReferences ?? []).some((w: { kind: string; name: string }) => w.kind === 'Job' && w.name === jobName)) continue;
        const term = o.status?.containerStatuses?.[0]?.state?.terminated;
        if (term) finished.set(`Pod/${o.metadata.namespace}/${o.metadata.name}`, Date.parse(term.finishedAt));
      }
      expect(finished.size).toBe(3);
      const last = [...finished.entries()].sort((a, b) => b[1] - a[1])[0][0];
      expect(t.root.rid).toBe(last);
      expect(t.root.reasons).toEqual(['Error', 'exception', 'panic', 'uncaught_exception']);
      expect(t.root.reasons).not.toContain('BackoffLimitExceeded');
    }
  });
});
