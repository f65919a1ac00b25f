/**
 * Categories of events and the POTENTIAL_CAUSE rule table (DESIGN.md "Graph"). A rule says that
 * an event of category `cause` commonly leads to one of category `effect`, with a prior weight.
 * The confidence of an edge is `weight × timeFactor × distanceFactor`:
 *   - timeFactor = 1 − 0.5 · lag / window (a cause right before its effect counts most; 0.5 at the window edge);
 *     for an ALERT as the effect the reach is the alert lookback L (ALERT_LOOKBACK_SECONDS, default 1800 s)
 *     and timeFactor = 1 up to L/2, then falls to 0.5 at L: an alert fires after its rule's `for:` (15 min
 *     in kubernetes-mixin), so a 15-minute lag is the normal case, not a weak one;
 *   - distanceFactor = 1 / (1 + 0.5 · hops) over RUNS_ON / CONTROLS / SELECTS (same resource = 1).
 * Pairs of non-normal events without a rule get the co-occurrence prior (0.3), except two OOM kills: the
 * container's OOMKilled (its state) and node-problem-detector's OOMKilling on its node (the kernel line
 * `Killed process N (...)`) are one kill reported twice, not a cause and its effect (a co-occurrence edge from the
 * node's report to the pod's made the node look like the cause). Edges below `minConfidence` are not written.
 * Normal events (Scheduled, Pulled, Started, ...) take no part.
 *
 * Categories (what puts an event in one: {@link categorizeK8sEvent}, {@link categorizeLogClass}); the prior
 * is how root-cause-like the category is ({@link CATEGORY_PRIOR}, used by the ranking in src/rca):
 *
 * | category          | reasons / log classes                                                              | prior |
 * |-------------------|------------------------------------------------------------------------------------|-------|
 * | oom               | OOMKilled (state), OOMKilling (NPD, Node), SystemOOM                               | 1.00  |
 * | config            | CreateContainerConfigError; Failed / FailedMount naming a missing ConfigMap/Secret/key | 1.00 |
 * | volume            | ClaimPending, ClaimLost, ProvisioningFailed, FailedAttachVolume, FailedMapVolume   | 0.95  |
 * | node-not-ready    | NodeNotReady (on the Node), NodeNotSchedulable, NodeUnreachable, Rebooted          | 0.95  |
 * | node-pressure     | MemoryPressure, DiskPressure, PIDPressure, NodeHas*Pressure, EvictionThresholdMet, FreeDiskSpaceFailed | 0.90 |
 * | network           | NetworkUnavailable, NetworkNotReady (the node's network / CNI)                     | 0.90  |
 * | sandbox           | FailedCreatePodSandBox                                                             | 0.90  |
 * | image-pull        | ErrImagePull, ImagePullBackOff, InvalidImageName, ErrImageNeverPull, Failed "pull image" | 0.90 |
 * | log-config        | log classes config_error, permission_denied                                        | 0.90  |
 * | rollout           | ReplicaSetUpdated (a new revision)                                                 | 0.75  |
 * | failed-scheduling | FailedScheduling, Unschedulable (state)                                            | 0.75  |
 * | log-crash         | log classes panic, exception, stack_trace, uncaught, oom (a runtime's heap error)  | 0.75  |
 * | log-tls           | tls_error                                                                          | 0.70  |
 * | failed-mount      | FailedMount (other than a missing ConfigMap/Secret)                                | 0.65  |
 * | log-dns           | dns_failure                                                                        | 0.60  |
 * | crash             | Error (exit code N), ContainerCannotRun, CreateContainerError, FailedPostStartHook | 0.55  |
 * | failed-create     | FailedCreate                                                                       | 0.50  |
 * | error-log         | any other error class                                                              | 0.40  |
 * | eviction          | Evicted, Evicting, TaintManagerEviction, Preempting, Preempted                     | 0.40  |
 * | log-conn          | connection_refused, connection_reset, timeout, http_5xx (a peer failing)           | 0.35  |
 * | rollout-stuck     | ProgressDeadlineExceeded                                                           | 0.30  |
 * | job-failed        | BackoffLimitExceeded, DeadlineExceeded                                             | 0.30  |
 * | unhealthy         | Unhealthy, ProbeWarning                                                            | 0.25  |
 * | warning           | any other Warning                                                                  | 0.20  |
 * | restart           | Restarted (restart count up, state)                                                | 0.15  |
 * | not-ready         | PodNotReady (state), NodeNotReady on a Pod                                         | 0.10  |
 * | backoff           | BackOff, CrashLoopBackOff                                                          | 0.10  |
 * | killing           | Killing; Error with exit code 137 / 143 (killed by a signal, not OOMKilled)        | 0.10  |
 * | alert             | an Alertmanager alert                                                              | 0.02  |
 *
 * | cause              | effect             | weight | why |
 * |--------------------|--------------------|--------|-----|
 * | oom                | restart            | 0.95   | an OOM-killed container is restarted |
 * | oom                | backoff            | 0.95   | it restarts into CrashLoopBackOff |
 * | oom                | crash              | 0.60   | the runtime reports the kill as a termination |
 * | oom                | unhealthy          | 0.80   | the restarting container fails its probes |
 * | oom                | not-ready          | 0.80   | the pod is not ready while it restarts |
 * | oom                | killing            | 0.70   | the kubelet kills and restarts it |
 * | oom                | log-conn           | 0.60   | its callers cannot reach it |
 * | oom                | alert              | 0.80   | restarts / unavailability alerts |
 * | config             | backoff            | 0.90   | a container that cannot be configured never runs |
 * | config             | crash              | 0.70   | a missing key crashes the process |
 * | config             | restart            | 0.60   |  |
 * | config             | not-ready          | 0.85   | its pods never become ready |
 * | config             | failed-mount       | 0.80   | a missing ConfigMap/Secret volume does not mount |
 * | config             | unhealthy          | 0.50   |  |
 * | config             | rollout-stuck      | 0.80   | the new revision never becomes available |
 * | config             | log-conn           | 0.50   | its callers cannot reach it |
 * | config             | alert              | 0.80   |  |
 * | config             | config             | 0.60   | one missing object, several reports |
 * | log-config         | crash              | 0.85   | the process exits on a bad configuration |
 * | log-config         | restart            | 0.80   |  |
 * | log-config         | backoff            | 0.80   |  |
 * | log-config         | not-ready          | 0.60   |  |
 * | log-config         | alert              | 0.60   |  |
 * | log-crash          | crash              | 0.80   | a panic / uncaught exception ends the process |
 * | log-crash          | restart            | 0.75   |  |
 * | log-crash          | backoff            | 0.75   |  |
 * | log-crash          | not-ready          | 0.50   |  |
 * | log-crash          | alert              | 0.50   |  |
 * | log-dns            | crash              | 0.50   | a dependency that cannot be resolved at start |
 * | log-dns            | unhealthy          | 0.50   |  |
 * | log-dns            | alert              | 0.50   |  |
 * | log-tls            | crash              | 0.50   |  |
 * | log-tls            | unhealthy          | 0.50   |  |
 * | log-tls            | alert              | 0.50   |  |
 * | log-conn           | unhealthy          | 0.60   | a caller whose dependency fails fails its own probes |
 * | log-conn           | crash              | 0.50   |  |
 * | log-conn           | log-conn           | 0.50   | failures travel up a call chain |
 * | log-conn           | alert              | 0.60   | error-rate alerts of the caller |
 * | error-log          | backoff            | 0.60   | the error that crashed the container |
 * | error-log          | crash              | 0.50   |  |
 * | error-log          | restart            | 0.50   |  |
 * | error-log          | unhealthy          | 0.60   |  |
 * | error-log          | alert              | 0.50   |  |
 * | crash              | restart            | 0.90   | a terminated container is restarted |
 * | crash              | backoff            | 0.90   | repeated exits → CrashLoopBackOff |
 * | crash              | not-ready          | 0.70   |  |
 * | crash              | job-failed         | 0.85   | a job's pods fail until its backoff limit |
 * | crash              | log-conn           | 0.50   | its callers cannot reach it |
 * | crash              | alert              | 0.70   |  |
 * | restart            | backoff            | 0.80   |  |
 * | restart            | not-ready          | 0.60   |  |
 * | restart            | alert              | 0.75   | KubePodCrashLooping counts restarts |
 * | image-pull         | backoff            | 0.90   | ErrImagePull → ImagePullBackOff / BackOff |
 * | image-pull         | image-pull         | 0.80   | ErrImagePull then ImagePullBackOff |
 * | image-pull         | not-ready          | 0.70   |  |
 * | image-pull         | rollout-stuck      | 0.80   | the new revision never becomes available |
 * | image-pull         | alert              | 0.75   | pods never become ready |
 * | rollout            | image-pull         | 0.70   | a new revision with a bad image |
 * | rollout            | config             | 0.70   | a new revision naming a missing ConfigMap/Secret |
 * | rollout            | crash              | 0.70   | a new revision that crashes |
 * | rollout            | oom                | 0.50   | a new revision that needs more memory |
 * | rollout            | unhealthy          | 0.60   |  |
 * | rollout            | rollout-stuck      | 0.80   |  |
 * | rollout            | alert              | 0.60   |  |
 * | rollout-stuck      | alert              | 0.70   | KubeDeploymentRolloutStuck / replicas mismatch |
 * | volume             | failed-mount       | 0.90   | an unbound claim does not mount |
 * | volume             | failed-scheduling  | 0.70   | unbound immediate claims keep pods pending |
 * | volume             | not-ready          | 0.70   |  |
 * | volume             | alert              | 0.70   |  |
 * | failed-mount       | unhealthy          | 0.50   | a volume that does not mount keeps the pod from starting |
 * | failed-mount       | not-ready          | 0.70   |  |
 * | failed-mount       | alert              | 0.65   |  |
 * | failed-scheduling  | not-ready          | 0.60   |  |
 * | failed-scheduling  | rollout-stuck      | 0.60   |  |
 * | failed-scheduling  | alert              | 0.70   | pending pods → unavailable replicas |
 * | failed-create      | alert              | 0.60   | a controller cannot create its pods |
 * | failed-create      | rollout-stuck      | 0.60   |  |
 * | sandbox            | not-ready          | 0.80   | no sandbox, no containers |
 * | sandbox            | backoff            | 0.50   |  |
 * | sandbox            | alert              | 0.75   |  |
 * | network            | sandbox            | 0.90   | no CNI on the node, no pod network |
 * | network            | not-ready          | 0.70   |  |
 * | network            | node-not-ready     | 0.60   |  |
 * | network            | alert              | 0.60   |  |
 * | node-not-ready     | eviction           | 0.90   | pods are evicted from a NotReady node |
 * | node-not-ready     | not-ready          | 0.85   | every pod on it is marked not ready |
 * | node-not-ready     | failed-scheduling  | 0.60   | less capacity to schedule on |
 * | node-not-ready     | unhealthy          | 0.60   |  |
 * | node-not-ready     | alert              | 0.70   |  |
 * | node-pressure      | oom                | 0.70   | memory pressure on the node |
 * | node-pressure      | eviction           | 0.90   | the kubelet evicts under pressure |
 * | node-pressure      | failed-scheduling  | 0.50   | a node under pressure is tainted |
 * | node-pressure      | not-ready          | 0.50   |  |
 * | node-pressure      | alert              | 0.60   |  |
 * | eviction           | failed-scheduling  | 0.70   | evicted pods must be rescheduled |
 * | eviction           | not-ready          | 0.60   |  |
 * | eviction           | alert              | 0.60   |  |
 * | unhealthy          | alert              | 0.85   | failing readiness → endpoints removed → alert |
 * | unhealthy          | killing            | 0.75   | failing liveness → container killed |
 * | unhealthy          | not-ready          | 0.70   |  |
 * | unhealthy          | log-conn           | 0.40   | its callers see it fail |
 * | unhealthy          | restart            | 0.65   | a container that fails liveness is restarted |
 * | unhealthy          | backoff            | 0.60   | and restarted again into CrashLoopBackOff |
 * | killing            | killing            | 0.85   | the kubelet's Killing, then the container's exit by that signal (137 / 143) |
 * | killing            | restart            | 0.70   |  |
 * | killing            | backoff            | 0.60   |  |
 * | killing            | not-ready          | 0.60   |  |
 * | killing            | alert              | 0.50   | restarts count towards KubePodCrashLooping |
 * | backoff            | alert              | 0.70   |  |
 * | backoff            | unhealthy          | 0.50   |  |
 * | backoff            | not-ready          | 0.50   |  |
 * | not-ready          | alert              | 0.75   | KubePodNotReady / replicas mismatch |
 * | job-failed         | alert              | 0.80   | KubeJobFailed |
 */
export const EVENT_CATEGORIES = [
  'oom', 'config', 'volume', 'node-not-ready', 'node-pressure', 'network', 'sandbox', 'image-pull', 'log-config',
  'rollout', 'failed-scheduling', 'log-crash', 'log-tls', 'failed-mount', 'log-dns', 'crash', 'failed-create',
  'error-log', 'eviction', 'log-conn', 'rollout-stuck', 'job-failed', 'unhealthy', 'warning', 'restart',
  'not-ready', 'backoff', 'killing', 'alert', 'normal',
] as const;

export type EventCategory = (typeof EVENT_CATEGORIES)[number];

/** How root-cause-like an event of each category is (the table above): a cause beats a symptom. */
export const CATEGORY_PRIOR: Readonly<Record<EventCategory, number>> = {
  oom: 1, config: 1, volume: 0.95, 'node-not-ready': 0.95, 'node-pressure': 0.9, network: 0.9, sandbox: 0.9,
  'image-pull': 0.9, 'log-config': 0.9, rollout: 0.75, 'failed-scheduling': 0.75, 'log-crash': 0.75, 'log-tls': 0.7,
  'failed-mount': 0.65, 'log-dns': 0.6, crash: 0.55, 'failed-create': 0.5, 'error-log': 0.4, eviction: 0.4,
  'log-conn': 0.35, 'rollout-stuck': 0.3, 'job-failed': 0.3, unhealthy: 0.25, warning: 0.2, restart: 0.15,
  'not-ready': 0.1, backoff: 0.1, killing: 0.1, alert: 0.02, normal: 0,
};

/** The prior of a stored category (0.2, as `warning`, for one this version does not know). */
export function priorOf(category: string): number {
  return (CATEGORY_PRIOR as Record<string, number | undefined>)[category] ?? CATEGORY_PRIOR.warning;
}

export interface CausalRule {
  cause: EventCategory;
  effect: EventCategory;
  weight: number;
}

export const CAUSAL_RULES: readonly CausalRule[] = [
  { cause: 'oom', effect: 'restart', weight: 0.95 },
  { cause: 'oom', effect: 'backoff', weight: 0.95 },
  { cause: 'oom', effect: 'crash', weight: 0.6 },
  { cause: 'oom', effect: 'unhealthy', weight: 0.8 },
  { cause: 'oom', effect: 'not-ready', weight: 0.8 },
  { cause: 'oom', effect: 'killing', weight: 0.7 },
  { cause: 'oom', effect: 'log-conn', weight: 0.6 },
  { cause: 'oom', effect: 'alert', weight: 0.8 },
  { cause: 'config', effect: 'backoff', weight: 0.9 },
  { cause: 'config', effect: 'crash', weight: 0.7 },
  { cause: 'config', effect: 'restart', weight: 0.6 },
  { cause: 'config', effect: 'not-ready', weight: 0.85 },
  { cause: 'config', effect: 'failed-mount', weight: 0.8 },
  { cause: 'config', effect: 'unhealthy', weight: 0.5 },
  { cause: 'config', effect: 'rollout-stuck', weight: 0.8 },
  { cause: 'config', effect: 'log-conn', weight: 0.5 },
  { cause: 'config', effect: 'alert', weight: 0.8 },
  { cause: 'config', effect: 'config', weight: 0.6 },
  { cause: 'log-config', effect: 'crash', weight: 0.85 },
  { cause: 'log-config', effect: 'restart', weight: 0.8 },
  { cause: 'log-config', effect: 'backoff', weight: 0.8 },
  { cause: 'log-config', effect: 'not-ready', weight: 0.6 },
  { cause: 'log-config', effect: 'alert', weight: 0.6 },
  { cause: 'log-crash', effect: 'crash', weight: 0.8 },
  { cause: 'log-crash', effect: 'restart', weight: 0.75 },
  { cause: 'log-crash', effect: 'backoff', weight: 0.75 },
  { cause: 'log-crash', effect: 'not-ready', weight: 0.5 },
  { cause: 'log-crash', effect: 'alert', weight: 0.5 },
  { cause: 'log-dns', effect: 'crash', weight: 0.5 },
  { cause: 'log-dns', effect: 'unhealthy', weight: 0.5 },
  { cause: 'log-dns', effect: 'alert', weight: 0.5 },
  { cause: 'log-tls', effect: 'crash', weight: 0.5 },
  { cause: 'log-tls', effect: 'unhealthy', weight: 0.5 },
  { cause: 'log-tls', effect: 'alert', weight: 0.5 },
  { cause: 'log-conn', effect: 'unhealthy', weight: 0.6 },
  { cause: 'log-conn', effect: 'crash', weight: 0.5 },
  { cause: 'log-conn', effect: 'log-conn', weight: 0.5 },
  { cause: 'log-conn', effect: 'alert', weight: 0.6 },
  { cause: 'error-log', effect: 'backoff', weight: 0.6 },
  { cause: 'error-log', effect: 'crash', weight: 0.5 },
  { cause: 'error-log', effect: 'restart', weight: 0.5 },
  { cause: 'error-log', effect: 'unhealthy', weight: 0.6 },
  { cause: 'error-log', effect: 'alert', weight: 0.5 },
  { cause: 'crash', effect: 'restart', weight: 0.9 },
  { cause: 'crash', effect: 'backoff', weight: 0.9 },
  { cause: 'crash', effect: 'not-ready', weight: 0.7 },
  { cause: 'crash', effect: 'job-failed', weight: 0.85 },
  { cause: 'crash', effect: 'log-conn', weight: 0.5 },
  { cause: 'crash', effect: 'alert', weight: 0.7 },
  { cause: 'restart', effect: 'backoff', weight: 0.8 },
  { cause: 'restart', effect: 'not-ready', weight: 0.6 },
  { cause: 'restart', effect: 'alert', weight: 0.75 },
  { cause: 'image-pull', effect: 'backoff', weight: 0.9 },
  { cause: 'image-pull', effect: 'image-pull', weight: 0.8 },
  { cause: 'image-pull', effect: 'not-ready', weight: 0.7 },
  { cause: 'image-pull', effect: 'rollout-stuck', weight: 0.8 },
  { cause: 'image-pull', effect: 'alert', weight: 0.75 },
  { cause: 'rollout', effect: 'image-pull', weight: 0.7 },
  { cause: 'rollout', effect: 'config', weight: 0.7 },
  { cause: 'rollout', effect: 'crash', weight: 0.7 },
  { cause: 'rollout', effect: 'oom', weight: 0.5 },
  { cause: 'rollout', effect: 'unhealthy', weight: 0.6 },
  { cause: 'rollout', effect: 'rollout-stuck', weight: 0.8 },
  { cause: 'rollout', effect: 'alert', weight: 0.6 },
  { cause: 'rollout-stuck', effect: 'alert', weight: 0.7 },
  { cause: 'volume', effect: 'failed-mount', weight: 0.9 },
  { cause: 'volume', effect: 'failed-scheduling', weight: 0.7 },
  { cause: 'volume', effect: 'not-ready', weight: 0.7 },
  { cause: 'volume', effect: 'alert', weight: 0.7 },
  { cause: 'failed-mount', effect: 'unhealthy', weight: 0.5 },
  { cause: 'failed-mount', effect: 'not-ready', weight: 0.7 },
  { cause: 'failed-mount', effect: 'alert', weight: 0.65 },
  { cause: 'failed-scheduling', effect: 'not-ready', weight: 0.6 },
  { cause: 'failed-scheduling', effect: 'rollout-stuck', weight: 0.6 },
  { cause: 'failed-scheduling', effect: 'alert', weight: 0.7 },
  { cause: 'failed-create', effect: 'alert', weight: 0.6 },
  { cause: 'failed-create', effect: 'rollout-stuck', weight: 0.6 },
  { cause: 'sandbox', effect: 'not-ready', weight: 0.8 },
  { cause: 'sandbox', effect: 'backoff', weight: 0.5 },
  { cause: 'sandbox', effect: 'alert', weight: 0.75 },
  { cause: 'network', effect: 'sandbox', weight: 0.9 },
  { cause: 'network', effect: 'not-ready', weight: 0.7 },
  { cause: 'network', effect: 'node-not-ready', weight: 0.6 },
  { cause: 'network', effect: 'alert', weight: 0.6 },
  { cause: 'node-not-ready', effect: 'eviction', weight: 0.9 },
  { cause: 'node-not-ready', effect: 'not-ready', weight: 0.85 },
  { cause: 'node-not-ready', effect: 'failed-scheduling', weight: 0.6 },
  { cause: 'node-not-ready', effect: 'unhealthy', weight: 0.6 },
  { cause: 'node-not-ready', effect: 'alert', weight: 0.7 },
  { cause: 'node-pressure', effect: 'oom', weight: 0.7 },
  { cause: 'node-pressure', effect: 'eviction', weight: 0.9 },
  { cause: 'node-pressure', effect: 'failed-scheduling', weight: 0.5 },
  { cause: 'node-pressure', effect: 'not-ready', weight: 0.5 },
  { cause: 'node-pressure', effect: 'alert', weight: 0.6 },
  { cause: 'eviction', effect: 'failed-scheduling', weight: 0.7 },
  { cause: 'eviction', effect: 'not-ready', weight: 0.6 },
  { cause: 'eviction', effect: 'alert', weight: 0.6 },
  { cause: 'unhealthy', effect: 'alert', weight: 0.85 },
  { cause: 'unhealthy', effect: 'killing', weight: 0.75 },
  { cause: 'unhealthy', effect: 'not-ready', weight: 0.7 },
  { cause: 'unhealthy', effect: 'log-conn', weight: 0.4 },
  { cause: 'unhealthy', effect: 'restart', weight: 0.65 },
  { cause: 'unhealthy', effect: 'backoff', weight: 0.6 },
  { cause: 'killing', effect: 'killing', weight: 0.85 },
  { cause: 'killing', effect: 'restart', weight: 0.7 },
  { cause: 'killing', effect: 'backoff', weight: 0.6 },
  { cause: 'killing', effect: 'not-ready', weight: 0.6 },
  { cause: 'killing', effect: 'alert', weight: 0.5 },
  { cause: 'backoff', effect: 'alert', weight: 0.7 },
  { cause: 'backoff', effect: 'unhealthy', weight: 0.5 },
  { cause: 'backoff', effect: 'not-ready', weight: 0.5 },
  { cause: 'not-ready', effect: 'alert', weight: 0.75 },
  { cause: 'job-failed', effect: 'alert', weight: 0.8 },
];

/** Weight of a pair of non-normal events with no rule between them. */
export const CO_OCCURRENCE_PRIOR = 0.3;

const RULE_INDEX = new Map<string, CausalRule>(CAUSAL_RULES.map((r) => [`${r.cause}>${r.effect}`, r]));

export function ruleFor(cause: string, effect: string): CausalRule | undefined {
  return RULE_INDEX.get(`${cause}>${effect}`);
}

/** A terminated container's message (src/graph/objectEvidence.ts) with the exit code of a signal sent to it: 128 + 9 / 128 + 15. */
const KILLED_BY_SIGNAL = /\bexit code (137|143)\b/;

const MISSING_CONFIG = /(configmaps?|secrets?) "[^"]*" not found|couldn't find key|configmap .* not found|secret .* not found/i;

/**
 * The category of a Kubernetes event (or of an event derived from object state) from its reason,
 * with its type, abstract type, message and the involved object's kind as hints. Order matters:
 * ImagePullBackOff is an image problem before it is a back-off.
 */
export function categorizeK8sEvent(reason: string, type: string | null, abstract: string | null, message: string, kind?: string | null): EventCategory {
  const r = reason.toLowerCase();
  const a = (abstract ?? '').toLowerCase();
  if (r.includes('oom') || a.includes('oom')) return 'oom';
  if (r.includes('imagepull') || r === 'errimagepull' || r === 'invalidimagename' || r === 'errimageneverpull' || (r === 'failed' && /pull(ing)? image/i.test(message))) return 'image-pull';
  if (r === 'createcontainerconfigerror' || ((r === 'failed' || r === 'failedmount') && MISSING_CONFIG.test(message))) return 'config';
  if (r === 'backofflimitexceeded' || r === 'deadlineexceeded') return 'job-failed';
  if (r.includes('backoff')) return 'backoff';
  if (r === 'unhealthy' || r.includes('probe')) return 'unhealthy';
  if (r === 'failedscheduling' || r === 'unschedulable') return 'failed-scheduling';
  if (r === 'nodenotready' || r === 'nodenotschedulable' || r === 'nodeunreachable' || r === 'rebooted') return kind === 'Pod' ? 'not-ready' : 'node-not-ready';
  if (r === 'podnotready' || r === 'containersnotready') return 'not-ready';
  if (/^(nodehas)?(memory|disk|pid)pressure$/.test(r) || (r.startsWith('nodehas') && /insufficient/.test(r)) || r === 'evictionthresholdmet' || r === 'freediskspacefailed') return 'node-pressure';
  if (r === 'networkunavailable' || r === 'networknotready') return 'network';
  if (r === 'failedcreatepodsandbox' || (r === 'failedkillpod' && /sandbox/i.test(message))) return 'sandbox';
  if (r === 'evicted' || r === 'evicting' || r === 'taintmanagereviction' || r === 'preempting' || r === 'preempted') return 'eviction';
  if (r === 'claimpending' || r === 'claimlost' || r === 'provisioningfailed' || r === 'failedattachvolume' || r === 'failedmapvolume' || r === 'failedbinding') return 'volume';
  if (r === 'failedmount') return 'failed-mount';
  if (r === 'replicasetupdated') return 'rollout';
  if (r === 'progressdeadlineexceeded') return 'rollout-stuck';
  // Exit 137 (SIGKILL) or 143 (SIGTERM) without OOMKilled: something outside stopped the container (the kubelet after
  // a failed liveness probe, a preStop / grace period, an eviction): a kill, not a crash of its own.
  if (r === 'error' && KILLED_BY_SIGNAL.test(message)) return 'killing';
  if (r === 'error' || r === 'containercannotrun' || r === 'createcontainererror' || r === 'failedpoststarthook' || r === 'runcontainererror') return 'crash';
  if (r === 'restarted') return 'restart';
  if (r === 'failedcreate') return 'failed-create';
  if (r === 'killing') return 'killing';
  if (type !== null && type.toLowerCase() === 'warning') return 'warning';
  return 'normal';
}

/**
 * The category of a classified error log from its error class (src/normalize/classifyError.ts):
 * what precedes a crash (configuration, panics and exceptions) apart from what a failing peer causes.
 */
export function categorizeLogClass(errorClass: string): EventCategory {
  const c = errorClass.toLowerCase();
  if (/config|permission|missing_key|env/.test(c)) return 'log-config';
  if (/panic|exception|stack|uncaught|fatal|segfault|^oom$/.test(c)) return 'log-crash';
  if (/dns/.test(c)) return 'log-dns';
  if (/tls|x509|cert/.test(c)) return 'log-tls';
  if (/connection|refused|reset|timeout|unreachable|http_5xx|upstream/.test(c)) return 'log-conn';
  return 'error-log';
}

export interface CausalScoring {
  /** Pairs further apart than this in time are unrelated, ms (DESIGN.md default 300 s). */
  windowMs: number;
  /** How far an alert reaches back for its causes, ms (ALERT_LOOKBACK_SECONDS; the window when absent). */
  alertLookbackMs?: number;
  /** Edges below this confidence are not written. */
  minConfidence: number;
}

export interface ScoredPair {
  rule: string;
  confidence: number;
}

/** How far before an effect of `category` its cause may lie, ms: the alert lookback for an alert, else the window. */
export function reachOf(category: string, s: Pick<CausalScoring, 'windowMs' | 'alertLookbackMs'>): number {
  return category === 'alert' ? Math.max(s.windowMs, s.alertLookbackMs ?? s.windowMs) : s.windowMs;
}

/**
 * Whether two events are close enough in time to be a causal pair either way: within the window,
 * or within the alert lookback before an alert. Symmetric, so the search from either end finds the pair.
 */
export function inCausalReach(x: { ts: number; category: string }, y: { ts: number; category: string }, s: Pick<CausalScoring, 'windowMs' | 'alertLookbackMs'>): boolean {
  const d = Math.abs(x.ts - y.ts);
  if (d <= s.windowMs) return true;
  if (y.category === 'alert' && x.ts <= y.ts) return d <= reachOf('alert', s);
  if (x.category === 'alert' && y.ts <= x.ts) return d <= reachOf('alert', s);
  return false;
}

/** The time factor of a cause `lag` ms before an effect of `category` (see the file comment). */
export function timeFactor(lag: number, category: string, s: Pick<CausalScoring, 'windowMs' | 'alertLookbackMs'>): number {
  const reach = reachOf(category, s);
  if (category !== 'alert') return 1 - 0.5 * (lag / reach);
  return lag <= reach / 2 ? 1 : 1 - (lag - reach / 2) / reach;
}

/**
 * The confidence that `cause` (at `causeTs`) led to `effect` (at `effectTs`), `hops` apart in the
 * topology; undefined when the pair is out of reach, reversed in time, involves a normal
 * event, or falls below the minimum confidence.
 */
export function scorePair(
  cause: { category: string; ts: number },
  effect: { category: string; ts: number },
  hops: number,
  s: CausalScoring,
): ScoredPair | undefined {
  if (cause.category === 'normal' || effect.category === 'normal') return undefined;
  if (cause.category === 'oom' && effect.category === 'oom') return undefined;
  const lag = effect.ts - cause.ts;
  if (lag < 0 || lag > reachOf(effect.category, s)) return undefined;
  const rule = ruleFor(cause.category, effect.category);
  const weight = rule ? rule.weight : CO_OCCURRENCE_PRIOR;
  const distanceFactor = 1 / (1 + 0.5 * hops);
  const confidence = Math.round(weight * timeFactor(lag, effect.category, s) * distanceFactor * 1000) / 1000;
  if (confidence < s.minConfidence) return undefined;
  return { rule: rule ? `${rule.cause}->${rule.effect}` : 'co-occurrence', confidence };
}
