import type { NormalizedEvent } from '../src/avro/normalizedCodec';
/** The benchmarks' raw event: a 400-byte core/v1 BackOff Event as the kubelet sends it (unique uid per i). */
export function event(i: number): Buffer {
  const base = {
    metadata: { uid: `0f8e${(i + 0x10000000).toString(16)}-1c2d-4e5f-8a9b-${(i % 1e12).toString().padStart(12, '0')}`, namespace: 'shop' },
    involvedObject: { kind: 'Pod', namespace: 'shop', name: `api-${i % 500}`, fieldPath: 'spec.containers{api}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container api',
    type: 'Warning',
    lastTimestamp: '2024-06-10T12:00:00Z',
    count: 3,
    source: { component: 'kubelet', host: `node-${i % 7}` },
  };
  const json = JSON.stringify(base);
  base.message += ' '.repeat(Math.max(0, 400 - json.length));
  return Buffer.from(JSON.stringify(base));
}

/** The graph benchmarks' cluster: pods on 100 nodes behind 400 apps, and the event reasons they cycle through. */
export const GRAPH_CLUSTER = { nodes: 100, apps: 400 } as const;
const GRAPH_REASONS: Array<[string, 'Warning' | 'Normal']> = [['OOMKilled', 'Warning'], ['Pulled', 'Normal'], ['BackOff', 'Warning'], ['Started', 'Normal'], ['Unhealthy', 'Warning']];

/** The i-th normalized event of a benchmark run over `pods` pods: OOMKilled / Pulled / BackOff / Started / Unhealthy in turn, 25 ms apart. */
export function normalizedEvent(run: string, i: number, pods: number): NormalizedEvent {
  const { nodes, apps } = GRAPH_CLUSTER;
  const pod = i % pods;
  const [reason, type] = GRAPH_REASONS[Math.floor(i / pods) % GRAPH_REASONS.length];
  return {
    event_id: `${run}-${i}`, timestamp: 1_714_557_600_000 + i * 25, reason, message: `${reason} of pod ${pod}`, type, severity: type === 'Warning' ? 'warning' : 'info',
    event_type_abstract: reason.toLowerCase(), object_kind: 'Pod', object_namespace: 'perf', object_name: `app${pod % apps}-${pod}`, object_uid: null,
    pod: `app${pod % apps}-${pod}`, container: 'c', node: `node-${pod % nodes}`, count: 1, reporting_component: 'kubelet', source_format: 'core/v1',
  };
}
