import type { NormalizedLog } from '../avro/normalizedCodec';
import { ipv6Canonical, parsePeer } from '../domain/peers';
import { errorLogEvent, isClassifiedErrorLog } from './eventRows';
import { ResourceRow } from './k8sObject';

/**
 * CALLS edges inferred from logs (issue 14 item 2): a pod whose error line names a peer
 * (src/domain/peers.ts) calls the Service that peer resolves to. Resolution goes through
 * `Peer` keys, so it does not matter whether the log or the Service arrived first:
 * - a log names keys: `svc:{namespace}/{name}` for a Service DNS name, `ip:{address}` for an IP;
 * - a Service is known under keys: `svc:{namespace}/{name}` and `ip:{clusterIP}` per cluster IP;
 * - a pod that named a key a Service is known under CALLS it (cypher.ts inferredCallWrites /
 *   servicePeerWrites materialise the edge from whichever side arrives second).
 * Forms of a DNS name, in the caller's namespace unless it says another:
 *
 * | form                                   | example                                    | confidence |
 * |----------------------------------------|--------------------------------------------|------------|
 * | `name.ns.svc[.cluster-domain]`         | payments.shop.svc.cluster.local            | 0.95       |
 * | `pod.name.ns.svc[.cluster-domain]`     | postgres-0.postgres.data.svc.cluster.local (headless) | 0.95 |
 * | ClusterIP                              | 10.96.12.7 (only a Service's cluster IP matches) | 0.9  |
 * | `name.ns`                              | orders.shop                                | 0.8        |
 * | `name`                                 | redis-master (the caller's namespace)      | 0.7        |
 * Any other name (three labels or more without `svc`: `api.stripe.com`) is outside the cluster.
 */
export interface PeerKey {
  key: string;
  confidence: number;
  form: 'fqdn' | 'cluster-ip' | 'name.ns' | 'name';
}

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * The Service key a peer (`host:port` or `host`) names for a caller in `callerNamespace`, or null
 * (outside the cluster, loopback, or a bare name with no namespace to put it in).
 *
 * @example peerKey('payments.shop.svc.cluster.local:8080', 'web') // { key: 'svc:shop/payments', confidence: 0.95, form: 'fqdn' }
 *          peerKey('redis-master', 'shop')                         // { key: 'svc:shop/redis-master', confidence: 0.7, form: 'name' }
 *          peerKey('10.96.12.7:5432', 'shop')                      // { key: 'ip:10.96.12.7', confidence: 0.9, form: 'cluster-ip' }
 */
export function peerKey(peer: string, callerNamespace: string | null): PeerKey | null {
  const p = parsePeer(peer);
  if (!p) return null;
  const ip = IPV4.exec(p.host);
  if (ip) return ip.slice(1).every((o) => Number(o) <= 255) && ip[1] !== '127' && p.host !== '0.0.0.0' ? { key: `ip:${p.host}`, confidence: 0.9, form: 'cluster-ip' } : null;
  if (p.host.startsWith('[')) {
    // IPv6 (a dual-stack or IPv6 cluster's Service address); loopback and unspecified name nothing.
    const v6 = ipv6Canonical(p.host);
    return v6 && v6 !== '::1' && v6 !== '::' ? { key: `ip:${v6}`, confidence: 0.9, form: 'cluster-ip' } : null;
  }
  const labels = p.host.split('.');
  if (!labels.every((l) => LABEL.test(l))) return null;
  const svc = labels.indexOf('svc');
  if (svc >= 2) return { key: `svc:${labels[svc - 1]}/${labels[svc - 2]}`, confidence: 0.95, form: 'fqdn' };
  if (svc === -1 && labels.length === 2) return { key: `svc:${labels[1]}/${labels[0]}`, confidence: 0.8, form: 'name.ns' };
  if (labels.length === 1 && callerNamespace && LABEL.test(callerNamespace) && !/^\d+$/.test(labels[0]) && labels[0] !== 'localhost') {
    return { key: `svc:${callerNamespace}/${labels[0]}`, confidence: 0.7, form: 'name' };
  }
  return null;
}

/** What a log line says about a call: its pod (`rid`) named `key` in the aggregated Event `eid`. */
export interface InferredCallRow {
  rid: string;
  key: string;
  /** The peer as the line printed it (first seen). */
  peer: string;
  confidence: number;
  form: PeerKey['form'];
  /** The log Event that is the evidence (aggregateErrorLogs' id) and its template. */
  eid: string;
  template: string;
  error_class: string;
  first: number;
  last: number;
  count: number;
}

/**
 * The call rows of a batch of normalized logs: per (pod, key), the first evidence event, the first
 * and last time and the number of lines. Lines without a pod (node logs) name no caller.
 *
 * @example inferredCallRows([{ ...log, pod: 'web-1', namespace: 'web', peers: ['orders.shop:8080'] }], 60_000)
 *          // [{ rid: 'Pod/web/web-1', key: 'svc:shop/orders', form: 'name.ns', eid: 'log:…', count: 1, ... }]
 */
export function inferredCallRows(logs: readonly NormalizedLog[], windowMs: number): InferredCallRow[] {
  const out = new Map<string, InferredCallRow>();
  for (const l of logs) {
    if (!isClassifiedErrorLog(l) || !l.pod || !l.peers || l.peers.length === 0) continue;
    const { ref, eid } = errorLogEvent(l, windowMs);
    if (!ref || ref.kind !== 'Pod') continue;
    const keys = new Map<string, { k: PeerKey; peer: string }>();
    for (const peer of l.peers) {
      const k = peerKey(peer, l.namespace);
      if (k && !keys.has(k.key)) keys.set(k.key, { k, peer });
    }
    for (const { k, peer } of keys.values()) {
      const id = `${ref.rid}\u0000${k.key}`;
      const seen = out.get(id);
      if (seen) {
        seen.count++;
        if (l.timestamp < seen.first) Object.assign(seen, { first: l.timestamp, eid, template: l.template, peer });
        seen.last = Math.max(seen.last, l.timestamp);
        continue;
      }
      out.set(id, { rid: ref.rid, key: k.key, peer, confidence: k.confidence, form: k.form, eid, template: l.template, error_class: l.error_class as string, first: l.timestamp, last: l.timestamp, count: 1 });
    }
  }
  return [...out.values()].sort((x, y) => (x.rid < y.rid ? -1 : x.rid > y.rid ? 1 : x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

/**
 * The keys a Service is known under: its DNS name and each cluster IP (a headless Service has
 * none). Other kinds: none.
 *
 * @example servicePeerKeys({ kind: 'Service', namespace: 'shop', name: 'orders', clusterIPs: ['10.96.4.2'], ... }) // ['svc:shop/orders', 'ip:10.96.4.2']
 */
export function servicePeerKeys(r: Pick<ResourceRow, 'kind' | 'namespace' | 'name' | 'clusterIPs'>): string[] {
  if (r.kind !== 'Service') return [];
  const ips = (r.clusterIPs ?? []).map((ip) => (IPV4.test(ip) ? ip : ipv6Canonical(ip))).filter((ip): ip is string => ip !== null);
  return [`svc:${r.namespace}/${r.name}`, ...ips.map((ip) => `ip:${ip}`)];
}
