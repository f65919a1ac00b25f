import { resourceId } from '../../graph/resourceId';
import { appKey, Cluster, newPod, nodeOf, scheduleNode, templateHash, Workload } from './cluster';
import { AlertSpec, Obj, rfc3339 } from './formats';
import { connectionRefusedLine, infoLine, jobFailureLines, missingConfigKeyLines, noSuchHostLine, panicLines, warnLine } from './logLines';
import {
  jobObject, logSourceOf, PodHandle, podBackOff, podEvicted, podNodeLost, podReady, podRestarted, podTerminated, podUnready, podUnschedulable, podWaiting, pvcObject, replicaSetObject,
  withNodeCondition, withNodeUnknown,
} from './objects';
import { alertFingerprint, Rng } from './rng';
import { K8sEvent } from './formats';
import { meta, NOISE, Tag, World } from './world';

/**
 * The fault types of the corpus. Each injects one incident into the cluster at t0 (its first
 * symptom): the object states, Events and log lines Kubernetes and the applications really produce
 * (../shared/K8S-SIGNALS.md), then the alert a kubernetes-mixin rule (or an application's own rule)
 * fires after its `for:` delay, and its resolution. It returns the incident's truth.
 */
export interface Truth {
  id: string;
  client: string;
  faultType: string;
  alert: { fingerprint: string; alertname: string; startsAt: string };
  root: { rid: string; reasons: string[] };
  /** When the first symptom appeared (the alert starts `for:` later). */
  firstSymptomAt: string;
  /** Incidents whose time span overlaps this one's. */
  overlapsWith: string[];
  note: string;
}

export type TruthCore = Omit<Truth, 'id' | 'client' | 'faultType' | 'overlapsWith'>;

export interface FaultCtx {
  cl: Cluster;
  t0: number;
  tag: Tag;
  /** Workloads and nodes in use by other incidents until a time. */
  busy: Map<string, number>;
  /** How often each workload was a target so far (targets are spread over the cluster). */
  used?: Map<string, number>;
}

function leastUsed<T>(ctx: FaultCtx, xs: T[], key: (x: T) => string): T[] {
  const used = ctx.used ?? new Map<string, number>();
  return ctx.cl.world.rng.shuffle(xs).sort((a, b) => (used.get(key(a)) ?? 0) - (used.get(key(b)) ?? 0));
}

function markUsed(ctx: FaultCtx, key: string): void {
  if (ctx.used) ctx.used.set(key, (ctx.used.get(key) ?? 0) + 1);
}

/**
 * Every reason under which each kind of root event may legitimately appear (contract: Evaluation truth):
 * the Event reasons Kubernetes uses, the reasons of events derived from object state (contract:
 * OOMKilled, Error, ClaimPending, ...) and the log error classes (src/normalize/classifyError.ts).
 */
export const ROOT_REASONS = {
  oom: ['OOMKilled', 'OOMKilling'],
  crashLog: ['Error', 'config_error', 'panic', 'exception', 'uncaught_exception'],
  panic: ['Error', 'panic', 'exception', 'uncaught_exception'],
  configMapVolume: ['FailedMount', 'CreateContainerConfigError', 'Failed'],
  secretEnv: ['CreateContainerConfigError', 'Failed', 'FailedMount'],
  imagePull: ['Failed', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName'],
  nodeNotReady: ['NodeNotReady', 'NodeStatusUnknown', 'KubeletNotReady'],
  diskPressure: ['DiskPressure', 'NodeHasDiskPressure', 'EvictionThresholdMet', 'FreeDiskSpaceFailed'],
  pvcPending: ['ProvisioningFailed', 'ClaimPending'],
  multiAttach: ['FailedAttachVolume'],
  readiness: ['Unhealthy', 'PodNotReady'],
  liveness: ['Unhealthy'],
  sandbox: ['FailedCreatePodSandBox'],
  // The failure of the pod that exhausted the Job's backoff limit (its termination or the error it logged), not the
  // Job's BackoffLimitExceeded: that is the condition kube_job_failed (KubeJobFailed) reports, the alert restated.
  jobFailed: ['Error', 'exception', 'panic', 'uncaught_exception'],
  rollout: ['ScalingReplicaSet', 'ReplicaSetUpdated', 'ProgressDeadlineExceeded'],
  unschedulable: ['FailedScheduling', 'Unschedulable'],
} as const;

const MIN = 60_000;
const S = 1000;

function podName(p: PodHandle): string {
  return meta(p.obj).name;
}
function podNs(p: PodHandle): string {
  return meta(p.obj).namespace!;
}
function podRid(p: PodHandle): string {
  return resourceId('Pod', podNs(p), podName(p));
}
function containerOf(p: PodHandle): string {
  return ((p.obj.spec as Obj).containers as Obj[])[0].name as string;
}
function imageOf(p: PodHandle): string {
  return ((p.obj.spec as Obj).containers as Obj[])[0].image as string;
}

function kubeletEvent(w: World, at: number, p: PodHandle, reason: string, message: string, type: 'Normal' | 'Warning', tag: Tag, container = true): K8sEvent {
  return w.event(at, p.obj, { reason, message, type, component: 'kubelet', host: p.node, fieldPath: container ? `spec.containers{${containerOf(p)}}` : undefined }, tag);
}

function ksmLabels(cl: Cluster, extra: Record<string, string>): Record<string, string> {
  const ksm = cl.workloads.get('monitoring/kube-prometheus-stack-kube-state-metrics')!.pods[0];
  return {
    container: 'kube-state-metrics',
    endpoint: 'http',
    instance: `${ksm.ip}:8080`,
    job: 'kube-state-metrics',
    namespace: 'monitoring',
    pod: cl.ksmPod,
    prometheus: 'monitoring/kube-prometheus-stack-prometheus',
    service: 'kube-prometheus-stack-kube-state-metrics',
    severity: 'warning',
    ...extra,
  };
}

const RUNBOOK = 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/';

/**
 * Fires an alert `forMs` after `pendingFrom` (plus the rule evaluation lag), notifies 30 s later
 * (group_wait), and resolves it at `resolveAt`. Returns the alert as the truth names it.
 */
function fire(ctx: FaultCtx, alertname: string, labels: Record<string, string>, annotations: Record<string, string>, expr: string, pendingFrom: number, forMs: number, resolveAt: number): { spec: AlertSpec; truth: TruthCore['alert'] } {
  const rng = ctx.cl.world.rng;
  const startsAt = pendingFrom + forMs + rng.int(5, 60) * S;
  const spec: AlertSpec = { labels: { alertname, ...labels }, annotations, startsAt, generatorExpr: expr };
  ctx.cl.world.notify(startsAt + 30 * S, spec, ctx.tag);
  // Alertmanager re-sends a firing group every repeat_interval (here 1 h while it lasts).
  for (let t = startsAt + 60 * MIN; t < resolveAt; t += 60 * MIN) ctx.cl.world.notify(t, spec, ctx.tag);
  ctx.cl.world.notify(resolveAt + 30 * S, { ...spec, endsAt: resolveAt }, ctx.tag);
  return { spec, truth: { fingerprint: alertFingerprint(spec.labels), alertname, startsAt: new Date(startsAt).toISOString() } };
}

function crashLoopingAlert(ctx: FaultCtx, p: PodHandle, pendingFrom: number, resolveAt: number, forMs = 15 * MIN) {
  const c = containerOf(p);
  return fire(
    ctx,
    'KubePodCrashLooping',
    ksmLabels(ctx.cl, { container: c, namespace: podNs(p), pod: podName(p), reason: 'CrashLoopBackOff', uid: meta(p.obj).uid }),
    { description: `Pod ${podNs(p)}/${podName(p)} (${c}) is in waiting state (reason: "CrashLoopBackOff") on cluster .`, runbook_url: `${RUNBOOK}kubepodcrashlooping`, summary: 'Pod is crash looping.' },
    'max_over_time(kube_pod_container_status_waiting_reason{job="kube-state-metrics",namespace=~".*",reason="CrashLoopBackOff"}[5m]) >= 1',
    pendingFrom,
    forMs,
    resolveAt,
  );
}

function podNotReadyAlert(ctx: FaultCtx, p: PodHandle, pendingFrom: number, resolveAt: number) {
  return fire(
    ctx,
    'KubePodNotReady',
    { namespace: podNs(p), pod: podName(p), prometheus: 'monitoring/kube-prometheus-stack-prometheus', severity: 'warning' },
    { description: `Pod ${podNs(p)}/${podName(p)} has been in a non-ready state for longer than 15 minutes on cluster .`, runbook_url: `${RUNBOOK}kubepodnotready`, summary: 'Pod has been in a non-ready state for more than 15 minutes.' },
    'sum by (namespace, pod, cluster) (max by (namespace, pod, cluster) (kube_pod_status_phase{job="kube-state-metrics",namespace=~".*",phase=~"Pending|Unknown|Failed"}) * on (namespace, pod, cluster) group_left (owner_kind) topk by (namespace, pod, cluster) (1, max by (namespace, pod, owner_kind, cluster) (kube_pod_owner{owner_kind!="Job"}))) > 0',
    pendingFrom,
    15 * MIN,
    resolveAt,
  );
}

function replicasMismatchAlert(ctx: FaultCtx, w: Workload, pendingFrom: number, resolveAt: number) {
  const sts = w.app.kind === 'StatefulSet';
  const name = sts ? 'KubeStatefulSetReplicasMismatch' : 'KubeDeploymentReplicasMismatch';
  const label = sts ? 'statefulset' : 'deployment';
  return fire(
    ctx,
    name,
    ksmLabels(ctx.cl, { [label]: w.app.name, namespace: w.app.namespace }),
    { description: `${sts ? 'StatefulSet' : 'Deployment'} ${w.app.namespace}/${w.app.name} has not matched the expected number of replicas for longer than 15 minutes on cluster .`, runbook_url: `${RUNBOOK}${name.toLowerCase()}`, summary: `${sts ? 'StatefulSet' : 'Deployment'} has not matched the expected number of replicas.` },
    sts ? '(kube_statefulset_status_replicas_ready{job="kube-state-metrics"} != kube_statefulset_status_replicas{job="kube-state-metrics"})' : '(kube_deployment_spec_replicas{job="kube-state-metrics"} > kube_deployment_status_replicas_available{job="kube-state-metrics"})',
    pendingFrom,
    15 * MIN,
    resolveAt,
  );
}

/** An application's own alert (not kubernetes-mixin): error ratio of a Service, `for: 5m`. */
function errorRateAlert(ctx: FaultCtx, w: Workload, pendingFrom: number, resolveAt: number) {
  return fire(
    ctx,
    'HighErrorRate',
    { job: w.app.name, namespace: w.app.namespace, prometheus: 'monitoring/kube-prometheus-stack-prometheus', service: w.app.name, severity: 'critical' },
    { summary: `${w.app.name} is failing more than 5% of its requests`, description: `${(5 + ctx.cl.world.rng.next() * 40).toFixed(1)}% of requests to ${w.app.namespace}/${w.app.name} failed over the last 5 minutes.` },
    `sum by (namespace, service, job) (rate(http_requests_total{service="${w.app.name}",code=~"5.."}[5m])) / sum by (namespace, service, job) (rate(http_requests_total{service="${w.app.name}"}[5m])) > 0.05`,
    pendingFrom,
    5 * MIN,
    resolveAt,
  );
}

/** Lines of `lines` printed by `p` ending at `endAt`, a few ms apart (one record per line). */
function printLines(w: World, p: PodHandle, lines: string[], endAt: number, stream: 'stdout' | 'stderr', tag: Tag): void {
  const src = logSourceOf(p, () => undefined);
  lines.forEach((l, i) => w.log(endAt - (lines.length - i) * 3, src, l, stream, tag));
}

interface CrashOpts {
  reason: 'OOMKilled' | 'Error';
  exitCode: number;
  runMs: () => number;
  /** Log lines printed before each crash. */
  lastLines?: (at: number) => string[];
  /** node-problem-detector reports the kernel's OOM kill on the Node. */
  npd?: boolean;
}

/**
 * A container crashing again and again from `firstCrash` until `until`: terminated (lastState after
 * the restart), CrashLoopBackOff with the kubelet's back-off (10 s doubling to 5 min), restartCount
 * up, BackOff events with a rising count, the normal Pulled / Created / Started repeats. Ends
 * running and ready at `until` (the fix). Returns when the first CrashLoopBackOff was visible.
 */
function crashLoop(ctx: FaultCtx, p: PodHandle, firstCrash: number, until: number, o: CrashOpts): number {
  const w = ctx.cl.world;
  const rng = w.rng;
  let crashAt = firstCrash;
  let startedAt = firstCrash - o.runMs();
  let backoffEvent: K8sEvent | null = null;
  const normal: Record<string, K8sEvent> = {};
  let firstWaiting = 0;
  for (let k = 1; crashAt < until; k++) {
    if (o.lastLines) printLines(w, p, o.lastLines(crashAt), crashAt, 'stderr', ctx.tag);
    w.put(crashAt, podTerminated(p, crashAt, o.reason, o.exitCode, startedAt), ctx.tag);
    if (o.reason === 'OOMKilled' && o.npd && rng.chance(0.7)) {
      const node = ctx.cl.nodeObjects.get(p.node)!;
      const proc = { go: meta(p.obj).name.split('-')[0], java: 'java', node: 'node', python: 'python3', nginx: 'nginx' }[p.app.lang];
      w.event(crashAt + rng.int(0, 900), node, { reason: 'OOMKilling', type: 'Warning', component: 'kernel-monitor', host: p.node, message: `Out of memory: Killed process ${rng.int(2000, 60000)} (${proc}) total-vm:${rng.int(2, 9) * 1048576}kB, anon-rss:${rng.int(200, 2000) * 1024}kB, file-rss:${rng.int(0, 9000)}kB, shmem-rss:0kB, UID:${rng.pick(['0', '1000', '65532'])} pgtables:${rng.int(900, 5000)}kB oom_score_adj:${rng.int(900, 999)}` }, ctx.tag);
    }
    const backoff = Math.min(10 * 2 ** (k - 1), 300);
    const waitAt = crashAt + S;
    w.put(waitAt, podBackOff(p, waitAt, backoff), ctx.tag);
    if (!firstWaiting) firstWaiting = waitAt;
    const msg = `Back-off restarting failed container ${containerOf(p)} in pod ${podName(p)}_${podNs(p)}(${meta(p.obj).uid})`;
    if (!backoffEvent) backoffEvent = kubeletEvent(w, waitAt, p, 'BackOff', msg, 'Warning', ctx.tag);
    else backoffEvent = w.repeat(backoffEvent, waitAt, ctx.tag);
    // The kubelet's pod syncs during a long back-off report it again.
    for (let t = waitAt + 60 * S; t < waitAt + backoff * S - 10 * S && t < until; t += rng.int(50, 120) * S) backoffEvent = w.repeat(backoffEvent, t, ctx.tag);
    const restartAt = waitAt + backoff * S;
    if (restartAt >= until) break;
    for (const [reason, message] of [['Pulled', `Container image "${imageOf(p)}" already present on machine`], ['Created', `Created container ${containerOf(p)}`], ['Started', `Started container ${containerOf(p)}`]] as const) {
      normal[reason] = normal[reason] ? w.repeat(normal[reason], restartAt, NOISE) : kubeletEvent(w, restartAt, p, reason, message, 'Normal', NOISE);
    }
    w.put(restartAt, podRestarted(p, restartAt, rng), ctx.tag);
    startedAt = restartAt;
    crashAt = restartAt + o.runMs();
  }
  w.put(until, podRestarted(p, until, rng, true), ctx.tag);
  return firstWaiting;
}

function resolveDelay(rng: Rng): number {
  return rng.int(8, 35) * MIN;
}

/**
 * The `for:` of a KubePodCrashLooping rule: 15 m (kubernetes-mixin today), 1 h in one cluster out of
 * five (older mixin releases, still deployed): such alerts start an hour after the first crash.
 */
function crashLoopFor(rng: Rng): number {
  return rng.chance(0.2) ? 60 * MIN : 15 * MIN;
}

// ---- target selection ----

function free(ctx: FaultCtx, key: string, until: number): boolean {
  return (ctx.busy.get(key) ?? 0) < ctx.t0 - 5 * MIN || (ctx.busy.get(key) ?? 0) === 0 ? reserve(ctx, key, until) : false;
}

function reserve(ctx: FaultCtx, key: string, until: number): boolean {
  ctx.busy.set(key, until);
  return true;
}

function pickWorkload(ctx: FaultCtx, ok: (w: Workload) => boolean, until: number): Workload | null {
  const all = [...ctx.cl.workloads.values()].filter((w) => ok(w) && w.pods.length > 0 && !w.app.system && w.app.name !== 'legacy-reporter');
  for (const w of leastUsed(ctx, all, (x) => appKey(x.app))) {
    if (w.pods.some((p) => ctx.busy.has(p.node) && (ctx.busy.get(p.node) ?? 0) > ctx.t0 - 5 * MIN)) continue;
    if (free(ctx, appKey(w.app), until)) {
      markUsed(ctx, appKey(w.app));
      return w;
    }
  }
  return null;
}

function pickNode(ctx: FaultCtx, until: number): string | null {
  const rng = ctx.cl.world.rng;
  const busyApps = (n: string) => [...ctx.cl.workloads.values()].filter((w) => w.pods.some((p) => p.node === n) && !isFree(ctx, appKey(w.app))).length;
  const nodes = rng.shuffle(ctx.cl.nodes.filter((x) => !x.system && isFree(ctx, x.name))).sort((a, b) => busyApps(a.name) - busyApps(b.name));
  if (nodes.length === 0) return null;
  reserve(ctx, nodes[0].name, until);
  return nodes[0].name;
}

function isFree(ctx: FaultCtx, key: string): boolean {
  return (ctx.busy.get(key) ?? 0) < ctx.t0 - 5 * MIN;
}

/** The pods on `node` of workloads no other incident is using (those are left alone). */
function podsOnNode(ctx: FaultCtx, node: string, until: number): Array<{ w: Workload; p: PodHandle }> {
  const out: Array<{ w: Workload; p: PodHandle }> = [];
  for (const w of ctx.cl.workloads.values()) {
    if (w.app.name === 'legacy-reporter' || !isFree(ctx, appKey(w.app))) continue;
    const on = w.pods.filter((p) => p.node === node);
    if (on.length === 0) continue;
    reserve(ctx, appKey(w.app), until);
    for (const p of on) out.push({ w, p });
  }
  return out;
}

const RUN = (rng: Rng, lo: number, hi: number) => () => rng.int(lo, hi) * S;

/** A new pod of `w` (scale-up or replacement), published Pending-then-scheduled with the normal events. */
function addPod(ctx: FaultCtx, w: Workload, at: number, opts: { rs?: { name: string; uid: string; hash: string }; image?: string; node?: string } = {}): PodHandle {
  const cl = ctx.cl;
  const p = newPod(cl, w, at, { rs: opts.rs, image: opts.image, node: opts.node ? nodeOf(cl, opts.node) : undefined });
  w.pods.push(p);
  const ownerRs = opts.rs?.name ?? w.rs?.name;
  if (ownerRs && w.rs) {
    const rsObj = ownerRs === w.rs.name ? w.rs.obj : null;
    if (rsObj) cl.world.event(at - 200, rsObj, { reason: 'SuccessfulCreate', type: 'Normal', component: 'replicaset-controller', message: `Created pod: ${podName(p)}` }, NOISE);
  }
  cl.world.event(at, p.obj, { reason: 'Scheduled', type: 'Normal', component: 'default-scheduler', instance: 'default-scheduler-ip-10-0-0-1', action: 'Binding', message: `Successfully assigned ${podNs(p)}/${podName(p)} to ${p.node}` }, NOISE);
  return p;
}

// ---- the fault types ----

export type Fault = (ctx: FaultCtx) => TruthCore | null;

const oomKill: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const forMs = crashLoopFor(rng);
  const w = pickWorkload(ctx, (x) => x.app.kind === 'Deployment' && x.app.lang !== 'nginx', ctx.t0 + forMs + 45 * MIN);
  if (!w) return null;
  const p = rng.pick(w.pods);
  const world = ctx.cl.world;
  if (rng.chance(0.5)) world.log(ctx.t0 - 40 * S, logSourceOf(p, () => undefined), warnLine(w.app, ctx.t0 - 40 * S, rng), 'stdout', ctx.tag);
  const until = ctx.t0 + forMs + 2 * MIN + resolveDelay(rng);
  const waiting = crashLoop(ctx, p, ctx.t0, until, { reason: 'OOMKilled', exitCode: 137, runMs: RUN(rng, 40, 150), npd: true });
  const a = crashLoopingAlert(ctx, p, waiting, until, forMs);
  return { alert: a.truth, root: { rid: podRid(p), reasons: [...ROOT_REASONS.oom] }, firstSymptomAt: rfc3339(ctx.t0), note: `${podName(p)} exceeds its ${w.app.container.memoryLimit} limit: OOMKilled (exit 137) only in its container status, CrashLoopBackOff, BackOff events` };
};

const crashConfigKey: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const forMs = crashLoopFor(rng);
  const w = pickWorkload(ctx, (x) => x.app.kind === 'Deployment' && x.app.lang !== 'nginx', ctx.t0 + forMs + 45 * MIN);
  if (!w) return null;
  // A scale-up creates a pod that reads today's ConfigMap, from which a key was removed.
  const p = addPod(ctx, w, ctx.t0 - 6 * S);
  ctx.cl.world.put(ctx.t0 - 6 * S, p.obj, ctx.tag);
  const key = rng.pick(['PAYMENTS_API_URL', 'DATABASE_URL', 'REDIS_ADDR', 'OIDC_CLIENT_ID', 'FEATURE_FLAGS_URL']);
  const until = ctx.t0 + forMs + 2 * MIN + resolveDelay(rng);
  const waiting = crashLoop(ctx, p, ctx.t0, until, { reason: 'Error', exitCode: 1, runMs: RUN(rng, 1, 3), lastLines: (at) => missingConfigKeyLines(w.app, key, at - 800) });
  const a = crashLoopingAlert(ctx, p, waiting, until, forMs);
  return { alert: a.truth, root: { rid: podRid(p), reasons: [...ROOT_REASONS.crashLog] }, firstSymptomAt: rfc3339(ctx.t0), note: `new pod ${podName(p)} exits 1 at start: configuration key ${key} missing (only in its last log lines)` };
};

const panicCrash: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const forMs = crashLoopFor(rng);
  const w = pickWorkload(ctx, (x) => x.app.kind === 'Deployment' && x.app.lang !== 'nginx', ctx.t0 + forMs + 45 * MIN);
  if (!w) return null;
  const p = rng.pick(w.pods);
  const until = ctx.t0 + forMs + 2 * MIN + resolveDelay(rng);
  const trace = panicLines(w.app, ctx.t0, rng);
  const waiting = crashLoop(ctx, p, ctx.t0, until, { reason: 'Error', exitCode: trace.exitCode, runMs: RUN(rng, 5, 60), lastLines: (at) => panicLines(w.app, at, rng).lines });
  const a = crashLoopingAlert(ctx, p, waiting, until, forMs);
  return { alert: a.truth, root: { rid: podRid(p), reasons: [...ROOT_REASONS.panic] }, firstSymptomAt: rfc3339(ctx.t0), note: `${podName(p)} crashes with a stack trace (exit ${trace.exitCode}), one log record per line` };
};

const missingConfigMap: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const w = pickWorkload(ctx, (x) => x.app.kind === 'Deployment' && !!x.app.container.configMapVolume, ctx.t0 + 60 * MIN);
  if (!w) return null;
  const world = ctx.cl.world;
  const p = addPod(ctx, w, ctx.t0 - 2 * S);
  const cm = `${w.app.container.configMapVolume}-v${rng.int(2, 9)}`;
  // The new pod's template names a ConfigMap that was never created.
  const vols = (p.obj.spec as Obj).volumes as Obj[];
  for (const v of vols) if (v.configMap) (v.configMap as Obj).name = cm;
  world.put(ctx.t0 - 2 * S, podWaiting(p, ctx.t0 - 2 * S, 'ContainerCreating'), ctx.tag);
  const until = ctx.t0 + 16 * MIN + resolveDelay(rng);
  let e = world.event(ctx.t0, p.obj, { reason: 'FailedMount', type: 'Warning', component: 'kubelet', host: p.node, message: `MountVolume.SetUp failed for volume "config" : configmap "${cm}" not found` }, ctx.tag);
  const api = (vols.find((v) => String(v.name).startsWith('kube-api-access')) ?? { name: 'kube-api-access' }).name;
  let timedOut: K8sEvent | null = null;
  for (let t = ctx.t0 + 8 * S, d = 8; t < until; d = Math.min(d * 2, 122), t += d * S) {
    e = world.repeat(e, t, ctx.tag);
    if (t > ctx.t0 + 2 * MIN) {
      const m = `Unable to attach or mount volumes: unmounted volumes=[config], unattached volumes=[config ${api}]: timed out waiting for the condition`;
      timedOut = timedOut ? world.repeat(timedOut, t + 1500, ctx.tag) : world.event(t + 1500, p.obj, { reason: 'FailedMount', type: 'Warning', component: 'kubelet', host: p.node, message: m }, ctx.tag);
    }
  }
  world.del(until, p.obj, ctx.tag);
  const a = podNotReadyAlert(ctx, p, ctx.t0 - 2 * S, until);
  return { alert: a.truth, root: { rid: podRid(p), reasons: [...ROOT_REASONS.configMapVolume] }, firstSymptomAt: rfc3339(ctx.t0), note: `new pod ${podName(p)} mounts ConfigMap ${cm}, which does not exist` };
};

const missingSecret: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const w = pickWorkload(ctx, (x) => x.app.kind === 'Deployment' && !!x.app.container.secretEnv, ctx.t0 + 60 * MIN);
  if (!w) return null;
  const world = ctx.cl.world;
  const p = addPod(ctx, w, ctx.t0 - 3 * S);
  const s = w.app.container.secretEnv![0];
  const missingKey = rng.chance(0.5);
  const message = missingKey ? `couldn't find key ${s.key}-v2 in Secret ${w.app.namespace}/${s.secret}` : `secret "${s.secret}-v2" not found`;
  const c = ((p.obj.spec as Obj).containers as Obj[])[0];
  for (const env of (c.env as Obj[]) ?? []) {
    const ref = (env.valueFrom as Obj).secretKeyRef as Obj;
    if (missingKey) ref.key = `${s.key}-v2`;
    else ref.name = `${s.secret}-v2`;
  }
  world.put(ctx.t0, podWaiting(p, ctx.t0, 'CreateContainerConfigError', message), ctx.tag);
  const until = ctx.t0 + 16 * MIN + resolveDelay(rng);
  let failed = kubeletEvent(world, ctx.t0, p, 'Failed', `Error: ${message}`, 'Warning', ctx.tag);
  let pulled = kubeletEvent(world, ctx.t0 - 500, p, 'Pulled', `Container image "${imageOf(p)}" already present on machine`, 'Normal', NOISE);
  for (let t = ctx.t0 + 12 * S, d = 12; t < until; d = Math.min(d * 2, 90), t += d * S) {
    pulled = world.repeat(pulled, t - 400, NOISE);
    failed = world.repeat(failed, t, ctx.tag);
  }
  world.del(until, p.obj, ctx.tag);
  const a = podNotReadyAlert(ctx, p, ctx.t0 - 3 * S, until);
  return { alert: a.truth, root: { rid: podRid(p), reasons: [...ROOT_REASONS.secretEnv] }, firstSymptomAt: rfc3339(ctx.t0), note: `new pod ${podName(p)}: ${message}` };
};

/** A rollout: a new ReplicaSet (new pod-template-hash, revision + 1) and its first pod, the Deployment's status. */
function rollout(ctx: FaultCtx, w: Workload, at: number, image: string): { rs: { name: string; uid: string; hash: string; obj: Obj }; pod: PodHandle; revision: number } {
  const world = ctx.cl.world;
  const rng = world.rng;
  const hash = templateHash(rng);
  const revision = w.rs!.revision + 1;
  const name = `${w.app.name}-${hash}`;
  const rsObj = replicaSetObject(w.app, name, rng.uid(), hash, revision, 1, { name: w.app.name, uid: w.uid }, at, image);
  rsObj.status = { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 };
  const rs = { name, uid: meta(rsObj).uid, hash, obj: rsObj };
  const dep = structuredClone(w.obj);
  (dep.metadata as Obj).annotations = { 'deployment.kubernetes.io/revision': String(revision) };
  (dep.metadata as Obj).generation = revision;
  ((((dep.spec as Obj).template as Obj).spec as Obj).containers as Obj[])[0].image = image;
  const st = dep.status as { updatedReplicas: number; conditions: Array<Record<string, unknown>>; unavailableReplicas?: number; replicas: number; observedGeneration: number };
  st.observedGeneration = revision;
  st.updatedReplicas = 1;
  st.replicas = w.app.replicas + 1;
  st.unavailableReplicas = 1;
  const prog = st.conditions.find((c) => c.type === 'Progressing')!;
  Object.assign(prog, { status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${name}" is progressing.`, lastUpdateTime: rfc3339(at) });
  w.obj = world.put(at, dep, ctx.tag);
  world.put(at, rsObj, ctx.tag);
  world.event(at, w.obj, { reason: 'ScalingReplicaSet', type: 'Normal', component: 'deployment-controller', message: `Scaled up replica set ${name} to 1 from 0` }, ctx.tag);
  const pod = newPod(ctx.cl, w, at + 300, { rs, image });
  w.pods.push(pod);
  world.event(at + 200, rsObj, { reason: 'SuccessfulCreate', type: 'Normal', component: 'replicaset-controller', message: `Created pod: ${podName(pod)}` }, NOISE);
  world.event(at + 300, pod.obj, { reason: 'Scheduled', type: 'Normal', component: 'default-scheduler', instance: 'default-scheduler-ip-10-0-0-1', action: 'Binding', message: `Successfully assigned ${podNs(pod)}/${podName(pod)} to ${pod.node}` }, NOISE);
  return { rs, pod, revision };
}

/**
 * `kubectl rollout undo`: the new ReplicaSet is scaled to 0 (and kept, revisionHistoryLimit), the old
 * one becomes the newest revision again, and the Deployment progresses.
 */
function rollback(ctx: FaultCtx, w: Workload, r: { rs: { name: string; obj: Obj }; revision: number }, at: number): void {
  const world = ctx.cl.world;
  const scaled = structuredClone(r.rs.obj);
  (scaled.spec as Obj).replicas = 0;
  scaled.status = { replicas: 0, observedGeneration: 2 };
  world.put(at, scaled, ctx.tag);
  world.event(at, w.obj, { reason: 'ScalingReplicaSet', type: 'Normal', component: 'deployment-controller', message: `Scaled down replica set ${r.rs.name} to 0 from 1` }, NOISE);
  const revision = r.revision + 1;
  const old = structuredClone(w.rs!.obj);
  (old.metadata as { annotations: Record<string, string> }).annotations['deployment.kubernetes.io/revision'] = String(revision);
  w.rs!.obj = world.put(at, old, ctx.tag);
  w.rs!.revision = revision;
  const dep = structuredClone(w.obj);
  (dep.metadata as Obj).annotations = { 'deployment.kubernetes.io/revision': String(revision) };
  (dep.metadata as Obj).generation = revision;
  ((((dep.spec as Obj).template as Obj).spec as Obj).containers as Obj[])[0].image = ((((old.spec as Obj).template as Obj).spec as Obj).containers as Obj[])[0].image;
  w.obj = dep;
  rolloutDone(ctx, w, at + S);
}

/** Rolled back / fixed: the Deployment progresses again. */
function rolloutDone(ctx: FaultCtx, w: Workload, at: number): void {
  const dep = structuredClone(w.obj);
  const st = dep.status as { updatedReplicas: number; conditions: Array<Record<string, unknown>>; unavailableReplicas?: number; replicas: number };
  st.replicas = w.app.replicas;
  st.updatedReplicas = w.app.replicas;
  delete st.unavailableReplicas;
  const prog = st.conditions.find((c) => c.type === 'Progressing')!;
  Object.assign(prog, { status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${w.rs!.name}" has successfully progressed.`, lastUpdateTime: rfc3339(at), lastTransitionTime: rfc3339(at) });
  w.obj = ctx.cl.world.put(at, dep, ctx.tag);
}

const imagePull: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const world = ctx.cl.world;
  const w = pickWorkload(ctx, (x) => x.app.kind === 'Deployment' && x.app.replicas >= 2, ctx.t0 + 60 * MIN);
  if (!w) return null;
  const base = imageOf(w.pods[0]).split(':')[0];
  const image = `${base}:${rng.pick(['1.9.0', '2.0.0-rc1', 'latest-fix', '5.1.0'])}`;
  const r = rollout(ctx, w, ctx.t0 - 3 * S, image);
  const p = r.pod;
  world.put(ctx.t0 - 2 * S, podWaiting(p, ctx.t0 - 2 * S, 'ContainerCreating'), ctx.tag);
  const until = ctx.t0 + 17 * MIN + resolveDelay(rng);
  const runtimeErr = rng.chance(0.5)
    ? `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`
    : `rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`;
  let pulling = kubeletEvent(world, ctx.t0 - 1 * S, p, 'Pulling', `Pulling image "${image}"`, 'Normal', NOISE);
  let failed = kubeletEvent(world, ctx.t0, p, 'Failed', `Failed to pull image "${image}": ${runtimeErr}`, 'Warning', ctx.tag);
  let errPull = kubeletEvent(world, ctx.t0 + 10, p, 'Failed', 'Error: ErrImagePull', 'Warning', ctx.tag);
  world.put(ctx.t0 + 20, podWaiting(p, ctx.t0 + 20, 'ErrImagePull', `failed to pull and unpack image "${image}"`), ctx.tag);
  let backoff: K8sEvent | null = null;
  let backoffErr: K8sEvent | null = null;
  for (let t = ctx.t0 + 12 * S, d = 10, k = 0; t < until; d = Math.min(d * 2, 300), t += d * S, k++) {
    backoff = backoff ? world.repeat(backoff, t, ctx.tag) : kubeletEvent(world, t, p, 'BackOff', `Back-off pulling image "${image}"`, 'Normal', ctx.tag);
    backoffErr = backoffErr ? world.repeat(backoffErr, t + 5, ctx.tag) : kubeletEvent(world, t + 5, p, 'Failed', 'Error: ImagePullBackOff', 'Warning', ctx.tag);
    if (k === 0) world.put(t + 10, podWaiting(p, t + 10, 'ImagePullBackOff', `Back-off pulling image "${image}"`), ctx.tag);
    if (k % 2 === 1) {
      pulling = world.repeat(pulling, t + d * S - 2000, NOISE);
      failed = world.repeat(failed, t + d * S - 1000, ctx.tag);
      errPull = world.repeat(errPull, t + d * S - 990, ctx.tag);
    }
  }
  world.del(until, p.obj, ctx.tag);
  rollback(ctx, w, r, until);
  const a = podNotReadyAlert(ctx, p, ctx.t0 - 2 * S, until);
  return { alert: a.truth, root: { rid: podRid(p), reasons: [...ROOT_REASONS.imagePull] }, firstSymptomAt: rfc3339(ctx.t0), note: `rollout to ${image}: the new pod cannot pull it` };
};

const badRollout: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const world = ctx.cl.world;
  const w = pickWorkload(ctx, (x) => x.app.kind === 'Deployment' && x.app.replicas >= 2 && x.app.lang !== 'nginx', ctx.t0 + 70 * MIN);
  if (!w) return null;
  const base = imageOf(w.pods[0]).split(':')[0];
  const image = `${base}:${rng.pick(['2.5.0', '1.9.2', '3.0.0', '4.13.0'])}`;
  const r = rollout(ctx, w, ctx.t0, image);
  const p = r.pod;
  world.put(ctx.t0 + 400, p.obj, ctx.tag);
  const deadline = ctx.t0 + 600 * S + rng.int(1, 30) * S;
  const until = deadline + 17 * MIN + resolveDelay(rng);
  const trace = panicLines(w.app, ctx.t0, rng);
  crashLoop(ctx, p, ctx.t0 + rng.int(4, 30) * S, until, { reason: 'Error', exitCode: trace.exitCode, runMs: RUN(rng, 3, 20), lastLines: (at) => panicLines(w.app, at, rng).lines });
  // progressDeadlineSeconds 600: the Deployment says it stopped progressing.
  const dep = structuredClone(w.obj);
  const prog = ((dep.status as Obj).conditions as Array<Record<string, unknown>>).find((c) => c.type === 'Progressing')!;
  Object.assign(prog, { status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${r.rs.name}" has timed out progressing.`, lastUpdateTime: rfc3339(deadline), lastTransitionTime: rfc3339(deadline) });
  w.obj = world.put(deadline, dep, ctx.tag);
  world.del(until + 2 * S, p.obj, ctx.tag);
  rollback(ctx, w, r, until);
  const a = fire(
    ctx,
    'KubeDeploymentRolloutStuck',
    ksmLabels(ctx.cl, { condition: 'Progressing', deployment: w.app.name, namespace: w.app.namespace, status: 'false' }),
    { description: `Rollout of deployment ${w.app.namespace}/${w.app.name} is not progressing for longer than 15 minutes on cluster .`, runbook_url: `${RUNBOOK}kubedeploymentrolloutstuck`, summary: 'Deployment rollout is not progressing.' },
    'kube_deployment_status_condition{condition="Progressing",job="kube-state-metrics",status="false"} != 0',
    deadline,
    15 * MIN,
    until,
  );
  return { alert: a.truth, root: { rid: resourceId('Deployment', w.app.namespace, w.app.name), reasons: [...ROOT_REASONS.rollout] }, firstSymptomAt: rfc3339(ctx.t0), note: `rollout of ${w.app.name} to ${image} (revision ${r.revision}, ReplicaSet ${r.rs.name}): new pod crashes, old pods keep running, ProgressDeadlineExceeded` };
};

const readinessProbe: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const world = ctx.cl.world;
  const w = pickWorkload(ctx, (x) => x.app.kind === 'Deployment' && x.app.container.probes && x.app.replicas >= 2, ctx.t0 + 60 * MIN);
  if (!w) return null;
  const p = rng.pick(w.pods);
  const until = ctx.t0 + 17 * MIN + resolveDelay(rng);
  const src = logSourceOf(p, () => undefined);
  world.log(ctx.t0 - 2 * S, src, w.app.lang === 'java' ? `${new Date(ctx.t0).toISOString().replace('T', ' ').replace('Z', '')}  WARN 1 --- [     pool-2-thread-1] c.e.${w.app.name}.health.CacheHealth : cache warm-up incomplete after full reload (${rng.int(40, 90)}%), reporting OUT_OF_SERVICE` : JSON.stringify({ level: 'warn', ts: ctx.t0 / 1000, msg: 'readiness: dependency check degraded, refusing traffic', check: 'cache' }), 'stdout', ctx.tag);
  world.put(ctx.t0 + 30 * S, podUnready(p, ctx.t0 + 30 * S), ctx.tag);
  const dep = structuredClone(w.obj);
  Object.assign(dep.status as Obj, { readyReplicas: w.app.replicas - 1, availableReplicas: w.app.replicas - 1, unavailableReplicas: 1 });
  w.obj = world.put(ctx.t0 + 31 * S, dep, ctx.tag);
  const msg = rng.chance(0.6) ? 'Readiness probe failed: HTTP probe failed with statuscode: 503' : `Readiness probe failed: Get "http://${p.ip}:${w.app.container.port}/ready": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`;
  let e = kubeletEvent(world, ctx.t0, p, 'Unhealthy', msg, 'Warning', ctx.tag);
  for (let t = ctx.t0 + 10 * S; t < until; t += 10 * S) if (rng.chance(0.35)) e = world.repeat(e, t, ctx.tag);
  world.put(until, podReady(p, until), ctx.tag);
  const fixed = structuredClone(w.obj);
  Object.assign(fixed.status as Obj, { readyReplicas: w.app.replicas, availableReplicas: w.app.replicas });
  delete (fixed.status as Obj).unavailableReplicas;
  w.obj = world.put(until + S, fixed, ctx.tag);
  const a = replicasMismatchAlert(ctx, w, ctx.t0 + 31 * S, until);
  return { alert: a.truth, root: { rid: podRid(p), reasons: [...ROOT_REASONS.readiness] }, firstSymptomAt: rfc3339(ctx.t0), note: `${podName(p)} fails readiness; the Deployment has one replica unavailable` };
};

const livenessProbe: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const world = ctx.cl.world;
  const w = pickWorkload(ctx, (x) => x.app.kind === 'Deployment' && x.app.container.probes, ctx.t0 + 60 * MIN);
  if (!w) return null;
  const p = rng.pick(w.pods);
  const until = ctx.t0 + 18 * MIN + resolveDelay(rng);
  const src = logSourceOf(p, () => undefined);
  const msg = `Liveness probe failed: Get "http://${p.ip}:${w.app.container.port}/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`;
  let unhealthy: K8sEvent | null = null;
  let killing: K8sEvent | null = null;
  let t = ctx.t0;
  let firstWaiting = 0;
  let backoffEv: K8sEvent | null = null;
  for (let k = 1; t < until - 60 * S; k++) {
    world.log(t - 5 * S, src, w.app.lang === 'java' ? `${new Date(t).toISOString().replace('T', ' ').replace('Z', '')}  WARN 1 --- [       Thread-12] c.e.${w.app.name}.pool.WorkerPool : all ${rng.int(50, 200)} workers busy, request queue ${rng.int(500, 4000)}` : JSON.stringify({ level: 'warn', ts: t / 1000, msg: 'event loop lag high', lag_ms: rng.int(3000, 9000) }), 'stdout', ctx.tag);
    for (let i = 0; i < 3; i++) unhealthy = unhealthy ? world.repeat(unhealthy, t + i * 10 * S, ctx.tag) : kubeletEvent(world, t, p, 'Unhealthy', msg, 'Warning', ctx.tag);
    const killAt = t + 20 * S + 500;
    killing = killing ? world.repeat(killing, killAt, ctx.tag) : kubeletEvent(world, killAt, p, 'Killing', `Container ${containerOf(p)} failed liveness probe, will be restarted`, 'Normal', ctx.tag);
    const exitAt = killAt + 30 * S;
    world.put(exitAt, podTerminated(p, exitAt, 'Error', 137, t - 120 * S), ctx.tag);
    let restartAt = exitAt + S;
    if (k >= 2) {
      const backoff = Math.min(10 * 2 ** (k - 2), 300);
      world.put(exitAt + S, podBackOff(p, exitAt + S, backoff), ctx.tag);
      if (!firstWaiting) firstWaiting = exitAt + S;
      const bm = `Back-off restarting failed container ${containerOf(p)} in pod ${podName(p)}_${podNs(p)}(${meta(p.obj).uid})`;
      backoffEv = backoffEv ? world.repeat(backoffEv, exitAt + S, ctx.tag) : kubeletEvent(world, exitAt + S, p, 'BackOff', bm, 'Warning', ctx.tag);
      restartAt = exitAt + S + backoff * S;
    }
    if (restartAt >= until) break;
    world.put(restartAt, podRestarted(p, restartAt, rng), ctx.tag);
    t = restartAt + rng.int(60, 150) * S;
  }
  world.put(until, podRestarted(p, until, rng, true), ctx.tag);
  const a = crashLoopingAlert(ctx, p, firstWaiting || ctx.t0 + 2 * MIN, until);
  return { alert: a.truth, root: { rid: podRid(p), reasons: [...ROOT_REASONS.liveness] }, firstSymptomAt: rfc3339(ctx.t0), note: `${podName(p)} stops answering /healthz: liveness failures, Killing, exit 137, CrashLoopBackOff` };
};

/** A caller's pods log failures to reach `callee` while its root-cause pod is down; its alert fires on the caller. */
function dependency(ctx: FaultCtx, crossNamespace: boolean): TruthCore | null {
  const rng = ctx.cl.world.rng;
  const world = ctx.cl.world;
  const cl = ctx.cl;
  const until0 = ctx.t0 + 60 * MIN;
  const callees = [...cl.workloads.values()].filter((x) => x.app.replicas === 1 && x.pods.length > 0 && x.service && !x.app.system && [...cl.workloads.values()].some((c) => c.app.calls.includes(appKey(x.app)) && (c.app.namespace !== x.app.namespace) === crossNamespace && c.app.servicePort > 0));
  for (const callee of leastUsed(ctx, callees, (x) => appKey(x.app))) {
    const callers = [...cl.workloads.values()].filter((c) => c.app.calls.includes(appKey(callee.app)) && (c.app.namespace !== callee.app.namespace) === crossNamespace && c.app.servicePort > 0 && !c.app.system);
    if (callers.length === 0) continue;
    const caller = rng.pick(callers);
    if ((ctx.busy.get(appKey(callee.app)) ?? 0) > ctx.t0 - 5 * MIN || (ctx.busy.get(appKey(caller.app)) ?? 0) > ctx.t0 - 5 * MIN) continue;
    if (callee.pods.some((p) => (ctx.busy.get(p.node) ?? 0) > ctx.t0 - 5 * MIN)) continue;
    reserve(ctx, appKey(callee.app), until0);
    reserve(ctx, appKey(caller.app), until0);
    markUsed(ctx, appKey(callee.app));
    const p = callee.pods[0];
    const until = ctx.t0 + 12 * MIN + resolveDelay(rng);
    const oom = rng.chance(0.5);
    const trace = panicLines(callee.app, ctx.t0, rng);
    crashLoop(ctx, p, ctx.t0, until, oom ? { reason: 'OOMKilled', exitCode: 137, runMs: RUN(rng, 30, 90), npd: true } : { reason: 'Error', exitCode: trace.exitCode, runMs: RUN(rng, 10, 40), lastLines: (at) => panicLines(callee.app, at, rng).lines });
    const headless = callee.app.headless === true;
    const dnsIp = cl.workloads.get('kube-system/coredns')!.service!.clusterIP;
    const port = callee.app.servicePort;
    // Every caller pod fails its calls from the first crash until the callee is back.
    for (const cp of caller.pods) {
      const src = logSourceOf(cp, () => undefined);
      for (let t = ctx.t0 + rng.int(1, 8) * S; t < until; t += rng.int(4, 40) * S) {
        const line = headless
          ? noSuchHostLine(caller.app, `${meta(p.obj).name}.${callee.app.name}.${callee.app.namespace}.svc.cluster.local`, dnsIp, t)
          : connectionRefusedLine(caller.app, { name: callee.app.name, namespace: callee.app.namespace, port, ip: callee.service!.clusterIP }, t, rng);
        world.log(t, src, line, 'stderr', ctx.tag);
      }
    }
    const a = errorRateAlert(ctx, caller, ctx.t0 + 20 * S, until);
    return {
      alert: a.truth,
      root: { rid: podRid(p), reasons: oom ? [...ROOT_REASONS.oom] : [...ROOT_REASONS.panic] },
      firstSymptomAt: rfc3339(ctx.t0),
      note: `${caller.app.namespace}/${caller.app.name} calls ${callee.app.namespace}/${callee.app.name}${headless ? ' (headless: no such host)' : ` (${callee.service!.clusterIP}:${port}: connection refused)`}, whose only pod ${podName(p)} is crash looping (${oom ? 'OOMKilled' : 'panic'}); the alert is on the caller`,
    };
  }
  return null;
}

const dependencyService: Fault = (ctx) => dependency(ctx, false);
const crossNamespace: Fault = (ctx) => dependency(ctx, true);

const nodeNotReady: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const world = ctx.cl.world;
  const cl = ctx.cl;
  const until = ctx.t0 + 18 * MIN + resolveDelay(rng);
  const name = pickNode(ctx, until + 10 * MIN);
  if (!name) return null;
  const node = cl.nodeObjects.get(name)!;
  const lost = withNodeUnknown(node, ctx.t0);
  cl.nodeObjects.set(name, world.put(ctx.t0 + 40 * S, lost, ctx.tag));
  world.event(ctx.t0 + 40 * S, lost, { reason: 'NodeNotReady', type: 'Normal', component: 'node-controller', message: `Node ${name} status is now: NodeNotReady` }, ctx.tag);
  const pods = podsOnNode(ctx, name, until + 10 * MIN);
  for (const { w, p } of pods) {
    world.event(ctx.t0 + 41 * S, p.obj, { reason: 'NodeNotReady', type: 'Warning', component: 'node-controller', message: 'Node is not ready' }, ctx.tag);
    world.put(ctx.t0 + 41 * S, podNodeLost(p, ctx.t0 + 41 * S), ctx.tag);
    if (w.app.kind === 'DaemonSet') continue;
    // After the 300 s unreachable toleration the taint manager deletes the pods; their controllers replace them.
    const evictAt = ctx.t0 + 345 * S + rng.int(0, 5) * S;
    world.event(evictAt, p.obj, { reason: 'TaintManagerEviction', type: 'Normal', component: 'taint-eviction-controller', message: `Marking for deletion Pod ${podNs(p)}/${podName(p)}` }, ctx.tag);
    world.del(evictAt + 30 * S, p.obj, ctx.tag);
    w.pods = w.pods.filter((x) => x !== p);
    // A StatefulSet's pod comes back under the same name once the old one is gone.
    const np =
      w.app.kind === 'StatefulSet'
        ? newPod(cl, w, evictAt + 35 * S, { index: Number(podName(p).split('-').pop()), node: scheduleNode(cl, w.app, [name]) })
        : addPod(ctx, w, evictAt + 2 * S, { node: scheduleNode(cl, w.app, [name]).name });
    if (w.app.kind === 'StatefulSet') w.pods.push(np);
    world.put(w.app.kind === 'StatefulSet' ? evictAt + 35 * S : evictAt + 2 * S, np.obj, NOISE);
  }
  const back = withNodeCondition(withNodeCondition(withNodeCondition(withNodeCondition(lost, 'Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', until), 'MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', until), 'DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', until), 'PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', until);
  (back.spec as Obj).taints = ((back.spec as Obj).taints as Array<{ key: string }>).filter((t) => !t.key.startsWith('node.kubernetes.io/unreachable'));
  cl.nodeObjects.set(name, world.put(until, back, ctx.tag));
  world.event(until, back, { reason: 'NodeReady', type: 'Normal', component: 'kubelet', host: name, message: `Node ${name} status is now: NodeReady` }, NOISE);
  const a = fire(
    ctx,
    'KubeNodeNotReady',
    ksmLabels(cl, { condition: 'Ready', node: name, status: 'true' }),
    { description: `${name} has been unready for more than 15 minutes on cluster .`, runbook_url: `${RUNBOOK}kubenodenotready`, summary: 'Node is not ready.' },
    'kube_node_status_condition{condition="Ready",job="kube-state-metrics",status="true"} == 0',
    ctx.t0 + 40 * S,
    15 * MIN,
    until,
  );
  return { alert: a.truth, root: { rid: resourceId('Node', '', name), reasons: [...ROOT_REASONS.nodeNotReady] }, firstSymptomAt: rfc3339(ctx.t0), note: `${name} stops reporting (conditions Unknown), its ${pods.length} pods are marked not ready, then evicted and replaced` };
};

const diskPressure: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const world = ctx.cl.world;
  const cl = ctx.cl;
  const until = ctx.t0 + 20 * MIN + resolveDelay(rng);
  const name = pickNode(ctx, until + 10 * MIN);
  if (!name) return null;
  const pressured = withNodeCondition(cl.nodeObjects.get(name)!, 'DiskPressure', 'True', 'KubeletHasDiskPressure', 'kubelet has disk pressure', ctx.t0);
  (pressured.spec as Obj).taints = [...(((pressured.spec as Obj).taints as unknown[]) ?? []), { key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule', timeAdded: rfc3339(ctx.t0) }];
  cl.nodeObjects.set(name, world.put(ctx.t0, pressured, ctx.tag));
  world.event(ctx.t0, pressured, { reason: 'NodeHasDiskPressure', type: 'Normal', component: 'kubelet', host: name, message: `Node ${name} status is now: NodeHasDiskPressure` }, ctx.tag);
  let threshold = world.event(ctx.t0 + 2 * S, pressured, { reason: 'EvictionThresholdMet', type: 'Warning', component: 'kubelet', host: name, message: 'Attempting to reclaim ephemeral-storage' }, ctx.tag);
  let gc = world.event(ctx.t0 + 5 * S, pressured, { reason: 'FreeDiskSpaceFailed', type: 'Warning', component: 'kubelet', host: name, message: `Failed to garbage collect required amount of images. Attempted to free ${rng.int(2, 9) * 1_000_000_000 + rng.int(0, 999_999_999)} bytes, but only found 0 bytes eligible to free.` }, ctx.tag);
  // The kubelet evicts the pods using the most ephemeral storage, one per eviction cycle.
  const victims = rng.shuffle(podsOnNode(ctx, name, until + 10 * MIN).filter((x) => x.w.app.kind === 'Deployment')).slice(0, 3);
  if (victims.length === 0) return null;
  let first: PodHandle | null = null;
  victims.forEach(({ w, p }, i) => {
    const at = ctx.t0 + (15 + i * 40) * S;
    const used = rng.int(6, 12) * 1048576;
    const message = `The node was low on resource: ephemeral-storage. Threshold quantity: 4902142351, available: ${rng.int(3000000, 4700000)}Ki. Container ${containerOf(p)} was using ${used}Ki, request is 0, has larger consumption of ephemeral-storage. `;
    kubeletEvent(world, at, p, 'Evicted', message, 'Warning', ctx.tag, false);
    world.put(at + S, podEvicted(p, at + S, message), ctx.tag);
    kubeletEvent(world, at + 2 * S, p, 'Killing', `Stopping container ${containerOf(p)}`, 'Normal', NOISE);
    w.pods = w.pods.filter((x) => x !== p);
    const np = addPod(ctx, w, at + 4 * S, { node: scheduleNode(cl, w.app, [name]).name });
    world.put(at + 4 * S, np.obj, NOISE);
    if (!first) first = p;
  });
  for (let t = ctx.t0 + 60 * S; t < until; t += rng.int(60, 180) * S) {
    threshold = world.repeat(threshold, t, ctx.tag);
    if (rng.chance(0.5)) gc = world.repeat(gc, t + 3 * S, ctx.tag);
  }
  const relieved = withNodeCondition(cl.nodeObjects.get(name)!, 'DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', until);
  (relieved.spec as Obj).taints = ((relieved.spec as Obj).taints as Array<{ key: string }>).filter((t) => t.key !== 'node.kubernetes.io/disk-pressure');
  cl.nodeObjects.set(name, world.put(until, relieved, ctx.tag));
  world.event(until, relieved, { reason: 'NodeHasNoDiskPressure', type: 'Normal', component: 'kubelet', host: name, message: `Node ${name} status is now: NodeHasNoDiskPressure` }, NOISE);
  const evicted = first as unknown as PodHandle;
  // The evicted pod object stays (phase Failed) until garbage collected: KubePodNotReady fires on it.
  world.del(until + 5 * MIN, evicted.obj, NOISE);
  const a = podNotReadyAlert(ctx, evicted, ctx.t0 + 16 * S, until + 5 * MIN);
  return { alert: a.truth, root: { rid: resourceId('Node', '', name), reasons: [...ROOT_REASONS.diskPressure] }, firstSymptomAt: rfc3339(ctx.t0), note: `${name} has disk pressure: ${victims.length} pods evicted (ephemeral-storage); the alert is on the evicted pod ${podName(evicted)}` };
};

const pvcPending: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const world = ctx.cl.world;
  const cl = ctx.cl;
  const w = pickWorkload(ctx, (x) => x.app.kind === 'StatefulSet' && !!x.app.container.claim, ctx.t0 + 60 * MIN);
  if (!w) return null;
  // Scale-up: the new replica's claim (from the volumeClaimTemplate) cannot be provisioned.
  const index = w.app.replicas + w.pods.length - 1 + rng.int(1, 2);
  const p = newPod(cl, w, ctx.t0 - S, { index });
  const claimName = `data-${podName(p)}`;
  const storageClass = rng.pick(['gp3-encrypted', 'fast-ssd']);
  const claim = pvcObject(w.app.namespace, claimName, rng.uid(), storageClass, ctx.t0 - S, false, { app: w.app.name });
  const sts = structuredClone(w.obj);
  ((sts.spec as Obj).replicas as number) = w.app.replicas + 1;
  ((sts.spec as Obj).volumeClaimTemplates as Array<{ spec: Obj }>)[0].spec.storageClassName = storageClass;
  w.obj = world.put(ctx.t0 - 2 * S, sts, ctx.tag);
  world.put(ctx.t0 - S, claim, ctx.tag);
  world.event(ctx.t0 - S, w.obj, { reason: 'SuccessfulCreate', type: 'Normal', component: 'statefulset-controller', message: `create Claim ${claimName} Pod ${podName(p)} in StatefulSet ${w.app.name} success` }, NOISE);
  world.put(ctx.t0, podUnschedulable(p, ctx.t0, '0/9 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/9 nodes are available: 9 Preemption is not helpful for scheduling.'), ctx.tag);
  const until = ctx.t0 + 17 * MIN + resolveDelay(rng);
  const notFound = storageClass === 'fast-ssd';
  let prov = notFound
    ? world.event(ctx.t0, claim, { reason: 'ProvisioningFailed', type: 'Warning', component: 'persistentvolume-controller', message: `storageclass.storage.k8s.io "${storageClass}" not found` }, ctx.tag)
    : world.event(ctx.t0 + 3 * S, claim, { reason: 'ProvisioningFailed', type: 'Warning', component: `ebs.csi.aws.com_ebs-csi-controller-6f8d4b6c9-${rng.suffix(5)}_${rng.uid()}`, message: `failed to provision volume with StorageClass "${storageClass}": rpc error: code = Internal desc = Could not create volume "pvc-${meta(claim).uid}": could not create volume in EC2: operation error EC2: CreateVolume, https response error StatusCode: 400, RequestID: ${rng.uid()}, api error UnauthorizedOperation: You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/ebs-csi-controller/i-0abc is not authorized to perform: ec2:CreateVolume on resource: arn:aws:ec2:eu-west-1:123456789012:volume/* because no identity-based policy allows the ec2:CreateVolume action` }, ctx.tag);
  let ext = notFound ? null : world.event(ctx.t0 + S, claim, { reason: 'ExternalProvisioning', type: 'Normal', component: 'persistentvolume-controller', message: "Waiting for a volume to be created either by the external provisioner 'ebs.csi.aws.com' or manually by the system administrator. If volume creation is delayed, please verify that your external provisioner is running and correctly registered." }, NOISE);
  let sched = world.event(ctx.t0 + 500, p.obj, { reason: 'FailedScheduling', type: 'Warning', component: 'default-scheduler', instance: 'default-scheduler-ip-10-0-0-1', action: 'Scheduling', message: '0/9 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/9 nodes are available: 9 Preemption is not helpful for scheduling.' }, ctx.tag);
  for (let t = ctx.t0 + 15 * S, d = 15; t < until; d = Math.min(d * 2, 300), t += d * S) {
    prov = world.repeat(prov, t, ctx.tag);
    if (ext) ext = world.repeat(ext, t - 2 * S, NOISE);
    sched = world.repeat(sched, t + 700, ctx.tag);
  }
  // Fixed: the claim is bound, the pod scheduled.
  world.put(until, pvcObject(w.app.namespace, claimName, meta(claim).uid, storageClass, ctx.t0 - S, true, { app: w.app.name }), ctx.tag);
  world.del(until + 10 * MIN, p.obj, NOISE);
  const a = podNotReadyAlert(ctx, p, ctx.t0, until);
  return { alert: a.truth, root: { rid: resourceId('PersistentVolumeClaim', w.app.namespace, claimName), reasons: [...ROOT_REASONS.pvcPending] }, firstSymptomAt: rfc3339(ctx.t0), note: `${w.app.name} scaled up: claim ${claimName} on StorageClass ${storageClass} stays Pending, ${podName(p)} unschedulable` };
};

const multiAttach: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const world = ctx.cl.world;
  const cl = ctx.cl;
  // A Deployment with a ReadWriteOnce claim and RollingUpdate: the new pod lands on another node.
  const w = pickWorkload(ctx, (x) => x.app.kind === 'Deployment' && !!x.app.container.claim, ctx.t0 + 70 * MIN);
  if (!w) return null;
  const old = w.pods[0];
  const r = rollout(ctx, w, ctx.t0 - 3 * S, `${imageOf(old).split(':')[0]}:${rng.pick(['1.0.10', '1.1.0'])}`);
  const p = r.pod;
  if (p.node === old.node) {
    const other = scheduleNode(cl, w.app, [old.node]);
    p.node = other.name;
    Object.assign(p.obj.spec as Obj, { nodeName: other.name });
    Object.assign(p.obj.status as Obj, { hostIP: other.ip, hostIPs: [{ ip: other.ip }] });
  }
  world.put(ctx.t0 - 2 * S, podWaiting(p, ctx.t0 - 2 * S, 'ContainerCreating'), ctx.tag);
  const claim = cl.pvcs.get(`${w.app.namespace}/${w.app.container.claim}`)!;
  const vol = `pvc-${meta(claim).uid}`;
  const until = ctx.t0 + 27 * MIN + resolveDelay(rng);
  let attach = world.event(ctx.t0, p.obj, { reason: 'FailedAttachVolume', type: 'Warning', component: 'attachdetach-controller', message: `Multi-Attach error for volume "${vol}" Volume is already used by pod(s) ${podName(old)}` }, ctx.tag);
  const api = (((p.obj.spec as Obj).volumes as Obj[]).find((v) => String(v.name).startsWith('kube-api-access')) ?? { name: 'kube-api-access' }).name;
  let mount: K8sEvent | null = null;
  for (let t = ctx.t0 + 2 * MIN + 2 * S; t < until; t += 2 * MIN + 2 * S) {
    mount = mount ? world.repeat(mount, t, ctx.tag) : world.event(t, p.obj, { reason: 'FailedMount', type: 'Warning', component: 'kubelet', host: p.node, message: `Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data ${api}]: timed out waiting for the condition` }, ctx.tag);
    if (rng.chance(0.3)) attach = world.repeat(attach, t + 5 * S, ctx.tag);
  }
  const deadline = ctx.t0 + 600 * S;
  const dep = structuredClone(w.obj);
  const prog = ((dep.status as Obj).conditions as Array<Record<string, unknown>>).find((c) => c.type === 'Progressing')!;
  Object.assign(prog, { status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${r.rs.name}" has timed out progressing.`, lastUpdateTime: rfc3339(deadline), lastTransitionTime: rfc3339(deadline) });
  w.obj = world.put(deadline, dep, ctx.tag);
  world.del(until, p.obj, ctx.tag);
  rollback(ctx, w, r, until);
  const a = podNotReadyAlert(ctx, p, ctx.t0 - 2 * S, until);
  return { alert: a.truth, root: { rid: podRid(p), reasons: [...ROOT_REASONS.multiAttach] }, firstSymptomAt: rfc3339(ctx.t0), note: `rollout of ${w.app.name}: new pod ${podName(p)} on ${p.node} cannot attach ${vol} (ReadWriteOnce, held by ${podName(old)} on ${old.node})` };
};

const cniSandbox: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const world = ctx.cl.world;
  const cl = ctx.cl;
  const w = pickWorkload(ctx, (x) => x.app.kind === 'Deployment', ctx.t0 + 60 * MIN);
  if (!w) return null;
  const p = addPod(ctx, w, ctx.t0 - 2 * S);
  world.put(ctx.t0 - 2 * S, podWaiting(p, ctx.t0 - 2 * S, 'ContainerCreating'), ctx.tag);
  const until = ctx.t0 + 17 * MIN + resolveDelay(rng);
  const sandbox = () => rng.hex(64);
  const msg = () =>
    rng.chance(0.5)
      ? `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "${sandbox()}": plugin type="calico" failed (add): stat /var/lib/calico/nodename: no such file or directory: check that the calico/node container is running and has mounted /var/lib/calico/`
      : `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "${sandbox()}": plugin type="calico" failed (add): error getting ClusterInformation: connection is unauthorized: Unauthorized`;
  // Each attempt has its own sandbox id in the message: new events, not repeats.
  for (let t = ctx.t0; t < until; t += rng.int(15, 60) * S) world.event(t, p.obj, { reason: 'FailedCreatePodSandBox', type: 'Warning', component: 'kubelet', host: p.node, message: msg() }, ctx.tag);
  void cl;
  world.del(until, p.obj, ctx.tag);
  const a = podNotReadyAlert(ctx, p, ctx.t0 - 2 * S, until);
  return { alert: a.truth, root: { rid: podRid(p), reasons: [...ROOT_REASONS.sandbox] }, firstSymptomAt: rfc3339(ctx.t0), note: `new pod ${podName(p)} on ${p.node}: the CNI plugin cannot set up its sandbox` };
};

const jobFailed: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const world = ctx.cl.world;
  const cl = ctx.cl;
  if ((ctx.busy.get('batch/nightly-report') ?? 0) > ctx.t0 - 5 * MIN) return null;
  reserve(ctx, 'batch/nightly-report', ctx.t0 + 60 * MIN);
  const cron = cl.cronJobs.get('nightly-report')!;
  const jobName = `nightly-report-${Math.floor(ctx.t0 / 60_000)}`;
  const image = 'registry.example.com/batch/nightly-report:1.1.0';
  const job = jobObject('batch', jobName, rng.uid(), { name: 'nightly-report', uid: meta(cron).uid }, image, ctx.t0 - 40 * S, 2);
  world.put(ctx.t0 - 40 * S, job, ctx.tag);
  world.event(ctx.t0 - 40 * S, cron, { reason: 'SuccessfulCreate', type: 'Normal', component: 'cronjob-controller', message: `Created job ${jobName}` }, NOISE);
  const jw: Workload = { app: { namespace: 'batch', name: 'nightly-report', kind: 'Deployment', replicas: 1, container: { name: 'nightly-report', image, port: 8000, memoryLimit: '256Mi', cpuRequest: '100m', probes: false }, lang: 'python', calls: ['shop/postgres'], servicePort: 0 }, uid: meta(job).uid, obj: job, pods: [] };
  let failed = 0;
  let last = ctx.t0;
  let lastPod = '';
  for (let k = 0; k < 3; k++) {
    const start = ctx.t0 - 38 * S + [0, 12, 44][k] * S;
    const node = scheduleNode(cl, jw.app);
    const p = newPod(cl, { ...jw, app: { ...jw.app, kind: 'Deployment' }, rs: { name: jobName, uid: meta(job).uid, hash: '', revision: 1, obj: job } }, start, { node });
    const m = p.obj.metadata as { name: string; labels: Record<string, string>; ownerReferences: Array<Record<string, unknown>> };
    m.name = `${jobName}-${rng.suffix(5)}`;
    m.labels = { 'batch.kubernetes.io/job-name': jobName, 'job-name': jobName, 'batch.kubernetes.io/controller-uid': meta(job).uid, 'controller-uid': meta(job).uid };
    m.ownerReferences = [{ apiVersion: 'batch/v1', kind: 'Job', name: jobName, uid: meta(job).uid, controller: true, blockOwnerDeletion: true }];
    (p.obj.spec as Obj).restartPolicy = 'Never';
    world.event(start - 100, job, { reason: 'SuccessfulCreate', type: 'Normal', component: 'job-controller', message: `Created pod: ${m.name}` }, NOISE);
    world.put(start, p.obj, NOISE);
    const endAt = start + rng.int(4, 9) * S;
    printLines(world, p, jobFailureLines(endAt - 300), endAt, 'stderr', ctx.tag);
    const done = podTerminated(p, endAt, 'Error', 1, start + S);
    ((done.status as Obj).phase as string) = 'Failed';
    world.put(endAt, done, ctx.tag);
    failed++;
    last = endAt;
    lastPod = podRid(p);
  }
  const failedJob = structuredClone(job);
  const lt = rfc3339(last + S);
  failedJob.status = {
    startTime: rfc3339(ctx.t0 - 40 * S),
    failed,
    active: 0,
    terminating: 0,
    ready: 0,
    uncountedTerminatedPods: {},
    conditions: [
      { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: lt, lastTransitionTime: lt },
      { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: lt, lastTransitionTime: lt },
    ],
  };
  world.put(last + S, failedJob, ctx.tag);
  world.event(last + S, failedJob, { reason: 'BackoffLimitExceeded', type: 'Warning', component: 'job-controller', message: 'Job has reached the specified backoff limit' }, ctx.tag);
  const until = last + 16 * MIN + resolveDelay(rng);
  world.del(until, failedJob, NOISE);
  const a = fire(
    ctx,
    'KubeJobFailed',
    ksmLabels(cl, { condition: 'true', job_name: jobName, namespace: 'batch' }),
    { description: `Job batch/${jobName} failed to complete. Removing failed job after investigation should clear this alert on cluster .`, runbook_url: `${RUNBOOK}kubejobfailed`, summary: 'Job failed to complete.' },
    'kube_job_failed{job="kube-state-metrics",namespace=~".*"} > 0',
    last + S,
    15 * MIN,
    until,
  );
  // The root is the container failure behind the Job's failure, not the Job's BackoffLimitExceeded (the state the alert
  // measures). All three pods fail alike (each an instance of the same rejected password); the truth names the one whose
  // failure exceeded the backoff limit (backoffLimit 2: the third), the direct cause of the Job's Failed condition.
  return { alert: a.truth, root: { rid: lastPod, reasons: [...ROOT_REASONS.jobFailed] }, firstSymptomAt: rfc3339(ctx.t0 - 30 * S), note: `${jobName}: 3 pods exit 1 (database password rejected: ${lastPod.split('/')[2]} the last, exceeding the backoff limit), BackoffLimitExceeded` };
};

const unschedulable: Fault = (ctx) => {
  const rng = ctx.cl.world.rng;
  const world = ctx.cl.world;
  const w = pickWorkload(ctx, (x) => x.app.kind === 'Deployment' && x.app.replicas >= 2, ctx.t0 + 60 * MIN);
  if (!w) return null;
  // Scaled up by one (HPA), with a CPU request no node can fit.
  const p = newPod(ctx.cl, w, ctx.t0 - S);
  w.pods.push(p);
  const c = ((p.obj.spec as Obj).containers as Obj[])[0];
  (c.resources as { requests: Obj }).requests.cpu = rng.pick(['2', '3', '3500m']);
  world.event(ctx.t0 - 2 * S, w.rs!.obj, { reason: 'SuccessfulCreate', type: 'Normal', component: 'replicaset-controller', message: `Created pod: ${podName(p)}` }, NOISE);
  const msg = '0/9 nodes are available: 2 node(s) had untolerated taint {dedicated: system}, 7 Insufficient cpu. preemption: 0/9 nodes are available: 2 Preemption is not helpful for scheduling, 7 No preemption victims found for incoming pod.';
  world.put(ctx.t0, podUnschedulable(p, ctx.t0, msg), ctx.tag);
  const until = ctx.t0 + 17 * MIN + resolveDelay(rng);
  let e = world.event(ctx.t0, p.obj, { reason: 'FailedScheduling', type: 'Warning', component: 'default-scheduler', instance: 'default-scheduler-ip-10-0-0-1', action: 'Scheduling', message: msg }, ctx.tag);
  let ca = world.event(ctx.t0 + 10 * S, p.obj, { reason: 'NotTriggerScaleUp', type: 'Normal', component: 'cluster-autoscaler', message: 'pod didn\'t trigger scale-up: 1 max node group size reached, 1 node(s) had untolerated taint {dedicated: system}' }, NOISE);
  for (let t = ctx.t0 + 60 * S; t < until; t += rng.int(60, 300) * S) {
    e = world.repeat(e, t, ctx.tag);
    if (rng.chance(0.5)) ca = world.repeat(ca, t + 10 * S, NOISE);
  }
  world.del(until, p.obj, ctx.tag);
  w.pods = w.pods.filter((x) => x !== p);
  const a = podNotReadyAlert(ctx, p, ctx.t0, until);
  return { alert: a.truth, root: { rid: podRid(p), reasons: [...ROOT_REASONS.unschedulable] }, firstSymptomAt: rfc3339(ctx.t0), note: `scale-up of ${w.app.name}: ${podName(p)} requests ${(c.resources as { requests: Obj }).requests.cpu} CPU, Insufficient cpu` };
};

export const FAULTS: Record<string, Fault> = {
  'oom-kill': oomKill,
  'crash-config-key': crashConfigKey,
  'panic-crash': panicCrash,
  'missing-configmap': missingConfigMap,
  'missing-secret': missingSecret,
  'image-pull': imagePull,
  'bad-rollout': badRollout,
  'readiness-probe': readinessProbe,
  'liveness-probe': livenessProbe,
  'dependency-service': dependencyService,
  'cross-namespace': crossNamespace,
  'node-not-ready': nodeNotReady,
  'node-disk-pressure': diskPressure,
  'pvc-pending': pvcPending,
  'volume-multi-attach': multiAttach,
  'cni-sandbox': cniSandbox,
  'job-failed': jobFailed,
  'unschedulable-cpu': unschedulable,
};

export const FAULT_TYPES = Object.keys(FAULTS);

/** Noise that looks like an incident: a short same-reason blip on an unrelated healthy pod. */
export function distractor(ctx: FaultCtx, kind: 'backoff' | 'unhealthy'): void {
  const rng = ctx.cl.world.rng;
  const world = ctx.cl.world;
  const candidates = [...ctx.cl.workloads.values()].filter((w) => w.app.kind === 'Deployment' && (ctx.busy.get(appKey(w.app)) ?? 0) < ctx.t0 - 5 * MIN && w.pods.length > 0);
  if (candidates.length === 0) return;
  const w = rng.pick(candidates);
  const p = rng.pick(w.pods);
  const at = ctx.t0 + rng.int(-240, 240) * S;
  if (kind === 'unhealthy' && w.app.container.probes) {
    const e = kubeletEvent(world, at, p, 'Unhealthy', `Readiness probe failed: Get "http://${p.ip}:${w.app.container.port}/ready": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`, 'Warning', NOISE);
    if (rng.chance(0.5)) world.repeat(e, at + 10 * S, NOISE);
    return;
  }
  // One crash and an immediate recovery: one BackOff (count 1), restartCount + 1.
  world.put(at, podTerminated(p, at, 'Error', rng.pick([1, 143]), at - 3_600_000), NOISE);
  world.put(at + S, podBackOff(p, at + S, 10), NOISE);
  kubeletEvent(world, at + S, p, 'BackOff', `Back-off restarting failed container ${containerOf(p)} in pod ${podName(p)}_${podNs(p)}(${meta(p.obj).uid})`, 'Warning', NOISE);
  world.put(at + 11 * S, podRestarted(p, at + 11 * S, rng, true), NOISE);
  void infoLine;
}
