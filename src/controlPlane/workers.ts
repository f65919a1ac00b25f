import { defer, from, map, Observable, tap } from 'rxjs';
import { deleteTopic, ensureTopics } from '../kafka/admin';
import { KafkaConnection } from '../kafka/kafkaConfig';
import { componentLogger } from '../log/logger';
import type { WorkerList } from '../http/clientsView';
import { ensureAll, removeAll, Spawner, WORKER_ROLES, WorkerInfo, WorkerRole } from '../spawner/spawner';
import type { ClientAuthAdmin } from '../tenancy/kafkaAuthAdmin';
import type { TenancySettings } from '../tenancy/tenancyConfig';
import { tenantTopicSpecs } from '../tenancy/tenantTopics';
import type { LifecycleEvent, WorkerRef } from '../../pipelines/lifecycle';
import { CONTROL_PLANE } from './lifecycleLog';

function toRef(w: WorkerInfo): WorkerRef {
  return { name: w.name, role: w.role, id: w.id, adopted: w.adopted };
}

/** A client's own topics as the control plane provisions and releases them. */
export interface TenantTopics {
  provision(client: string): Promise<void>;
  release(client: string): Promise<void>;
}

/**
 * The spawner as the lifecycle effects stage's cold dependencies: each worker logged and noted in the
 * /clients view. `roles`: what a client gets (WORKER_MODE=pooled: none, the three pools
 * serve every client); removal removes every role, so workers of an earlier per-client run go too.
 */
export function spawnerDeps(spawner: Spawner, workers: WorkerList, topics: TenantTopics, roles: readonly WorkerRole[] = WORKER_ROLES) {
  const act = (client: string, starting: string, work: () => Promise<WorkerInfo[]>, done: (w: WorkerInfo) => string): Observable<WorkerRef[]> =>
    defer(() => {
      const log = componentLogger(CONTROL_PLANE, client);
      log.info({ spawner: spawner.kind }, starting);
      return from(work()).pipe(
        tap((ws) =>
          ws.forEach((w) => {
            workers.note(w);
            log.info({ worker: w.name, role: w.role, id: w.id.slice(0, 12), adopted: w.adopted }, done(w));
          }),
        ),
        map((ws) => ws.map(toRef)),
      );
    });
  return {
    ensureWorkers: (client: string) =>
      act(client, 'spawning workers', async () => {
        await topics.provision(client);
        return ensureAll(spawner, client, roles);
      }, (w) => (w.adopted ? 'worker adopted' : 'worker spawned')),
    removeWorkers: (client: string, cause: LifecycleEvent) =>
      act(client, 'cleaning up workers', async () => {
        const removed = await removeAll(spawner, client);
        // Only a deregistration (tombstone) may drop the client's topics; a silent client keeps them.
        if (cause.kind === 'client/removed' && cause.reason.startsWith('deregistered')) await topics.release(client);
        return removed;
      }, () => 'worker removed'),
  };
}

/**
 * A client's own topics (TENANCY=routed): created before its workers start, so the router can route
 * to them and the workers find them; deleted at deregistration when TENANT_TOPICS_ON_REMOVE=delete.
 * In shared mode both do nothing.
 */
export function tenantTopics(connection: KafkaConnection, tenancy: TenancySettings, auth?: ClientAuthAdmin): TenantTopics {
  return {
    provision: async (client: string): Promise<void> => {
      if (tenancy.mode !== 'routed') return;
      const result = await ensureTopics(connection, componentLogger(CONTROL_PLANE, client), tenantTopicSpecs(client, tenancy));
      const created = Object.keys(result).filter((t) => result[t] === 'created');
      if (created.length > 0) componentLogger(CONTROL_PLANE, client).info({ topics: created }, 'client topics created');
      // KAFKA_AUTH=scram: the client's credential, ACLs and quotas, after its topics, before its workers.
      await auth?.provision(client);
    },
    release: async (client: string): Promise<void> => {
      await auth?.revoke(client);
      if (tenancy.mode !== 'routed' || tenancy.onRemove !== 'delete') return;
      for (const t of tenantTopicSpecs(client, tenancy)) await deleteTopic(connection, t.name).catch(() => undefined);
      componentLogger(CONTROL_PLANE, client).info({ topics: tenantTopicSpecs(client, tenancy).map((t) => t.name) }, 'client topics deleted');
    },
  };
}
