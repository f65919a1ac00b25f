import { lastValueFrom } from 'rxjs';
import { spawnerDeps } from '../../../src/controlPlane/workers';
import { perClientRoles } from '../../../src/tenancy/workerMode';
import { POOLED_ROLES, Spawner, WORKER_ROLES, WorkerInfo, WorkerRole } from '../../../src/spawner/spawner';

/** A spawner that records what it was asked (the process, docker and kubernetes spawners are tested on their own). */
function recordingSpawner() {
  const calls: string[] = [];
  const info = (client: string, role: WorkerRole): WorkerInfo => ({ name: `kg-${role}-${client}`, client, role, id: `${role}-${client}`, state: 'running', startedAt: 0, adopted: false, restarts: 0 });
  const spawner: Spawner = {
    kind: 'process',
    ensure: async (client, role) => (calls.push(`ensure ${role} ${client}`), info(client, role)),
    remove: async (client, role) => (calls.push(`remove ${role} ${client}`), role === 'graph-builder' ? info(client, role) : null),
    list: async () => [],
    close: async () => undefined,
  };
  return { spawner, calls };
}

describe('control plane with WORKER_MODE=pooled', () => {
  const workers = Object.assign(async () => ({ workers: [], asOf: 0 }), { note: () => undefined });

  it("a registration provisions the client's topics and spawns nothing (the three pools serve every client)", async () => {
    const { spawner, calls } = recordingSpawner();
    const topics = { provision: async (c: string) => void calls.push(`provision ${c}`), release: async (c: string) => void calls.push(`release ${c}`) };
    const deps = spawnerDeps(spawner, workers, topics, perClientRoles('pooled', WORKER_ROLES, POOLED_ROLES));
    const refs = await lastValueFrom(deps.ensureWorkers('acme'));
    expect(calls).toEqual(['provision acme']);
    expect(refs).toEqual([]);
  });

  it('a deregistration removes every role (leftovers of a per-client run too) and releases the topics', async () => {
    const { spawner, calls } = recordingSpawner();
    const topics = { provision: async () => undefined, release: async (c: string) => void calls.push(`release ${c}`) };
    const deps = spawnerDeps(spawner, workers, topics, ['graph-builder']);
    const refs = await lastValueFrom(deps.removeWorkers('acme', { kind: 'client/removed', client: 'acme', at: 0, reason: 'deregistered (tombstone)' }));
    expect(calls).toEqual(['remove event-normalizer acme', 'remove log-normalizer acme', 'remove graph-builder acme', 'release acme']);
    expect(refs.map((r) => r.role)).toEqual(['graph-builder']);
  });

  it('per-client mode spawns the three roles', async () => {
    const { spawner, calls } = recordingSpawner();
    const deps = spawnerDeps(spawner, workers, { provision: async () => undefined, release: async () => undefined }, perClientRoles('per-client', WORKER_ROLES, POOLED_ROLES));
    await lastValueFrom(deps.ensureWorkers('acme'));
    expect(calls).toEqual(['ensure event-normalizer acme', 'ensure log-normalizer acme', 'ensure graph-builder acme']);
  });
});
