import { evidenceOfObject } from '../../../src/graph/objectEvidence';

/** Objects as the API server returns them (kubectl get -o json), trimmed to the fields that matter. */
const podOom = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'api-7c9d8-x2k4p', namespace: 'shop', uid: '1dfa2b35-9c4e-4bb1-a3f2-0d6c1c0e7a11', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-7c9d8', uid: 'rs-1', controller: true }] },
  spec: { nodeName: 'worker-3', containers: [{ name: 'api', image: 'shop/api:1.4.2' }] },
  status: {
    phase: 'Running',
    startTime: '2026-12-01T08:50:00Z',
    conditions: [
      { type: 'Initialized', status: 'True', lastTransitionTime: '2026-12-01T08:50:00Z' },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [api]', lastTransitionTime: '2026-12-01T09:01:12Z' },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-12-01T08:50:00Z' },
    ],
    containerStatuses: [
      {
        name: 'api',
        ready: false,
        restartCount: 3,
        image: 'shop/api:1.4.2',
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=api pod=api-7c9d8-x2k4p_shop(1dfa2b35-9c4e-4bb1-a3f2-0d6c1c0e7a11)' } },
        lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2026-12-01T09:00:40Z', finishedAt: '2026-12-01T09:01:11Z', containerID: 'containerd://abc' } },
      },
    ],
  },
};

const T0 = Date.parse('2026-12-01T09:02:00Z');

describe('evidence from object state', () => {
  it('reads OOMKilled (exit 137, finishedAt), the restart count, CrashLoopBackOff and Ready=False from one pod snapshot', () => {
    const ev = evidenceOfObject(podOom, T0);
    expect(ev.map((e) => [e.reason, e.timestamp, e.container])).toEqual([
      ['OOMKilled', Date.parse('2026-12-01T09:01:11Z'), 'api'],
      ['Restarted', Date.parse('2026-12-01T09:01:11Z'), 'api'],
      ['CrashLoopBackOff', Date.parse('2026-12-01T09:01:11Z'), 'api'],
      ['PodNotReady', Date.parse('2026-12-01T09:01:12Z'), null],
    ]);
    const oom = ev[0];
    expect(oom).toMatchObject({ object_kind: 'Pod', object_namespace: 'shop', object_name: 'api-7c9d8-x2k4p', pod: 'api-7c9d8-x2k4p', node: 'worker-3', type: 'Warning', source_format: 'state' });
    expect(oom.message).toBe('container api terminated: OOMKilled (exit code 137)');
    expect(oom.event_id).toMatch(/^state:[0-9a-f]{32}$/);
    expect(ev[1]).toMatchObject({ message: 'container api restarted (restartCount 3)', count: 3 });
    expect(ev[2].message).toMatch(/^back-off 40s restarting failed container=api/);
  });

  it('gives the same ids for a resync (later snapshot time) and a new one only for what changed', () => {
    const a = evidenceOfObject(podOom, T0);
    const b = evidenceOfObject(podOom, T0 + 30_000);
    expect(b.map((e) => e.event_id)).toEqual(a.map((e) => e.event_id));
    // The container restarted once more: a new termination and a new restart count, same Ready transition.
    const next = structuredClone(podOom);
    next.status.containerStatuses[0].restartCount = 4;
    next.status.containerStatuses[0].lastState.terminated.finishedAt = '2026-12-01T09:03:05Z';
    const c = evidenceOfObject(next, T0 + 90_000);
    const old = new Set(a.map((e) => e.event_id));
    expect(c.filter((e) => !old.has(e.event_id)).map((e) => e.reason)).toEqual(['OOMKilled', 'Restarted', 'CrashLoopBackOff']);
    expect(c.find((e) => e.reason === 'PodNotReady')!.event_id).toBe(a.find((e) => e.reason === 'PodNotReady')!.event_id);
  });

  it('names the exit code of an Error and takes a state.terminated and the later lastState as one event', () => {
    const term = { exitCode: 2, reason: 'Error', startedAt: '2026-12-01T09:00:00Z', finishedAt: '2026-12-01T09:00:03Z' };
    const dying = { kind: 'Pod', metadata: { name: 'w', namespace: 'ns', uid: 'u1' }, status: { containerStatuses: [{ name: 'main', restartCount: 0, state: { terminated: term } }] } };
    const restarted = { kind: 'Pod', metadata: { name: 'w', namespace: 'ns', uid: 'u1' }, status: { containerStatuses: [{ name: 'main', restartCount: 1, state: { running: { startedAt: '2026-12-01T09:00:04Z' } }, lastState: { terminated: term } }] } };
    const [e1] = evidenceOfObject(dying, T0);
    const e2 = evidenceOfObject(restarted, T0);
    expect(e1).toMatchObject({ reason: 'Error', message: 'container main terminated: Error (exit code 2)', timestamp: Date.parse('2026-12-01T09:00:03Z') });
    expect(e2[0].event_id).toBe(e1.event_id);
    expect(e2.map((e) => e.reason)).toEqual(['Error', 'Restarted']);
  });

  it('skips completed containers and healthy objects', () => {
    const done = { kind: 'Pod', metadata: { name: 'j', namespace: 'ns', uid: 'u2' }, status: { phase: 'Succeeded', conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: '2026-12-01T09:00:00Z' }], initContainerStatuses: [{ name: 'init', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: '2026-12-01T08:59:00Z' } } }] } };
    expect(evidenceOfObject(done, T0)).toEqual([]);
    const node = { kind: 'Node', metadata: { name: 'worker-1', uid: 'n-1' }, status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-11-30T00:00:00Z' }, { type: 'MemoryPressure', status: 'False' }] } };
    expect(evidenceOfObject(node, T0)).toEqual([]);
    expect(evidenceOfObject({ kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' } }, T0)).toEqual([]);
    expect(evidenceOfObject('nope', T0)).toEqual([]);
  });

  it('reads CreateContainerConfigError with its message, at the Ready transition, one id while it keeps waiting', () => {
    const pod = (at: number) =>
      evidenceOfObject({ kind: 'Pod', metadata: { name: 'web', namespace: 'shop', uid: 'u3' }, status: { phase: 'Pending', startTime: '2026-12-01T09:00:00Z', conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: '2026-12-01T09:00:01Z' }], containerStatuses: [{ name: 'web', restartCount: 0, state: { waiting: { reason: 'CreateContainerConfigError', message: 'configmap "web-config" not found' } } }] } }, at);
    const a = pod(T0);
    expect(a[0]).toMatchObject({ reason: 'CreateContainerConfigError', message: 'configmap "web-config" not found', timestamp: Date.parse('2026-12-01T09:00:01Z'), container: 'web' });
    expect(pod(T0 + 60_000)[0].event_id).toBe(a[0].event_id);
  });

  it('reads Unschedulable and Evicted pods', () => {
    const pending = { kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u4' }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/9 nodes are available: 9 Insufficient cpu. preemption: 0/9 nodes are available: 9 No preemption victims found for incoming pod.', lastTransitionTime: '2026-12-01T09:00:00Z' }] } };
    expect(evidenceOfObject(pending, T0).map((e) => [e.reason, e.timestamp, e.message.slice(0, 25)])).toEqual([['Unschedulable', Date.parse('2026-12-01T09:00:00Z'), '0/9 nodes are available: ']]);
    const evicted = { kind: 'Pod', metadata: { name: 'q', namespace: 'ns', uid: 'u5' }, spec: { nodeName: 'worker-2' }, status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 9Gi. ', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', lastTransitionTime: '2026-12-01T09:00:09Z' }] } };
    expect(evidenceOfObject(evicted, T0).map((e) => [e.reason, e.timestamp, e.node])).toEqual([['Evicted', Date.parse('2026-12-01T09:00:09Z'), 'worker-2']]);
  });

  it('reads bad node conditions at their lastTransitionTime, about the Node', () => {
    const node = {
      kind: 'Node',
      metadata: { name: 'worker-3', uid: 'n-3' },
      status: {
        conditions: [
          { type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available', lastTransitionTime: '2026-12-01T08:58:00Z' },
          { type: 'DiskPressure', status: 'False', lastTransitionTime: '2026-11-30T00:00:00Z' },
          { type: 'PIDPressure', status: 'False', lastTransitionTime: '2026-11-30T00:00:00Z' },
          { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: '2026-12-01T09:00:30Z' },
          { type: 'NetworkUnavailable', status: 'True', reason: 'NoRouteCreated', lastTransitionTime: '2026-12-01T09:00:31Z' },
        ],
      },
    };
    const ev = evidenceOfObject(node, T0);
    expect(ev.map((e) => [e.reason, e.timestamp, e.object_kind, e.object_namespace, e.node])).toEqual([
      ['MemoryPressure', Date.parse('2026-12-01T08:58:00Z'), 'Node', null, 'worker-3'],
      ['NodeNotReady', Date.parse('2026-12-01T09:00:30Z'), 'Node', null, 'worker-3'],
      ['NetworkUnavailable', Date.parse('2026-12-01T09:00:31Z'), 'Node', null, 'worker-3'],
    ]);
    expect(ev[1].message).toBe('NodeNotReady: Ready=Unknown (NodeStatusUnknown): Kubelet stopped posting node status.');
  });

  it('reads a rollout from a new ReplicaSet (about its Deployment) and ProgressDeadlineExceeded', () => {
    const rs = (rev: string, name: string, created: string) => ({ kind: 'ReplicaSet', metadata: { name, namespace: 'shop', uid: `rs-${rev}`, creationTimestamp: created, annotations: { 'deployment.kubernetes.io/revision': rev }, ownerReferences: [{ kind: 'Deployment', name: 'api', uid: 'dep-1', controller: true }] } });
    const [r2] = evidenceOfObject(rs('2', 'api-5f6b7', '2026-12-01T09:00:00Z'), T0);
    expect(r2).toMatchObject({ reason: 'ReplicaSetUpdated', object_kind: 'Deployment', object_name: 'api', object_uid: 'dep-1', timestamp: Date.parse('2026-12-01T09:00:00Z'), message: 'rollout: ReplicaSet api-5f6b7 is revision 2' });
    const [r3] = evidenceOfObject(rs('3', 'api-9a8b7', '2026-12-01T10:00:00Z'), T0);
    expect(r3.event_id).not.toBe(r2.event_id);
    const dep = { kind: 'Deployment', metadata: { name: 'api', namespace: 'shop', uid: 'dep-1' }, status: { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "api-5f6b7" has timed out progressing.', lastUpdateTime: '2026-12-01T09:10:00Z', lastTransitionTime: '2026-12-01T09:10:00Z' }] } };
    expect(evidenceOfObject(dep, T0).map((e) => [e.reason, e.timestamp, e.message])).toEqual([['ProgressDeadlineExceeded', Date.parse('2026-12-01T09:10:00Z'), 'ReplicaSet "api-5f6b7" has timed out progressing.']]);
  });

  it('reads PVC Pending/Lost and a failed Job', () => {
    const pvc = (phase: string) => ({ kind: 'PersistentVolumeClaim', metadata: { name: 'data-db-0', namespace: 'shop', uid: 'pvc-1', creationTimestamp: '2026-12-01T08:59:00Z' }, status: { phase } });
    expect(evidenceOfObject(pvc('Pending'), T0).map((e) => [e.reason, e.timestamp])).toEqual([['ClaimPending', Date.parse('2026-12-01T08:59:00Z')]]);
    expect(evidenceOfObject(pvc('Lost'), T0).map((e) => [e.reason, e.timestamp])).toEqual([['ClaimLost', T0]]);
    expect(evidenceOfObject(pvc('Bound'), T0)).toEqual([]);
    const job = { kind: 'Job', metadata: { name: 'migrate', namespace: 'shop', uid: 'job-1' }, status: { failed: 7, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastTransitionTime: '2026-12-01T09:05:00Z' }] } };
    expect(evidenceOfObject(job, T0).map((e) => [e.reason, e.object_kind, e.timestamp])).toEqual([['BackoffLimitExceeded', 'Job', Date.parse('2026-12-01T09:05:00Z')]]);
  });
});
