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
