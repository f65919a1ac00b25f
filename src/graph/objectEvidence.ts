import { createHash } from 'node:crypto';
import type { NormalizedEvent, Severity } from '../avro/normalizedCodec';
import { resourceRef } from './resourceId';

/**
 * Evidence that lives only in object state (K8S-SIGNALS.md "Evidence that lives only in object
 * state"; CONTRACT-RCA.md "Events derived from object state"): one snapshot of a Kubernetes object
 * (full JSON, as on state.k8s.resource) → the events its status says happened, as normalized
 * events (`source_format: 'state'`) so the graph builder writes and links them like Kubernetes events.
 *
 * Each event has its own time (a `finishedAt`, a `lastTransitionTime`, a `creationTimestamp`) and a
 * deterministic id `state:{sha1 of uid, container, field, reason, transition}` that never depends
 * on when the snapshot was taken: a replay or an unchanged 30-s resync yields the same ids, and the
 * graph merges them onto the same nodes. Only where the object gives no time for what it says (a
 * container waiting, a PVC lost) is `observedAt` (the record's time) used as the time, never in the id.
 *
 * @example evidenceOfObject(pod, Date.parse('2026-12-01T09:00:30Z'))
 *          // [{ event_id: 'state:…', reason: 'OOMKilled', timestamp: <finishedAt>, object_kind: 'Pod', container: 'api', … }]
 */
export const STATE_SOURCE_FORMAT = 'state';
export const STATE_COMPONENT = 'kgroot-state';

type J = Record<string, unknown>;

function o(x: unknown): J {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as J) : {};
}
function arr(x: unknown): J[] {
  return Array.isArray(x) ? x.map(o) : [];
}
function s(x: unknown): string | null {
  return typeof x === 'string' && x.length > 0 ? x : null;
}
function t(x: unknown): number | null {
  const v = typeof x === 'string' ? Date.parse(x) : NaN;
  return Number.isFinite(v) ? v : null;
}
function n(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** `state:` + 32 hex digits of SHA-1 over the parts (a separator byte no text contains). */
export function stateEventId(parts: ReadonlyArray<string | number | null>): string {
  const h = createHash('sha1');
  for (const p of parts) h.update(p === null ? '\u0000' : String(p)).update('\u0001');
  return 'state:' + h.digest('hex').slice(0, 32);
}

interface Subject {
  kind: string;
  namespace: string;
  name: string;
  uid: string | null;
  node: string | null;
}

interface Found {
  id: ReadonlyArray<string | number | null>;
  ts: number;
  reason: string;
  message: string;
  container?: string | null;
  severity?: Severity;
  /** `state:{what}`: the field the evidence comes from. */
  abstract: string;
  type?: 'Warning' | 'Normal';
  /** Another subject than the object itself (a ReplicaSet's rollout is about its Deployment). */
  about?: Subject;
  count?: number;
}

function toEvent(subject: Subject, f: Found): NormalizedEvent {
  const about = f.about ?? subject;
  return {
    event_id: stateEventId([about.uid ?? `${about.kind}/${about.namespace}/${about.name}`, ...f.id]),
    timestamp: f.ts,
    reason: f.reason,
    message: f.message,
    type: f.type ?? 'Warning',
    severity: f.severity ?? 'warning',
    event_type_abstract: f.abstract,
    object_kind: about.kind,
    object_namespace: about.namespace || null,
    object_name: about.name,
    object_uid: about.uid,
    pod: about.kind === 'Pod' ? about.name : null,
    container: f.container ?? null,
    node: about.kind === 'Node' ? about.name : about.node,
    count: f.count ?? 1,
    reporting_component: STATE_COMPONENT,
    source_format: STATE_SOURCE_FORMAT,
  };
}

/** Container waiting reasons that are evidence (kuberuntime / image manager reasons). */
export const WAITING_REASONS: ReadonlySet<string> = new Set([
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerError',
  'ErrImageNeverPull',
  'RunContainerError',
]);

/** Node conditions that are bad in the given status, and the reason the event gets. */
const NODE_CONDITIONS: Record<string, { bad: readonly string[]; reason: string }> = {
  Ready: { bad: ['False', 'Unknown'], reason: 'NodeNotReady' },
  MemoryPressure: { bad: ['True'], reason: 'MemoryPressure' },
  DiskPressure: { bad: ['True'], reason: 'DiskPressure' },
  PIDPressure: { bad: ['True'], reason: 'PIDPressure' },
  NetworkUnavailable: { bad: ['True'], reason: 'NetworkUnavailable' },
};

function condition(status: J, type: string): J | null {
  return arr(status.conditions).find((c) => c.type === type) ?? null;
}

function terminatedEvidence(c: string, term: J, fallbackTs: number): Found | null {
  const reason = s(term.reason) ?? 'Error';
  const exit = n(term.exitCode);
  // A container that finished its work (init containers, jobs) is no evidence.
  if (reason === 'Completed' || (exit === 0 && reason !== 'OOMKilled')) return null;
  const finished = t(term.finishedAt);
  const detail = s(term.message);
  return {
    id: [c, 'terminated', reason, s(term.finishedAt) ?? s(term.startedAt) ?? s(term.containerID)],
    ts: finished ?? fallbackTs,
    reason,
    message: `container ${c} terminated: ${reason}${exit === null ? '' : ` (exit code ${exit})`}${detail ? `: ${detail}` : ''}`,
    container: c,
    severity: reason === 'OOMKilled' ? 'error' : 'warning',
    abstract: 'state:container-terminated',
  };
}

function podEvidence(status: J, observedAt: number): Found[] {
  const out: Found[] = [];
  const ready = condition(status, 'Ready');
  const notReadySince = ready && ready.status === 'False' ? t(ready.lastTransitionTime) : null;
  const started = t(status.startTime);
  const statuses = [...arr(status.initContainerStatuses), ...arr(status.containerStatuses)];
  for (const cs of statuses) {
    const c = s(cs.name);
    if (!c) continue;
    const state = o(cs.state);
    const last = o(cs.lastState);
    const lastFinished = t(o(last.terminated).finishedAt);
    // lastState and state carry the same termination at different moments: one id for both.
    for (const term of [o(last.terminated), o(state.terminated)]) {
      if (Object.keys(term).length === 0) continue;
      const f = terminatedEvidence(c, term, observedAt);
      if (f && !out.some((x) => x.id.join('\u0001') === f.id.join('\u0001'))) out.push(f);
    }
    const restarts = n(cs.restartCount) ?? 0;
    if (restarts > 0) {
      const startedAt = t(o(state.running).startedAt);
      out.push({
        id: [c, 'restartCount', restarts],
        // The restart happened when the container last finished (or started again).
        ts: lastFinished ?? startedAt ?? observedAt,
        reason: 'Restarted',
        message: `container ${c} restarted (restartCount ${restarts})`,
        container: c,
        count: restarts,
        abstract: 'state:container-restarted',
      });
    }
    const waiting = o(state.waiting);
    const wr = s(waiting.reason);
    if (wr && WAITING_REASONS.has(wr)) {
      out.push({
        // While it keeps waiting for the same reason, the same event (a new restart is a new one).
        id: [c, 'waiting', wr, restarts],
        ts: lastFinished ?? notReadySince ?? started ?? observedAt,
        reason: wr,
        message: s(waiting.message) ?? `container ${c} waiting: ${wr}`,
        container: c,
        abstract: 'state:container-waiting',
      });
    }
  }
  const scheduled = condition(status, 'PodScheduled');
  if (scheduled && scheduled.status === 'False' && s(scheduled.reason) === 'Unschedulable') {
    out.push({
      id: ['PodScheduled', 'Unschedulable', s(scheduled.lastTransitionTime)],
      ts: t(scheduled.lastTransitionTime) ?? observedAt,
      reason: 'Unschedulable',
      message: s(scheduled.message) ?? 'pod is unschedulable',
      abstract: 'state:pod-condition',
    });
  }
  if (s(status.reason) === 'Evicted') {
    const disruption = condition(status, 'DisruptionTarget');
    out.push({
      id: ['status.reason', 'Evicted'],
      ts: t(disruption?.lastTransitionTime) ?? notReadySince ?? observedAt,
      reason: 'Evicted',
      message: s(status.message) ?? 'pod evicted',
      abstract: 'state:pod-phase',
    });
  }
  if (ready && ready.status === 'False' && s(ready.reason) !== 'PodCompleted' && s(status.phase) !== 'Succeeded') {
    out.push({
      id: ['Ready', 'False', s(ready.lastTransitionTime)],
      ts: notReadySince ?? observedAt,
      reason: 'PodNotReady',
      message: s(ready.message) ?? `pod not ready${s(ready.reason) ? `: ${s(ready.reason)}` : ''}`,
      abstract: 'state:pod-condition',
    });
  }
  return out;
}

function nodeEvidence(status: J, observedAt: number): Found[] {
  const out: Found[] = [];
  for (const c of arr(status.conditions)) {
    const type = s(c.type);
    const rule = type ? NODE_CONDITIONS[type] : undefined;
    if (!rule || !rule.bad.includes(String(c.status))) continue;
    out.push({
      id: [type, String(c.status), s(c.lastTransitionTime)],
      ts: t(c.lastTransitionTime) ?? observedAt,
      reason: rule.reason,
      message: `${rule.reason}: ${type}=${String(c.status)}${s(c.reason) ? ` (${s(c.reason)})` : ''}${s(c.message) ? `: ${s(c.message)}` : ''}`,
      severity: type === 'Ready' ? 'error' : 'warning',
      abstract: 'state:node-condition',
    });
  }
  return out;
}

function deploymentEvidence(status: J, observedAt: number): Found[] {
  const p = condition(status, 'Progressing');
  if (!p || p.status !== 'False' || s(p.reason) !== 'ProgressDeadlineExceeded') return [];
  return [
    {
      id: ['Progressing', 'ProgressDeadlineExceeded', s(p.lastTransitionTime)],
      ts: t(p.lastTransitionTime) ?? t(p.lastUpdateTime) ?? observedAt,
      reason: 'ProgressDeadlineExceeded',
      message: s(p.message) ?? 'deployment exceeded its progress deadline',
      abstract: 'state:deployment-condition',
    },
  ];
}

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/** A ReplicaSet of a Deployment: its revision is a rollout of the Deployment, at the ReplicaSet's creation. */
function replicaSetEvidence(meta: J, namespace: string, observedAt: number): Found[] {
  const revision = s(o(meta.annotations)[REVISION_ANNOTATION]);
  const owner = arr(meta.ownerReferences).find((r) => r.kind === 'Deployment' && s(r.name));
  if (!revision || !owner) return [];
  const name = s(meta.name) as string;
  const ref = resourceRef('Deployment', namespace, s(owner.name));
  if (!ref) return [];
  return [
    {
      id: ['revision', revision, name],
      ts: t(meta.creationTimestamp) ?? observedAt,
      reason: 'ReplicaSetUpdated',
      message: `rollout: ReplicaSet ${name} is revision ${revision}`,
      type: 'Normal',
      severity: 'info',
      abstract: 'state:rollout',
      about: { kind: 'Deployment', namespace, name: ref.name, uid: s(owner.uid), node: null },
    },
  ];
}

function pvcEvidence(meta: J, status: J, observedAt: number): Found[] {
  const phase = s(status.phase);
  if (phase !== 'Pending' && phase !== 'Lost') return [];
  const reason = phase === 'Pending' ? 'ClaimPending' : 'ClaimLost';
  return [
    {
      id: ['status.phase', phase],
      // Pending since it was created; Lost carries no time of its own.
      ts: phase === 'Pending' ? t(meta.creationTimestamp) ?? observedAt : observedAt,
      reason,
      message: `PersistentVolumeClaim is ${phase}`,
      abstract: 'state:pvc-phase',
    },
  ];
}

function jobEvidence(status: J, observedAt: number): Found[] {
  const f = condition(status, 'Failed');
  if (!f || f.status !== 'True') return [];
  const reason = s(f.reason) ?? 'JobFailed';
  return [
    {
      id: ['Failed', reason, s(f.lastTransitionTime)],
      ts: t(f.lastTransitionTime) ?? observedAt,
      reason,
      message: s(f.message) ?? `job failed: ${reason}`,
      severity: 'error',
      abstract: 'state:job-condition',
    },
  ];
}

/**
 * The evidence events one snapshot of a Kubernetes object yields (none for kinds or states that
 * say nothing went wrong). `observedAt` (ms) is the time only of evidence the object gives no
 * time for; ids never depend on it.
 */
export function evidenceOfObject(obj: unknown, observedAt: number): NormalizedEvent[] {
  const x = o(obj);
  const meta = o(x.metadata);
  const kind = s(x.kind);
  const name = s(meta.name);
  if (!kind || !name) return [];
  const namespace = s(meta.namespace) ?? '';
  const ref = resourceRef(kind, namespace, name);
  if (!ref) return [];
  const status = o(x.status);
  const spec = o(x.spec);
  const subject: Subject = { kind: ref.kind, namespace: ref.namespace, name: ref.name, uid: s(meta.uid), node: ref.kind === 'Pod' ? s(spec.nodeName) : null };
  let found: Found[];
  switch (ref.kind) {
    case 'Pod':
      found = podEvidence(status, observedAt);
      break;
    case 'Node':
      found = nodeEvidence(status, observedAt);
      break;
    case 'Deployment':
      found = deploymentEvidence(status, observedAt);
      break;
    case 'ReplicaSet':
      found = replicaSetEvidence(meta, ref.namespace, observedAt);
      break;
    case 'PersistentVolumeClaim':
      found = pvcEvidence(meta, status, observedAt);
      break;
    case 'Job':
      found = jobEvidence(status, observedAt);
      break;
    default:
      found = [];
  }
  return found.map((f) => toEvent(subject, f));
}
