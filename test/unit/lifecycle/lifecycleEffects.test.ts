import { TestScheduler } from 'rxjs/testing';
import { defer } from 'rxjs';
import { lifecycleEffects$, LifecycleEffect } from '../../../pipelines/lifecycle/lifecycleEffects';
import { defaultMaxClients, loadLifecycleConfig } from '../../../pipelines/lifecycle/lifecycleConfig';
import { LifecycleEvent } from '../../../pipelines/lifecycle/lifecycleTypes';

const reg = (client: string, at: number): LifecycleEvent => ({ kind: 'client/registered', client, at, info: {}, resumed: false });
const stale = (client: string, at: number): LifecycleEvent => ({ kind: 'client/stale', client, at, lastSeen: 0, silentForMs: 1 });

describe('lifecycleEffects$: spawns queue behind SPAWN_CONCURRENCY', () => {
  it('with concurrency 1 the second client waits for the first spawn to finish', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    const started: Array<[string, number]> = [];
    ts.run(({ hot, cold, expectObservable }) => {
      const events$ = hot('a-b---------c', { a: reg('c1', 0), b: reg('c2', 2), c: stale('c9', 12) });
      const out$ = lifecycleEffects$(
        events$,
        {
          ensureWorkers: (client) =>
            defer(() => {
              started.push([client, ts.now()]);
              return cold('-----(w|)', { w: [] });
            }),
          removeWorkers: () => cold('(w|)', { w: [] }),
        },
        { spawnConcurrency: 1 },
        ts,
      );
      expectObservable(out$).toBe('-----x----y-z', {
        x: { kind: 'workers/spawned', client: 'c1', cause: 'client/registered', workers: [], ms: 5 },
        // c2 registered at 2 and waited its turn until c1's spawn ended at 5.
        y: { kind: 'workers/spawned', client: 'c2', cause: 'client/registered', workers: [], ms: 8 },
        z: { kind: 'workers/removed', client: 'c9', cause: 'client/stale', workers: [], ms: 0 },
      });
    });
    ts.flush();
    // ...and its spawner call began only then.
    expect(started).toEqual([['c1', 0], ['c2', 5]]);
  });
});

describe('MAX_CLIENTS default', () => {
  it('is sized to half the memory at three workers per client, at least 1, and 0 still means no limit', () => {
    expect(defaultMaxClients(24 * 1024 ** 3)).toBe(27);
    expect(defaultMaxClients(512 * 1024 ** 2)).toBe(1);
    expect(loadLifecycleConfig({}, 24 * 1024 ** 3).maxClients).toBe(27);
    expect(loadLifecycleConfig({ MAX_CLIENTS: '0' }, 24 * 1024 ** 3).maxClients).toBe(0);
    expect(loadLifecycleConfig({ SPAWN_CONCURRENCY: '2' }).spawnConcurrency).toBe(2);
    expect(() => loadLifecycleConfig({ SPAWN_CONCURRENCY: '0' })).toThrow(/SPAWN_CONCURRENCY: must be at least 1/);
  });
});
