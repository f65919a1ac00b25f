import { KafkaRecord } from '../../../src/kafka/record';
import { LifecycleConfig } from '../../../pipelines/lifecycle';

/** Frames are ms of virtual time: ticks every 10, stale after 30 silent, quarantine 20. */
export const config: LifecycleConfig = {
  checkIntervalMs: 10,
  staleAfterMs: 30,
  quarantineMs: 20,
  allowlist: [],
  registrationSecret: undefined,
  maxClients: 0,
  spawnConcurrency: 4,
  replayTimeoutMs: 1000,
};

let offset = 0;

export function record(topic: string, key: string | null, value: unknown, at: { partition?: number; offset?: number } = {}): KafkaRecord & { ack: () => void; acked: boolean } {
  const rec = {
    topic,
    partition: at.partition ?? 0,
    offset: at.offset ?? 1000 + offset++,
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    headers: {},
    timestamp: 0,
    acked: false,
    ack() {
      rec.acked = true;
    },
  };
  return rec;
}

export const reg = (client: string, extra: Record<string, unknown> = {}, at?: { offset?: number }) =>
  record('cluster.registry', client, { client_id: client, cluster_name: `${client}-cluster`, ...extra }, at);
export const tomb = (client: string, at?: { offset?: number }) => record('cluster.registry', client, null, at);
export const hb = (client: string) => record('cluster.heartbeat', client, { client_id: client, timestamp: 1 });
