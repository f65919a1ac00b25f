import { Severity } from '../avro/normalizedCodec';

/**
 * `event_type_abstract`: a small vocabulary of what a Kubernetes event means, so causal rules
 * (OOMKilled → BackOff, FailedScheduling, Unhealthy → alert, NodeNotReady → eviction) match on
 * one name whatever the reason string or the reporting component. The first matching row wins;
 * `message` patterns disambiguate reasons that mean several things (BackOff, Unhealthy, Failed).
 * Unmatched events keep their reason as the abstract type when it is a plain identifier (else
 * `Other`), with severity `warning` for type Warning and `info` otherwise.
 *
 * | abstract               | reasons (and message pattern)                                   | severity |
 * |------------------------|-----------------------------------------------------------------|----------|
 * | OOMKilled              | OOMKilling, OOMKilled, SystemOOM; or message "OOMKilled"/"out of memory" | critical |
 * | NodeNotReady           | NodeNotReady; or message "status is now: NodeNotReady"          | critical |
 * | CrashLoopBackOff       | CrashLoopBackOff; BackOff with "restarting failed container"    | error    |
 * | ImagePullBackOff       | ImagePullBackOff; BackOff with "pulling image"                  | error    |
 * | ErrImagePull           | ErrImagePull, InspectFailed, ErrImageNeverPull; Failed with "pull image"/"ErrImagePull" | error |
 * | FailedScheduling       | FailedScheduling, Unschedulable                                 | error    |
 * | LivenessProbeFailed    | Unhealthy with "Liveness probe failed"                          | error    |
 * | ReadinessProbeFailed   | Unhealthy with "Readiness probe failed"                         | warning  |
 * | StartupProbeFailed     | Unhealthy with "Startup probe failed"                           | error    |
 * | ProbeFailed            | Unhealthy (other)                                               | warning  |
 * | Evicted                | Evicted, Evicting; or message "was low on resource"             | error    |
 * | Preempted              | Preempted, Preempting                                           | warning  |
 * | NodePressure           | NodeHasDiskPressure, NodeHasMemoryPressure, NodeHasInsufficientPID, EvictionThresholdMet, FreeDiskSpaceFailed | warning |
 * | NodeRebooted           | Rebooted                                                        | warning  |
 * | VolumeMountFailed      | FailedMount, FailedAttachVolume, FailedMapVolume                | error    |
 * | SandboxFailed          | FailedCreatePodSandBox, FailedKillPod, FailedSync               | error    |
 * | NetworkNotReady        | NetworkNotReady                                                 | error    |
 * | ContainerKilled        | Killing                                                         | warning  |
 * | ContainerFailed        | Failed (other), BackOff (other)                                 | error    |
 * | JobFailed              | BackoffLimitExceeded, DeadlineExceeded                          | error    |
 * | FailedCreate           | FailedCreate, FailedDelete                                      | error    |
 * | ScalingReplicaSet      | ScalingReplicaSet, SuccessfulRescale                            | info     |
 * | PodScheduled           | Scheduled                                                       | info     |
 * | ImagePulled            | Pulling, Pulled                                                 | info     |
 * | ContainerStarted       | Created, Started                                                | info     |
 */
export interface EventTypeRule {
  abstract: string;
  reasons: readonly string[];
  /** When set, the rule matches only if the message matches too (or, with no reasons, on message alone). */
  message?: RegExp;
  severity: Severity;
}

export const EVENT_TYPE_RULES: readonly EventTypeRule[] = [
  { abstract: 'OOMKilled', reasons: ['OOMKilling', 'OOMKilled', 'SystemOOM'], severity: 'critical' },
  { abstract: 'OOMKilled', reasons: [], message: /\bOOMKilled\b|out of memory/i, severity: 'critical' },
  { abstract: 'NodeNotReady', reasons: ['NodeNotReady'], severity: 'critical' },
  { abstract: 'NodeNotReady', reasons: [], message: /status is now: NodeNotReady/, severity: 'critical' },
  { abstract: 'CrashLoopBackOff', reasons: ['CrashLoopBackOff'], severity: 'error' },
  { abstract: 'CrashLoopBackOff', reasons: ['BackOff'], message: /restarting failed container/i, severity: 'error' },
  { abstract: 'ImagePullBackOff', reasons: ['ImagePullBackOff'], severity: 'error' },
  { abstract: 'ImagePullBackOff', reasons: ['BackOff'], message: /pulling image/i, severity: 'error' },
  { abstract: 'ErrImagePull', reasons: ['ErrImagePull', 'InspectFailed', 'ErrImageNeverPull'], severity: 'error' },
  { abstract: 'ErrImagePull', reasons: ['Failed'], message: /pull image|ErrImagePull/i, severity: 'error' },
  { abstract: 'FailedScheduling', reasons: ['FailedScheduling', 'Unschedulable'], severity: 'error' },
  { abstract: 'LivenessProbeFailed', reasons: ['Unhealthy'], message: /Liveness probe failed/i, severity: 'error' },
  { abstract: 'ReadinessProbeFailed', reasons: ['Unhealthy'], message: /Readiness probe failed/i, severity: 'warning' },
  { abstract: 'StartupProbeFailed', reasons: ['Unhealthy'], message: /Startup probe failed/i, severity: 'error' },
  { abstract: 'ProbeFailed', reasons: ['Unhealthy'], severity: 'warning' },
  { abstract: 'Evicted', reasons: ['Evicted', 'Evicting'], severity: 'error' },
  { abstract: 'Evicted', reasons: [], message: /was low on resource/i, severity: 'error' },
  { abstract: 'Preempted', reasons: ['Preempted', 'Preempting'], severity: 'warning' },
  {
    abstract: 'NodePressure',
    reasons: ['NodeHasDiskPressure', 'NodeHasMemoryPressure', 'NodeHasInsufficientPID', 'EvictionThresholdMet', 'FreeDiskSpaceFailed'],
    severity: 'warning',
  },
  { abstract: 'NodeRebooted', reasons: ['Rebooted'], severity: 'warning' },
  { abstract: 'VolumeMountFailed', reasons: ['FailedMount', 'FailedAttachVolume', 'FailedMapVolume'], severity: 'error' },
  { abstract: 'SandboxFailed', reasons: ['FailedCreatePodSandBox', 'FailedKillPod', 'FailedSync'], severity: 'error' },
  { abstract: 'NetworkNotReady', reasons: ['NetworkNotReady'], severity: 'error' },
  { abstract: 'ContainerKilled', reasons: ['Killing'], severity: 'warning' },
  { abstract: 'ContainerFailed', reasons: ['Failed', 'BackOff'], severity: 'error' },
  { abstract: 'JobFailed', reasons: ['BackoffLimitExceeded', 'DeadlineExceeded'], severity: 'error' },
  { abstract: 'FailedCreate', reasons: ['FailedCreate', 'FailedDelete'], severity: 'error' },
  { abstract: 'ScalingReplicaSet', reasons: ['ScalingReplicaSet', 'SuccessfulRescale'], severity: 'info' },
  { abstract: 'PodScheduled', reasons: ['Scheduled'], severity: 'info' },
  { abstract: 'ImagePulled', reasons: ['Pulling', 'Pulled'], severity: 'info' },
  { abstract: 'ContainerStarted', reasons: ['Created', 'Started'], severity: 'info' },
];

const PLAIN_REASON = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** The abstract type and severity of an event, from the table above. */
export function classifyEventType(reason: string, message: string, type: string | null): { abstract: string; severity: Severity } {
  for (const rule of EVENT_TYPE_RULES) {
    const reasonOk = rule.reasons.length === 0 ? true : rule.reasons.includes(reason);
    if (!reasonOk) continue;
    if (rule.message && !rule.message.test(message)) continue;
    return { abstract: rule.abstract, severity: rule.severity };
  }
  return {
    abstract: PLAIN_REASON.test(reason) ? reason : 'Other',
    severity: type === 'Warning' ? 'warning' : 'info',
  };
}
