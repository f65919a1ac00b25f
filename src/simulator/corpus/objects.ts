import { LogSource, Obj } from './formats';
import { Rng } from './rng';
import { NodeInfo, ts } from './world';

/**
 * Full Kubernetes objects as the API returns them (the fields an agent sends on state.k8s.resource):
 * Nodes with conditions, Deployments / ReplicaSets with revision annotations and pod-template-hash,
 * StatefulSets, DaemonSets, Pods with containerStatuses and conditions, Services, PVCs, ConfigMaps,
 * Secrets, Jobs, CronJobs and Ingresses. Status mutators return new objects.
 */
export function nodeObject(n: NodeInfo, at: number, uid: string): Obj {
  const t = ts(at);
  const cond = (type: string, status: string, reason: string, message: string) => ({ type, status, lastHeartbeatTime: t, lastTransitionTime: t, reason, message });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      uid,
      creationTimestamp: ts(at - 40 * 86_400_000),
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': n.system ? 'm6i.large' : 'm6i.xlarge',
        'topology.kubernetes.io/zone': `eu-west-1${'abc'[n.index % 3]}`,
        'eks.amazonaws.com/nodegroup': n.system ? 'system' : 'general',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {
      providerID: `aws:///eu-west-1${'abc'[n.index % 3]}/i-0${(n.index * 7919).toString(16).padStart(16, '4')}`,
      ...(n.system ? { taints: [{ key: 'dedicated', value: 'system', effect: 'NoSchedule' }] } : {}),
    },
    status: {
      capacity: { cpu: n.system ? '2' : '4', 'ephemeral-storage': '83873772Ki', memory: n.system ? '7910048Ki' : '15896344Ki', pods: '58' },
      allocatable: { cpu: n.system ? '1930m' : '3920m', 'ephemeral-storage': '76224326324', memory: n.system ? '7220896Ki' : '14879512Ki', pods: '58' },
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: n.ip },
        { type: 'Hostname', address: n.name },
      ],
      nodeInfo: { architecture: 'amd64', containerRuntimeVersion: 'containerd://1.7.22', kernelVersion: '6.1.112-124.190.amzn2023.x86_64', kubeProxyVersion: 'v1.30.4-eks-a737599', kubeletVersion: 'v1.30.4-eks-a737599', operatingSystem: 'linux', osImage: 'Amazon Linux 2023.6.20241031' },
    },
  };
}

/** A node condition set to a new status at `at` (lastTransitionTime moves, heartbeat too). */
export function withNodeCondition(node: Obj, type: string, status: string, reason: string, message: string, at: number): Obj {
  const n = structuredClone(node);
  const st = n.status as { conditions: Array<Record<string, string>> };
  for (const c of st.conditions) {
    c.lastHeartbeatTime = ts(at);
    if (c.type === type && c.status !== status) {
      c.status = status;
      c.reason = reason;
      c.message = message;
      c.lastTransitionTime = ts(at);
    }
  }
  return n;
}

/** All conditions Unknown: the kubelet stopped posting (node lifecycle controller). */
export function withNodeUnknown(node: Obj, at: number): Obj {
  const n = structuredClone(node);
  for (const c of (n.status as { conditions: Array<Record<string, string>> }).conditions) {
    c.status = 'Unknown';
    c.reason = 'NodeStatusUnknown';
    c.message = 'Kubelet stopped posting node status.';
    c.lastTransitionTime = ts(at);
  }
  (n.spec as Obj).taints = [
    ...(((n.spec as Obj).taints as unknown[]) ?? []),
    { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: ts(at) },
    { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: ts(at + 5000) },
  ];
  return n;
}

/** A node's heartbeat moved (what an unchanged node looks like on a resync: only lastHeartbeatTime differs). */
export function withHeartbeat(node: Obj, at: number): Obj {
  const n = structuredClone(node);
  for (const c of (n.status as { conditions: Array<Record<string, string>> }).conditions) c.lastHeartbeatTime = ts(at);
  return n;
}

export interface ContainerSpec {
  name: string;
  image: string;
  port: number;
  memoryLimit: string;
  cpuRequest: string;
  envFrom?: string[];
  secretEnv?: Array<{ env: string; secret: string; key: string }>;
  configMapVolume?: string;
  claim?: string;
  probes: boolean;
}

export interface AppSpec {
  namespace: string;
  name: string;
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  replicas: number;
  container: ContainerSpec;
  lang: 'go' | 'java' | 'node' | 'python' | 'nginx';
  /** Other apps it calls: `namespace/name`. */
  calls: string[];
  /** Service port (0: no Service). */
  servicePort: number;
  headless?: boolean;
  system?: boolean;
}

export function podTemplate(app: AppSpec, labels: Record<string, string>): Obj {
  const c = app.container;
  const volumes: Obj[] = [];
  const mounts: Obj[] = [];
  if (c.configMapVolume) {
    volumes.push({ name: 'config', configMap: { name: c.configMapVolume, defaultMode: 420 } });
    mounts.push({ name: 'config', mountPath: '/etc/app', readOnly: true });
  }
  if (c.claim) {
    volumes.push({ name: 'data', persistentVolumeClaim: { claimName: c.claim } });
    mounts.push({ name: 'data', mountPath: '/var/lib/data' });
  }
  const probe = (path: string, failureThreshold: number) => ({ httpGet: { path, port: c.port, scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold });
  return {
    metadata: { labels },
    spec: {
      containers: [
        {
          name: c.name,
          image: c.image,
          imagePullPolicy: 'IfNotPresent',
          ports: [{ containerPort: c.port, name: 'http', protocol: 'TCP' }],
          ...(c.envFrom ? { envFrom: c.envFrom.map((name) => ({ configMapRef: { name } })) } : {}),
          ...(c.secretEnv ? { env: c.secretEnv.map((s) => ({ name: s.env, valueFrom: { secretKeyRef: { name: s.secret, key: s.key } } })) } : {}),
          resources: { limits: { memory: c.memoryLimit }, requests: { cpu: c.cpuRequest, memory: c.memoryLimit } },
          ...(c.probes ? { readinessProbe: probe('/ready', 3), livenessProbe: probe('/healthz', 3) } : {}),
          ...(mounts.length ? { volumeMounts: mounts } : {}),
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      ...(volumes.length ? { volumes } : {}),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      ...(app.system ? { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'system', effect: 'NoSchedule' }] } : {}),
    },
  };
}

export function deploymentObject(app: AppSpec, uid: string, revision: number, at: number, rsName: string): Obj {
  const labels = { 'app.kubernetes.io/name': app.name, app: app.name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app.name, namespace: app.namespace, uid, generation: revision, creationTimestamp: ts(at - 30 * 86_400_000), labels, annotations: { 'deployment.kubernetes.io/revision': String(revision) } },
    spec: {
      replicas: app.replicas,
      selector: { matchLabels: { app: app.name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: podTemplate(app, { app: app.name }),
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: 10,
    },
    status: {
      observedGeneration: revision,
      replicas: app.replicas,
      updatedReplicas: app.replicas,
      readyReplicas: app.replicas,
      availableReplicas: app.replicas,
      conditions: [
        { type: 'Available', status: 'True', lastUpdateTime: ts(at - 86_400_000), lastTransitionTime: ts(at - 86_400_000), reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
        { type: 'Progressing', status: 'True', lastUpdateTime: ts(at - 86_400_000), lastTransitionTime: ts(at - 86_400_000), reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` },
      ],
    },
  };
}

export function replicaSetObject(app: AppSpec, name: string, uid: string, hash: string, revision: number, replicas: number, owner: { name: string; uid: string }, at: number, image?: string): Obj {
  const labels = { app: app.name, 'pod-template-hash': hash };
  const tmpl = podTemplate(app, labels);
  if (image) ((tmpl.spec as Obj).containers as Obj[])[0].image = image;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: app.namespace,
      uid,
      generation: 1,
      creationTimestamp: ts(at),
      labels,
      annotations: { 'deployment.kubernetes.io/desired-replicas': String(app.replicas), 'deployment.kubernetes.io/max-replicas': String(app.replicas + 1), 'deployment.kubernetes.io/revision': String(revision) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: { replicas, selector: { matchLabels: labels }, template: tmpl },
    status: { replicas, fullyLabeledReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: 1 },
  };
}

export function workloadObject(app: AppSpec, uid: string, at: number): Obj {
  const labels = { app: app.name };
  const base = {
    apiVersion: 'apps/v1',
    kind: app.kind,
    metadata: { name: app.name, namespace: app.namespace, uid, generation: 3, creationTimestamp: ts(at - 60 * 86_400_000), labels },
  };
  if (app.kind === 'StatefulSet') {
    return {
      ...base,
      spec: { replicas: app.replicas, selector: { matchLabels: labels }, serviceName: app.name, podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate' }, template: podTemplate({ ...app, container: { ...app.container, claim: undefined } }, labels), volumeClaimTemplates: app.container.claim ? [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } }, storageClassName: 'gp3' } }] : [] },
      status: { replicas: app.replicas, readyReplicas: app.replicas, currentReplicas: app.replicas, updatedReplicas: app.replicas, availableReplicas: app.replicas, observedGeneration: 3 },
    };
  }
  return {
    ...base,
    spec: { selector: { matchLabels: labels }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } }, template: podTemplate(app, labels) },
    status: { desiredNumberScheduled: app.replicas, currentNumberScheduled: app.replicas, numberReady: app.replicas, numberAvailable: app.replicas, updatedNumberScheduled: app.replicas, observedGeneration: 3 },
  };
}

export interface PodHandle {
  obj: Obj;
  app: AppSpec;
  node: string;
  ip: string;
  containerId: string;
  restarts: number;
}

export function podObject(app: AppSpec, name: string, uid: string, labels: Record<string, string>, owner: { kind: string; name: string; uid: string }, node: NodeInfo, ip: string, at: number, rng: Rng, image?: string): PodHandle {
  const tmpl = podTemplate(app, labels);
  const spec: Obj = { ...(tmpl.spec as Obj), nodeName: node.name, serviceAccountName: 'default' };
  const c = (spec.containers as Obj[])[0];
  if (image) c.image = image;
  const containerId = `containerd://${rng.hex(64)}`;
  const started = ts(at);
  (spec.volumes as Obj[] | undefined) ?? (spec.volumes = []);
  (spec.volumes as Obj[]).push({ name: `kube-api-access-${rng.suffix(5)}`, projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }] } });
  const obj: Obj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: app.namespace,
      uid,
      creationTimestamp: started,
      labels,
      ownerReferences: [{ apiVersion: owner.kind === 'Job' ? 'batch/v1' : 'apps/v1', kind: owner.kind, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec,
    status: {
      phase: 'Running',
      conditions: [
        { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: started },
        { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: started },
        { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: started },
        { type: 'ContainersReady', status: 'True', lastProbeTime: null, lastTransitionTime: started },
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: started },
      ],
      hostIP: node.ip,
      hostIPs: [{ ip: node.ip }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: started,
      qosClass: 'Burstable',
      containerStatuses: [
        {
          name: c.name,
          state: { running: { startedAt: started } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: c.image,
          imageID: `${String(c.image).split(':')[0]}@sha256:${rng.hex(64)}`,
          containerID: containerId,
          started: true,
        },
      ],
    },
  };
  return { obj, app, node: node.name, ip, containerId, restarts: 0 };
}

type Status = { phase: string; reason?: string; message?: string; conditions: Array<Record<string, unknown>>; containerStatuses: Array<Record<string, unknown>> };

function mutate(p: PodHandle, f: (s: Status, c: Record<string, unknown>) => void): Obj {
  p.obj = structuredClone(p.obj);
  const s = p.obj.status as Status;
  f(s, s.containerStatuses[0]);
  return p.obj;
}

function setCondition(s: Status, type: string, status: string, at: number, reason?: string, message?: string): void {
  for (const c of s.conditions) {
    if (c.type !== type) continue;
    if (c.status !== status) c.lastTransitionTime = ts(at);
    c.status = status;
    if (reason) c.reason = reason;
    else delete c.reason;
    if (message) c.message = message;
    else delete c.message;
  }
}

function notReady(s: Status, container: string, at: number): void {
  setCondition(s, 'Ready', 'False', at, 'ContainersNotReady', `containers with unready status: [${container}]`);
  setCondition(s, 'ContainersReady', 'False', at, 'ContainersNotReady', `containers with unready status: [${container}]`);
}

/** The container exited (`reason` OOMKilled / Error / Completed) at `at`, after running since `startedAt`. */
export function podTerminated(p: PodHandle, at: number, reason: string, exitCode: number, startedAt: number): Obj {
  return mutate(p, (s, c) => {
    c.state = { terminated: { exitCode, reason, startedAt: ts(startedAt), finishedAt: ts(at), containerID: p.containerId } };
    c.ready = false;
    c.started = false;
    notReady(s, c.name as string, at);
  });
}

/** Waiting in CrashLoopBackOff after a termination (the terminated state moves to lastState). */
export function podBackOff(p: PodHandle, at: number, backoffSeconds: number): Obj {
  const m = p.obj.metadata as { name: string; namespace: string; uid: string };
  return mutate(p, (s, c) => {
    if (c.state && (c.state as Obj).terminated) c.lastState = { terminated: (c.state as Obj).terminated };
    const human = backoffSeconds >= 60 ? `${Math.floor(backoffSeconds / 60)}m${backoffSeconds % 60}s` : `${backoffSeconds}s`;
    c.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${human} restarting failed container=${c.name} pod=${m.name}_${m.namespace}(${m.uid})` } };
    c.ready = false;
    c.started = false;
    notReady(s, c.name as string, at);
  });
}

/** Restarted: a new container runs (restartCount + 1), the previous termination stays in lastState. */
export function podRestarted(p: PodHandle, at: number, rng: Rng, ready = false): Obj {
  p.restarts++;
  p.containerId = `containerd://${rng.hex(64)}`;
  return mutate(p, (s, c) => {
    if (c.state && (c.state as Obj).terminated) c.lastState = { terminated: (c.state as Obj).terminated };
    c.state = { running: { startedAt: ts(at) } };
    c.restartCount = p.restarts;
    c.containerID = p.containerId;
    c.started = true;
    c.ready = ready;
    if (ready) {
      setCondition(s, 'Ready', 'True', at);
      setCondition(s, 'ContainersReady', 'True', at);
    }
  });
}

/** Running and ready again. */
export function podReady(p: PodHandle, at: number): Obj {
  return mutate(p, (s, c) => {
    c.ready = true;
    c.started = true;
    if (!(c.state as Obj).running) c.state = { running: { startedAt: ts(at) } };
    setCondition(s, 'Ready', 'True', at);
    setCondition(s, 'ContainersReady', 'True', at);
  });
}

/** Running but failing readiness. */
export function podUnready(p: PodHandle, at: number): Obj {
  return mutate(p, (s, c) => {
    c.ready = false;
    notReady(s, c.name as string, at);
  });
}

/** A new pod that cannot start its container: waiting with `reason` (ContainerCreating, CreateContainerConfigError, ImagePullBackOff, ErrImagePull). */
export function podWaiting(p: PodHandle, at: number, reason: string, message?: string): Obj {
  return mutate(p, (s, c) => {
    s.phase = 'Pending';
    delete (s as Record<string, unknown>).podIP;
    c.state = { waiting: { reason, ...(message ? { message } : {}) } };
    c.ready = false;
    c.started = false;
    delete c.containerID;
    delete c.imageID;
    notReady(s, c.name as string, at);
    if (reason === 'ContainerCreating') setCondition(s, 'PodReadyToStartContainers', 'False', at);
  });
}

/** Not scheduled: phase Pending, PodScheduled=False Unschedulable, no node, no container statuses. */
export function podUnschedulable(p: PodHandle, at: number, message: string): Obj {
  p.obj = structuredClone(p.obj);
  const spec = p.obj.spec as Obj;
  delete spec.nodeName;
  p.obj.status = {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: ts(at), reason: 'Unschedulable', message }],
    qosClass: 'Burstable',
  };
  return p.obj;
}

/** Evicted by the kubelet: phase Failed, reason Evicted, the container terminated. */
export function podEvicted(p: PodHandle, at: number, message: string): Obj {
  return mutate(p, (s, c) => {
    s.phase = 'Failed';
    s.reason = 'Evicted';
    s.message = message;
    c.state = { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', startedAt: ts(at - 3_600_000), finishedAt: ts(at) } };
    c.ready = false;
    c.started = false;
    setCondition(s, 'Ready', 'False', at, 'PodFailed');
    setCondition(s, 'ContainersReady', 'False', at, 'PodFailed');
    s.conditions.unshift({ type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: ts(at), reason: 'TerminationByKubelet', message: 'The node was low on resource: ephemeral-storage. ' });
  });
}

/** The node controller marked the pod not ready (its node stopped reporting). */
export function podNodeLost(p: PodHandle, at: number): Obj {
  return mutate(p, (s) => {
    setCondition(s, 'Ready', 'False', at);
    s.conditions.unshift({ type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: ts(at + 300_000), reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' });
  });
}

export function logSourceOf(p: PodHandle, nodeOf: (name: string) => NodeInfo | undefined): LogSource {
  const m = p.obj.metadata as { name: string; namespace: string; uid: string; labels: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string }> };
  const c = ((p.obj.spec as Obj).containers as Obj[])[0];
  const owner = m.ownerReferences?.[0];
  return {
    pod: m.name,
    namespace: m.namespace,
    podUid: m.uid,
    container: c.name as string,
    node: p.node,
    podIp: p.ip,
    image: c.image as string,
    containerId: p.containerId,
    labels: m.labels,
    owner: owner ? `${owner.kind}/${owner.name}` : '',
    restart: p.restarts,
  };
  void nodeOf;
}

export function serviceObject(app: AppSpec, uid: string, clusterIP: string, at: number): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: app.name, namespace: app.namespace, uid, creationTimestamp: ts(at - 60 * 86_400_000), labels: { app: app.name } },
    spec: {
      type: 'ClusterIP',
      clusterIP: app.headless ? 'None' : clusterIP,
      clusterIPs: [app.headless ? 'None' : clusterIP],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
      sessionAffinity: 'None',
      selector: { app: app.name },
      ports: [{ name: 'http', port: app.servicePort, protocol: 'TCP', targetPort: app.container.port }],
    },
    status: { loadBalancer: {} },
  };
}

export function pvcObject(namespace: string, name: string, uid: string, storageClass: string, at: number, bound: boolean, labels?: Record<string, string>): Obj {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      namespace,
      uid,
      creationTimestamp: ts(at),
      ...(labels ? { labels } : {}),
      annotations: bound
        ? { 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes', 'volume.beta.kubernetes.io/storage-provisioner': 'ebs.csi.aws.com', 'volume.kubernetes.io/storage-provisioner': 'ebs.csi.aws.com' }
        : { 'volume.beta.kubernetes.io/storage-provisioner': 'ebs.csi.aws.com', 'volume.kubernetes.io/storage-provisioner': 'ebs.csi.aws.com' },
      finalizers: ['kubernetes.io/pvc-protection'],
    },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } }, storageClassName: storageClass, volumeMode: 'Filesystem', ...(bound ? { volumeName: `pvc-${uid}` } : {}) },
    status: bound ? { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '20Gi' } } : { phase: 'Pending' },
  };
}

export function configMapObject(namespace: string, name: string, uid: string, data: Record<string, string>, at: number): Obj {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, uid, creationTimestamp: ts(at) }, data };
}

export function secretObject(namespace: string, name: string, uid: string, keys: string[], at: number): Obj {
  return { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace, uid, creationTimestamp: ts(at) }, data: Object.fromEntries(keys.map((k) => [k, Buffer.from(`${k.toLowerCase()}-value`).toString('base64')])) };
}

export function ingressObject(namespace: string, name: string, uid: string, host: string, service: string, port: number, at: number): Obj {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace, uid, creationTimestamp: ts(at), annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' } },
    spec: { ingressClassName: 'nginx', rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: port } } } }] } }], tls: [{ hosts: [host], secretName: `${name}-tls` }] },
    status: { loadBalancer: { ingress: [{ hostname: 'k8s-ingressn-ingressn-4f1c2d3e4a-0123456789.elb.eu-west-1.amazonaws.com' }] } },
  };
}

export function cronJobObject(namespace: string, name: string, uid: string, schedule: string, image: string, at: number): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace, uid, creationTimestamp: ts(at - 90 * 86_400_000) },
    spec: { schedule, concurrencyPolicy: 'Forbid', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, jobTemplate: { spec: { backoffLimit: 2, template: { spec: { restartPolicy: 'Never', containers: [{ name, image }] } } } } },
    status: { lastScheduleTime: ts(at) },
  };
}

export function jobObject(namespace: string, name: string, uid: string, cron: { name: string; uid: string }, image: string, at: number, backoffLimit: number): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace,
      uid,
      creationTimestamp: ts(at),
      labels: { 'batch.kubernetes.io/job-name': name, 'job-name': name, 'batch.kubernetes.io/controller-uid': uid, 'controller-uid': uid },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cron.name, uid: cron.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: { backoffLimit, completions: 1, parallelism: 1, completionMode: 'NonIndexed', suspend: false, template: { metadata: { labels: { 'job-name': name } }, spec: { restartPolicy: 'Never', containers: [{ name: cron.name, image }] } } },
    status: { startTime: ts(at), active: 1, terminating: 0, uncountedTerminatedPods: {}, ready: 0 },
  };
}
