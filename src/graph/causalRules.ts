/**
 * Categories of events and the POTENTIAL_CAUSE rule table (DESIGN.md "Graph"). A rule says that
 * an event of category `cause` commonly leads to one of category `effect`, with a prior weight.
 * The confidence of an edge is `weight × timeFactor × distanceFactor`:
 *   - timeFactor = 1 − 0.5 · lag / window (a cause right before its effect counts most; 0.5 at the window edge),
 *   - distanceFactor = 1 / (1 + 0.5 · hops) over RUNS_ON / CONTROLS / SELECTS (same resource = 1).
 * Pairs of non-normal events without a rule get the co-occurrence prior (0.3). Edges below
 * `minConfidence` are not written. Normal events (Scheduled, Pulled, Started, ...) take no part.
 *
 * | cause              | effect             | weight | why |
 * |--------------------|--------------------|--------|-----|
 * | oom                | backoff            | 0.95   | an OOM-killed container restarts into CrashLoopBackOff |
 * | oom                | unhealthy          | 0.80   | the restarting container fails its probes |
 * | oom                | killing            | 0.70   | the kubelet kills and restarts it |
 * | oom                | alert              | 0.70   | restarts / unavailability alerts |
 * | node-pressure      | oom                | 0.70   | memory pressure on the node |
 * | node-pressure      | eviction           | 0.85   | the kubelet evicts under pressure |
 * | image-pull         | backoff            | 0.90   | ErrImagePull → ImagePullBackOff / BackOff |
 * | image-pull         | alert              | 0.60   | pods never become ready |
 * | failed-mount       | unhealthy          | 0.50   | a volume that does not mount keeps the pod from starting |
 * | failed-mount       | alert              | 0.60   | |
 * | failed-scheduling  | alert              | 0.65   | pending pods → unavailable replicas |
 * | failed-create      | alert              | 0.60   | a controller cannot create its pods |
 * | node-not-ready     | eviction           | 0.90   | pods are evicted from a NotReady node |
 * | node-not-ready     | failed-scheduling  | 0.60   | less capacity to schedule on |
 * | node-not-ready     | unhealthy          | 0.60   | |
 * | node-not-ready     | alert              | 0.60   | |
 * | eviction           | failed-scheduling  | 0.70   | evicted pods must be rescheduled |
 * | eviction           | alert              | 0.60   | |
 * | unhealthy          | alert              | 0.85   | failing readiness → endpoints removed → alert |
 * | unhealthy          | killing            | 0.75   | failing liveness → container killed |
 * | killing            | backoff            | 0.60   | |
 * | backoff            | alert              | 0.70   | |
 * | backoff            | unhealthy          | 0.50   | |
 * | error-log          | backoff            | 0.60   | the error that crashed the container |
 * | error-log          | unhealthy          | 0.60   | |
 * | error-log          | alert              | 0.50   | |
 * | error-log          | crash              | 0.85   | a container's last error lines before it terminated |
 */
export type EventCategory =
  | 'oom' | 'backoff' | 'image-pull' | 'unhealthy' | 'failed-scheduling' | 'node-not-ready' | 'node-pressure'
  | 'eviction' | 'failed-mount' | 'failed-create' | 'killing' | 'alert' | 'error-log' | 'warning' | 'normal'
  /** Evidence from object state (objectEvidence.ts): a container that terminated with an error; a Deployment rollout. */
  | 'crash' | 'rollout';

export interface CausalRule {
  cause: EventCategory;
  effect: EventCategory;
  weight: number;
}

export const CAUSAL_RULES: readonly CausalRule[] = [
  { cause: 'oom', effect: 'backoff', weight: 0.95 },
  { cause: 'oom', effect: 'unhealthy', weight: 0.8 },
  { cause: 'oom', effect: 'killing', weight: 0.7 },
  { cause: 'oom', effect: 'alert', weight: 0.7 },
  { cause: 'node-pressure', effect: 'oom', weight: 0.7 },
  { cause: 'node-pressure', effect: 'eviction', weight: 0.85 },
  { cause: 'image-pull', effect: 'backoff', weight: 0.9 },
  { cause: 'image-pull', effect: 'alert', weight: 0.6 },
  { cause: 'failed-mount', effect: 'unhealthy', weight: 0.5 },
  { cause: 'failed-mount', effect: 'alert', weight: 0.6 },
  { cause: 'failed-scheduling', effect: 'alert', weight: 0.65 },
  { cause: 'failed-create', effect: 'alert', weight: 0.6 },
  { cause: 'node-not-ready', effect: 'eviction', weight: 0.9 },
  { cause: 'node-not-ready', effect: 'failed-scheduling', weight: 0.6 },
  { cause: 'node-not-ready', effect: 'unhealthy', weight: 0.6 },
  { cause: 'node-not-ready', effect: 'alert', weight: 0.6 },
  { cause: 'eviction', effect: 'failed-scheduling', weight: 0.7 },
  { cause: 'eviction', effect: 'alert', weight: 0.6 },
  { cause: 'unhealthy', effect: 'alert', weight: 0.85 },
  { cause: 'unhealthy', effect: 'killing', weight: 0.75 },
  { cause: 'killing', effect: 'backoff', weight: 0.6 },
  { cause: 'backoff', effect: 'alert', weight: 0.7 },
  { cause: 'backoff', effect: 'unhealthy', weight: 0.5 },
  { cause: 'error-log', effect: 'backoff', weight: 0.6 },
  { cause: 'error-log', effect: 'unhealthy', weight: 0.6 },
  { cause: 'error-log', effect: 'alert', weight: 0.5 },
  { cause: 'error-log', effect: 'crash', weight: 0.85 },
];

/** Weight of a pair of non-normal events with no rule between them. */
export const CO_OCCURRENCE_PRIOR = 0.3;

const RULE_INDEX = new Map<string, CausalRule>(CAUSAL_RULES.map((r) => [`${r.cause}>${r.effect}`, r]));

export function ruleFor(cause: string, effect: string): CausalRule | undefined {
  return RULE_INDEX.get(`${cause}>${effect}`);
}

/** Reasons of the evidence from object state (objectEvidence.ts) that the checks below would not place. */
const STATE_REASON_CATEGORIES: Readonly<Record<string, EventCategory>> = { error: 'crash', containercannotrun: 'crash', restarted: 'backoff', unschedulable: 'failed-scheduling', memorypressure: 'node-pressure', diskpressure: 'node-pressure', pidpressure: 'node-pressure', networkunavailable: 'node-not-ready', podnotready: 'unhealthy', createcontainerconfigerror: 'failed-mount', claimpending: 'failed-mount', claimlost: 'failed-mount', replicasetupdated: 'rollout' };

/**
 * The category of a Kubernetes event from its reason (and abstract type and message as hints).
 * Order matters: ImagePullBackOff is an image problem before it is a back-off.
 */
export function categorizeK8sEvent(reason: string, type: string | null, abstract: string | null, message: string): EventCategory {
  const r = reason.toLowerCase();
  const fromState = STATE_REASON_CATEGORIES[r];
  if (fromState) return fromState;
  const a = (abstract ?? '').toLowerCase();
  if (r.includes('oom') || a.includes('oom')) return 'oom';
  if (r.includes('imagepull') || r === 'errimagepull' || r === 'invalidimagename' || (r === 'failed' && /pull(ing)? image/i.test(message))) return 'image-pull';
  if (r.includes('backoff') || r === 'crashloopbackoff') return 'backoff';
  if (r === 'unhealthy' || r.includes('probe')) return 'unhealthy';
  if (r === 'failedscheduling') return 'failed-scheduling';
  if (r === 'nodenotready' || r === 'nodenotschedulable' || r === 'nodeunreachable') return 'node-not-ready';
  if (r.startsWith('nodehas') && /pressure|insufficient/.test(r)) return 'node-pressure';
  if (r === 'evictionthresholdmet' || r === 'systemoom') return 'node-pressure';
  if (r === 'evicted' || r === 'evicting' || r === 'taintmanagereviction' || r === 'preempting' || r === 'preempted') return 'eviction';
  if (r === 'failedmount' || r === 'failedattachvolume') return 'failed-mount';
  if (r === 'failedcreate' || r === 'failedcreatepodsandbox') return 'failed-create';
  if (r === 'killing') return 'killing';
  if (type !== null && type.toLowerCase() === 'warning') return 'warning';
  return 'normal';
}

export interface CausalScoring {
  /** Pairs further apart than this in time are unrelated, ms (DESIGN.md default 300 s). */
  windowMs: number;
  /** Edges below this confidence are not written. */
  minConfidence: number;
}

export interface ScoredPair {
  rule: string;
  confidence: number;
}

/**
 * The confidence that `cause` (at `causeTs`) led to `effect` (at `effectTs`), `hops` apart in the
 * topology; undefined when the pair is out of the window, reversed in time, involves a normal
 * event, or falls below the minimum confidence.
 */
export function scorePair(
  cause: { category: string; ts: number },
  effect: { category: string; ts: number },
  hops: number,
  s: CausalScoring,
): ScoredPair | undefined {
  if (cause.category === 'normal' || effect.category === 'normal') return undefined;
  const lag = effect.ts - cause.ts;
  if (lag < 0 || lag > s.windowMs) return undefined;
  const rule = ruleFor(cause.category, effect.category);
  const weight = rule ? rule.weight : CO_OCCURRENCE_PRIOR;
  const timeFactor = 1 - 0.5 * (lag / s.windowMs);
  const distanceFactor = 1 / (1 + 0.5 * hops);
  const confidence = Math.round(weight * timeFactor * distanceFactor * 1000) / 1000;
  if (confidence < s.minConfidence) return undefined;
  return { rule: rule ? `${rule.cause}->${rule.effect}` : 'co-occurrence', confidence };
}
