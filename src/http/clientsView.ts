import type { LifecycleState } from '../../pipelines/lifecycle';
import type { Spawner, WorkerInfo } from '../spawner/spawner';

/**
 * The view model of GET /clients and GET /api/v1/clients: each client the control plane knows
 * (or has workers of) with its state, heartbeat and workers.
 */
export interface ClientView {
  client: string;
  state: string;
  lastHeartbeatAgeSeconds: number | null;
  /** The last heartbeat or registration, server receive time (ISO). */
  lastHeartbeatAt: string | null;
  sinceSeconds: number;
  /** When the client entered its state, server time (ISO). */
  stateSince: string | null;
  returns: number;
  info: Record<string, unknown>;
  workers: Array<Pick<WorkerInfo, 'name' | 'role' | 'state' | 'id' | 'startedAt' | 'restarts'>>;
}

export interface WorkerList {
  (): Promise<{ workers: WorkerInfo[]; asOf: number }>;
  /** What a spawn or removal just returned; it stands in the view until a list taken after it. */
  note(info: WorkerInfo): void;
}

/**
 * The workers for GET /clients: the spawner's list at most `maxAgeMs` old, and when a refresh takes
 * longer than `waitMs` (the engine busy creating containers) the previous one, so the endpoint stays
 * responsive. What spawns and removals returned since the list was taken is laid over it, so a
 * worker shows as running as soon as its start returned, not when the engine next answers a list.
 */
export function cachedWorkerList(spawner: Pick<Spawner, 'list'>, maxAgeMs = 200, waitMs = 300): WorkerList {
  let last: { workers: WorkerInfo[]; asOf: number } | undefined;
  let pending: Promise<{ workers: WorkerInfo[]; asOf: number }> | undefined;
  const noted = new Map<string, { info: WorkerInfo; at: number }>();
  const refresh = () => {
    if (!pending) {
      const asOf = Date.now();
      pending = spawner
        .list()
        .then((workers) => (last = { workers, asOf }))
        .finally(() => (pending = undefined));
    }
    return pending;
  };
  const overlay = (l: { workers: WorkerInfo[]; asOf: number }) => {
    for (const [name, n] of noted) if (n.at <= l.asOf) noted.delete(name);
    if (noted.size === 0) return l;
    const byName = new Map(l.workers.map((w) => [w.name, w]));
    for (const [name, n] of noted) {
      if (n.info.state === 'removed') byName.delete(name);
      else byName.set(name, n.info);
    }
    return { workers: [...byName.values()], asOf: l.asOf };
  };
  const get = async () => {
    if (last && Date.now() - last.asOf <= maxAgeMs) return overlay(last);
    const fresh = refresh();
    if (!last) return overlay(await fresh);
    const stale = last;
    return overlay(await Promise.race([fresh, new Promise<typeof stale>((r) => setTimeout(() => r(stale), waitMs).unref())]));
  };
  return Object.assign(get, { note: (info: WorkerInfo) => void noted.set(info.name, { info, at: Date.now() }) });
}

export async function clientsView(
  state: LifecycleState,
  list: () => Promise<{ workers: WorkerInfo[]; asOf: number }>,
  kind: string,
  now: number,
): Promise<{ spawner: string; workersAsOf: string; clients: ClientView[]; rejected: Record<string, number> }> {
  const { workers, asOf } = await list();
  const byClient = new Map<string, WorkerInfo[]>();
  for (const w of workers) byClient.set(w.client, [...(byClient.get(w.client) ?? []), w]);
  const ids = new Set([...Object.keys(state.clients), ...byClient.keys()]);
  const clients = [...ids].sort().map((id): ClientView => {
    const rec = state.clients[id];
    return {
      client: id,
      state: rec?.status ?? 'unknown',
      lastHeartbeatAgeSeconds: rec?.lastSeen != null ? Math.round((now - rec.lastSeen) / 100) / 10 : null,
      lastHeartbeatAt: rec?.lastSeen != null ? new Date(rec.lastSeen).toISOString() : null,
      sinceSeconds: rec ? Math.round((now - rec.since) / 1000) : 0,
      stateSince: rec ? new Date(rec.since).toISOString() : null,
      returns: rec?.returns ?? 0,
      info: rec?.info ?? {},
      workers: (byClient.get(id) ?? []).map((w) => ({ name: w.name, role: w.role, state: w.state, id: w.id, startedAt: w.startedAt, restarts: w.restarts })),
    };
  });
  return { spawner: kind, workersAsOf: new Date(asOf).toISOString(), clients, rejected: { ...state.rejected } };
}

export type ClientsView = Awaited<ReturnType<typeof clientsView>>;
