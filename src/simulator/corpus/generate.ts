import { appKey, buildCluster, Cluster, newPod } from './cluster';
import { distractor, FAULT_TYPES, FAULTS, FaultCtx, Truth } from './faults';
import { LogSource, Obj } from './formats';
import { infoLine, warnLine } from './logLines';
import { AppSpec, jobObject, withHeartbeat } from './objects';
import { Rng } from './rng';
import { CorpusRecord, meta, NOISE, World } from './world';
import { CATALOG } from './cluster';

/**
 * A labelled corpus: a day of one 9-node cluster (compressed: incidents far denser than a real day)
 * with incidents of every fault type, overlapping pairs, same-reason distractors, an always
 * crash-looping pod, routine CronJob runs, info logs and periodic resyncs of every object; the truth
 * of each incident's alert. A pure function of its options: the same seed gives the same bytes.
 *
 * @example const c = generateCorpus({ seed: 2, incidents: 36 }); c.records.length; c.truth[0].root.rid
 */
export interface CorpusOptions {
  seed: number;
  /** Day start, ms (default 2026-11-20T00:00:00Z). */
  start?: number;
  hours?: number;
  /** Incidents (fault types round-robin; default 2 per type). */
  incidents?: number;
  /** Pairs of incidents started 1–6 minutes apart. */
  overlapPairs?: number;
  /** Informer resync of every object, minutes (the real agent: 0.5; compressed by default to 30). */
  resyncMinutes?: number;
  /** Noise records per causal one (at least this many). */
  noisePerCausal?: number;
  /** Only these fault types. */
  faultTypes?: string[];
  /** The client id the truth names. */
  client?: string;
  /** Probability that an incident gets a same-reason distractor on another pod. */
  distractorRate?: number;
}

export interface CorpusStats {
  records: number;
  causal: number;
  noise: number;
  noisePerCausal: number;
  byTopic: Record<string, number>;
  incidents: number;
  faultTypes: Record<string, number>;
  overlappingIncidents: number;
  resyncRecords: number;
}

export interface Corpus {
  seed: number;
  start: number;
  end: number;
  records: CorpusRecord[];
  truth: Truth[];
  stats: CorpusStats;
}

export const DEFAULT_START = Date.parse('2026-11-20T00:00:00Z');
const MIN = 60_000;

function logSourceOfObj(o: Obj, restart: number): LogSource {
  const m = meta(o) as { name: string; namespace: string; uid: string; labels: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string }> };
  const spec = o.spec as { nodeName?: string; containers: Array<{ name: string; image: string }> };
  const st = o.status as { podIP?: string; containerStatuses?: Array<{ containerID?: string }> };
  const owner = m.ownerReferences?.[0];
  return {
    pod: m.name,
    namespace: m.namespace,
    podUid: m.uid,
    container: spec.containers[0].name,
    node: spec.nodeName ?? '',
    podIp: st.podIP ?? '',
    image: spec.containers[0].image,
    containerId: st.containerStatuses?.[0]?.containerID ?? '',
    labels: m.labels,
    owner: owner ? `${owner.kind}/${owner.name}` : '',
    restart,
  };
}

/** Routine CronJob runs (db-backup every 30 min): Job and Pod objects, the normal events, cleanup. */
function cronNoise(cl: Cluster, start: number, end: number): void {
  const w = cl.world;
  const rng = w.rng;
  const cron = cl.cronJobs.get('db-backup')!;
  const app: AppSpec = { namespace: 'batch', name: 'db-backup', kind: 'Deployment', replicas: 1, container: { name: 'db-backup', image: 'registry.example.com/batch/db-backup:1.1.0', port: 8000, memoryLimit: '256Mi', cpuRequest: '100m', probes: false }, lang: 'python', calls: [], servicePort: 0 };
  let previous: Obj | null = null;
  for (let t = start + 30 * MIN; t < end; t += 30 * MIN) {
    const at = t + rng.int(0, 4) * 1000;
    const name = `db-backup-${Math.floor(t / MIN)}`;
    const job = jobObject('batch', name, rng.uid(), { name: 'db-backup', uid: meta(cron).uid }, app.container.image, at, 2);
    w.put(at, job, NOISE);
    w.event(at, cron, { reason: 'SuccessfulCreate', type: 'Normal', component: 'cronjob-controller', message: `Created job ${name}` }, NOISE);
    const p = newPod(cl, { app, uid: meta(job).uid, obj: job, pods: [], rs: { name, uid: meta(job).uid, hash: '', revision: 1, obj: job } }, at + 200);
    const pm = p.obj.metadata as { name: string; labels: Record<string, string>; ownerReferences: Array<Record<string, unknown>> };
    pm.labels = { 'batch.kubernetes.io/job-name': name, 'job-name': name };
    pm.ownerReferences = [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: meta(job).uid, controller: true, blockOwnerDeletion: true }];
    w.event(at + 100, job, { reason: 'SuccessfulCreate', type: 'Normal', component: 'job-controller', message: `Created pod: ${pm.name}` }, NOISE);
    w.event(at + 300, p.obj, { reason: 'Scheduled', type: 'Normal', component: 'default-scheduler', instance: 'default-scheduler-ip-10-0-0-1', action: 'Binding', message: `Successfully assigned batch/${pm.name} to ${p.node}` }, NOISE);
    w.put(at + 300, p.obj, NOISE);
    w.event(at + 1500, p.obj, { reason: 'Pulled', type: 'Normal', component: 'kubelet', host: p.node, fieldPath: 'spec.containers{db-backup}', message: `Container image "${app.container.image}" already present on machine` }, NOISE);
    w.event(at + 1600, p.obj, { reason: 'Created', type: 'Normal', component: 'kubelet', host: p.node, fieldPath: 'spec.containers{db-backup}', message: 'Created container db-backup' }, NOISE);
    w.event(at + 1700, p.obj, { reason: 'Started', type: 'Normal', component: 'kubelet', host: p.node, fieldPath: 'spec.containers{db-backup}', message: 'Started container db-backup' }, NOISE);
    const src = logSourceOfObj(p.obj, 0);
    w.log(at + 2500, src, `INFO backup: pg_dump of shop started`, 'stdout', NOISE);
    w.log(at + 41_000, src, `INFO backup: uploaded s3://backups/shop/${new Date(at).toISOString().slice(0, 16)}.sql.gz (${rng.int(200, 900)} MB)`, 'stdout', NOISE);
    const doneAt = at + 42_000;
    const done = structuredClone(p.obj);
    Object.assign(done.status as Obj, { phase: 'Succeeded' });
    ((done.status as Obj).containerStatuses as Obj[])[0].state = { terminated: { exitCode: 0, reason: 'Completed', startedAt: new Date(at + 1700).toISOString().replace(/\.\d+Z/, 'Z'), finishedAt: new Date(doneAt).toISOString().replace(/\.\d+Z/, 'Z') } };
    w.put(doneAt, done, NOISE);
    const jobDone = structuredClone(job);
    jobDone.status = { startTime: meta(job) && (job.status as Obj).startTime, completionTime: new Date(doneAt + 1000).toISOString().replace(/\.\d+Z/, 'Z'), succeeded: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {}, conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] };
    w.put(doneAt + 1000, jobDone, NOISE);
    w.event(doneAt + 1000, job, { reason: 'Completed', type: 'Normal', component: 'job-controller', message: 'Job completed' }, NOISE);
    w.event(doneAt + 1500, cron, { reason: 'SawCompletedJob', type: 'Normal', component: 'cronjob-controller', message: `Saw completed job: ${name}, condition: Complete` }, NOISE);
    if (previous) {
      w.event(doneAt + 1600, cron, { reason: 'SuccessfulDelete', type: 'Normal', component: 'cronjob-controller', message: `Deleted job ${meta(previous).name}` }, NOISE);
      w.del(doneAt + 1700, previous, NOISE);
    }
    previous = jobDone;
    w.del(doneAt + 1800, done, NOISE);
  }
}

/** The informer resync: every live object re-sent unchanged (Nodes with their heartbeat moved). */
function resyncs(w: World, start: number, end: number, everyMs: number): number {
  let n = 0;
  for (let t = start + everyMs; t < end; t += everyMs) {
    for (const [key] of w.history) {
      const s = w.stateAt(key, t);
      if (!s || s.value === null || !s.obj) continue;
      if (s.obj.kind === 'Node') {
        w.put(t, withHeartbeat(s.obj, t), NOISE);
      } else {
        const k = key.indexOf('/');
        w.records.push({ at: t, topic: 'resource', kind: key.slice(0, k), id: key.slice(k + 1), value: s.value, causal: false });
      }
      n++;
    }
  }
  return n;
}

/** Info (and some warning) lines from running pods, some as bare CRI lines without metadata. */
function logNoise(w: World, start: number, end: number, count: number): void {
  const rng = w.rng;
  const pods = [...w.history.keys()].filter((k) => k.startsWith('Pod/'));
  const apps = new Map(CATALOG.map((a) => [a.name, a]));
  const before = w.records.length;
  for (let i = 0; w.records.length - before < count && i < count * 20; i++) {
    const t = start + Math.floor(rng.next() * (end - start));
    if (rng.chance(0.03)) {
      w.plainLog(t, rng.pick(['level=info msg="node heartbeat sent"', 'I1120 10:00:00.000000       1 reflector.go:368] Caches populated for *v1.Pod', 'time="2026-11-20T10:00:00Z" level=info msg="flushed 128 metrics"']), 'stdout');
      continue;
    }
    const key = rng.pick(pods);
    const s = w.stateAt(key, t);
    if (!s?.obj || (s.obj.status as { phase?: string }).phase !== 'Running') continue;
    const lbl = (meta(s.obj).labels ?? {}) as Record<string, string>;
    const app = apps.get(lbl.app ?? '');
    if (!app) continue;
    const restarts = ((s.obj.status as Obj).containerStatuses as Array<{ restartCount: number }> | undefined)?.[0]?.restartCount ?? 0;
    const line = rng.chance(0.05) ? warnLine(app, t, rng) : infoLine(app, t, rng);
    w.log(t, logSourceOfObj(s.obj, restarts), line, 'stdout', NOISE);
  }
}

/** legacy-reporter crash-loops all day (a known-broken pod nobody fixes): BackOff all day long, its alert long firing. */
function alwaysBroken(cl: Cluster, start: number, end: number, busy: Map<string, number>): void {
  const w = cl.workloads.get('batch/legacy-reporter')!;
  const p = w.pods[0];
  const world = cl.world;
  const rng = world.rng;
  busy.set(appKey(w.app), end);
  let backoff: ReturnType<World['event']> | null = null;
  const src = () => logSourceOfObj(p.obj, p.restarts);
  for (let t = start + rng.int(1, 200) * 1000; t < end; t += 300_000 + rng.int(5, 40) * 1000) {
    world.log(t - 20, src(), 'Exception in thread "main" java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.', 'stderr', NOISE);
    world.log(t - 10, src(), '\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)', 'stderr', NOISE);
    const o = structuredClone(p.obj);
    const cs = ((o.status as Obj).containerStatuses as Obj[])[0];
    cs.lastState = { terminated: { exitCode: 1, reason: 'Error', startedAt: new Date(t - 35_000).toISOString().replace(/\.\d+Z/, 'Z'), finishedAt: new Date(t).toISOString().replace(/\.\d+Z/, 'Z'), containerID: p.containerId } };
    cs.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off 5m0s restarting failed container=legacy-reporter pod=${meta(p.obj).name}_batch(${meta(p.obj).uid})` } };
    cs.restartCount = ++p.restarts;
    cs.ready = false;
    p.obj = world.put(t + 1000, o, NOISE);
    const msg = `Back-off restarting failed container legacy-reporter in pod ${meta(p.obj).name}_batch(${meta(p.obj).uid})`;
    backoff = backoff ? world.repeat(backoff, t + 1000, NOISE, rng.int(3, 6)) : world.event(t + 1000, p.obj, { reason: 'BackOff', type: 'Warning', component: 'kubelet', host: p.node, fieldPath: 'spec.containers{legacy-reporter}', message: msg }, NOISE);
  }
}

export function generateCorpus(o: CorpusOptions): Corpus {
  const rng = new Rng(o.seed);
  const start = o.start ?? DEFAULT_START;
  const end = start + (o.hours ?? 24) * 3_600_000;
  const types = o.faultTypes ?? FAULT_TYPES;
  const n = o.incidents ?? types.length * 2;
  const pairs = Math.min(o.overlapPairs ?? Math.floor(n / 6), Math.floor(n / 2));
  const cl = buildCluster(rng, start);
  const busy = new Map<string, number>();
  const used = new Map<string, number>();
  alwaysBroken(cl, start, end, busy);

  // Times: n slots over the day; the second of each overlapping pair 1-6 minutes after the first.
  const slots = n - pairs;
  const span = end - start - 150 * MIN;
  const times: number[] = [];
  const pairAt = new Set(rng.shuffle(Array.from({ length: slots }, (_, i) => i)).slice(0, pairs));
  for (let i = 0; i < slots; i++) {
    const t = start + 20 * MIN + Math.floor((span * i) / slots) + rng.int(0, Math.floor(span / slots / 3));
    times.push(t);
    if (pairAt.has(i)) times.push(t + rng.int(60, 360) * 1000);
  }
  times.sort((a, b) => a - b);
  const order: string[] = [];
  while (order.length < n) order.push(...rng.shuffle(types));
  const truth: Truth[] = [];
  const spans: Array<{ id: string; from: number; to: number }> = [];
  let seq = 0;
  for (let i = 0; i < n; i++) {
    let faultType = order[i];
    let core = null;
    let id = '';
    let ctx: FaultCtx | null = null;
    // No free target for this type now: another type that has one.
    for (const type of [faultType, ...rng.shuffle(types.filter((t) => t !== faultType))]) {
      id = `inc-${String(o.seed).padStart(3, '0')}-${String(seq + 1).padStart(3, '0')}-${type}`;
      ctx = { cl, t0: times[i], tag: { causal: true, incident: id }, busy, used };
      core = FAULTS[type](ctx);
      if (core) {
        faultType = type;
        break;
      }
    }
    if (!core || !ctx) continue;
    seq++;
    if (rng.chance(o.distractorRate ?? 0.6)) distractor(ctx, rng.chance(0.6) ? 'backoff' : 'unhealthy');
    truth.push({ id, client: o.client ?? 'corpus', faultType, overlapsWith: [], ...core });
    spans.push({ id, from: Date.parse(core.firstSymptomAt), to: Date.parse(core.alert.startsAt) + 10 * MIN });
  }
  for (const t of truth) {
    const me = spans.find((s) => s.id === t.id)!;
    t.overlapsWith = spans.filter((s) => s.id !== t.id && s.from < me.to && me.from < s.to).map((s) => s.id);
  }
  // Occasional lone warnings all day (readiness blips, single restarts).
  for (let t = start + 40 * MIN; t < end; t += rng.int(40, 90) * MIN) distractor({ cl, t0: t, tag: NOISE, busy }, rng.chance(0.5) ? 'backoff' : 'unhealthy');
  cronNoise(cl, start, end);
  const resyncRecords = resyncs(cl.world, start, end, (o.resyncMinutes ?? 30) * MIN);
  const causal = cl.world.records.filter((r) => r.causal).length;
  const noiseSoFar = cl.world.records.length - causal;
  const want = Math.ceil((o.noisePerCausal ?? 6) * causal);
  if (noiseSoFar < want) logNoise(cl.world, start, end, want - noiseSoFar);
  const records = cl.world.records
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.at - b.r.at || a.i - b.i)
    .map((x) => x.r);
  const byTopic: Record<string, number> = {};
  for (const r of records) byTopic[r.topic] = (byTopic[r.topic] ?? 0) + 1;
  const causalN = records.filter((r) => r.causal).length;
  const faultTypes: Record<string, number> = {};
  for (const t of truth) faultTypes[t.faultType] = (faultTypes[t.faultType] ?? 0) + 1;
  return {
    seed: o.seed,
    start,
    end,
    records,
    truth,
    stats: {
      records: records.length,
      causal: causalN,
      noise: records.length - causalN,
      noisePerCausal: +((records.length - causalN) / Math.max(1, causalN)).toFixed(2),
      byTopic,
      incidents: truth.length,
      faultTypes,
      overlappingIncidents: truth.filter((t) => t.overlapsWith.length > 0).length,
      resyncRecords,
    },
  };
}

/** The two halves of the evaluation corpus: different seeds (so different objects, names, times and targets) and consecutive days. */
export function corpusSplit(seed: number, o: Omit<CorpusOptions, 'seed'> = {}): { training: Corpus; heldOut: Corpus } {
  const start = o.start ?? DEFAULT_START;
  // The training day is the day before, so both halves can live in one client's graph.
  return { training: generateCorpus({ ...o, seed: seed * 2 + 1, start: start - 24 * 3_600_000 }), heldOut: generateCorpus({ ...o, seed: seed * 2 + 2, start }) };
}
