import { filter, map, mergeMap, NEVER, Observable, of, share } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { LifecycleConfig, lifecycle$, LifecycleEvent, lifecycleEffects$, LifecycleStep, registrationToken, WorkerRef } from '../../../pipelines/lifecycle';
import { lifecycleSteps$ } from '../../../pipelines/lifecycle/lifecycle';
import { settled } from '../../../src/runner/settle';
import { config, hb, reg, record, tomb } from './lifecycleFixtures';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** A step that settles records, as `{input kind}:{events}:{records settled}`; steps settling nothing are left out. */
const settling = (s$: Observable<LifecycleStep>) => s$.pipe(filter((s) => s.settles.length > 0), map((s) => `${s.input.kind}:${s.events.length}:${s.settles.length}`));

/** An event as a short string, so marbles stay readable. */
function short(e: LifecycleEvent): string {
  return e.kind === 'client/rejected' ? `rejected:${e.client ?? '?'}` : `${e.kind.slice('client/'.length)}:${e.client}`;
}

type Calls = { spawn: string[]; remove: string[] };

/** Fake spawner deps: each call is a cold reply after 2 frames. */
function fakeDeps(cold: TestScheduler['createColdObservable'], calls: Calls) {
  const ref = (c: string): WorkerRef[] => [{ name: `kg-graph-builder-${c}`, role: 'graph-builder', id: '1', adopted: false }];
  return {
    ensureWorkers: (c: string): Observable<WorkerRef[]> => {
      calls.spawn.push(c);
      return cold('--(a|)', { a: ref(c) });
    },
    removeWorkers: (c: string): Observable<WorkerRef[]> => {
      calls.remove.push(c);
      return cold('--(a|)', { a: ref(c) });
    },
  };
}

describe('lifecycle$ + lifecycleEffects$ on virtual time', () => {
  it('registration → one spawn', () => {
    scheduler().run(({ hot, cold, expectObservable }) => {
      const calls: Calls = { spawn: [], remove: [] };
      const registry$ = hot('-----a', { a: reg('acme') });
      const heartbeat$ = hot('-----------b---------b---------b', { b: hb('acme') });
      const events$ = lifecycle$({ registry$, heartbeat$ }, { replayEnd: {} }, config);
      const effects$ = lifecycleEffects$(events$, fakeDeps(cold, calls)).pipe(map((e) => `${e.kind}:${e.client}`));
      expectObservable(effects$, '40ms !').toBe('7ms a', { a: 'workers/spawned:acme' });
    });
  });

  it('a duplicate registration spawns nothing more', () => {
    const calls: Calls = { spawn: [], remove: [] };
    scheduler().run(({ hot, cold, expectObservable }) => {
      const registry$ = hot('-----a---a----a', { a: reg('acme') });
      const events$ = lifecycle$({ registry$, heartbeat$: NEVER }, { replayEnd: {} }, config);
      const effects$ = lifecycleEffects$(events$, fakeDeps(cold, calls)).pipe(map((e) => `${e.kind}:${e.client}`));
      expectObservable(effects$, '30ms !').toBe('7ms a', { a: 'workers/spawned:acme' });
    });
    expect(calls.spawn).toEqual(['acme']);
  });

  it('heartbeats keep a client: no stale, no removal over many thresholds', () => {
    const calls: Calls = { spawn: [], remove: [] };
    scheduler().run(({ hot, cold, expectObservable }) => {
      const registry$ = hot('-a', { a: reg('acme') });
      const beats = '-' + '-------------------b'.repeat(10);
      const heartbeat$ = hot(beats, { b: hb('acme') });
      const events$ = lifecycle$({ registry$, heartbeat$ }, { replayEnd: {} }, config);
      expectObservable(events$.pipe(map(short), map((s) => s.split(':')[0])), '210ms !').toBe(
        '-r' + beats.slice(2).replace(/b/g, 'h'),
        { r: 'registered', h: 'heartbeat' },
      );
      // The same events drive the effects: one spawn, and nothing else in 210 ms.
      const effects$ = lifecycleEffects$(events$, fakeDeps(cold, calls)).pipe(map((e) => `${e.kind}:${e.client}`));
      expectObservable(effects$, '210ms !').toBe('---a', { a: 'workers/spawned:acme' });
    });
    expect(calls.spawn).toEqual(['acme']);
    expect(calls.remove).toEqual([]);
  });

  it('silence → stale at the first tick past the threshold, and the workers are removed', () => {
    const calls: Calls = { spawn: [], remove: [] };
    scheduler().run(({ hot, cold, expectObservable }) => {
      // registered at 5; ticks at 10, 20, 30 (silent 25 < 30), 40 (silent 35 ≥ 30) → stale at 40
      const registry$ = hot('-----a', { a: reg('acme') });
      const events$ = lifecycle$({ registry$, heartbeat$: NEVER }, { replayEnd: {} }, config);
      expectObservable(events$.pipe(map(short)), '60ms !').toBe('5ms r 34ms s', { r: 'registered:acme', s: 'stale:acme' });
      const effects$ = lifecycleEffects$(lifecycle$({ registry$, heartbeat$: NEVER }, { replayEnd: {} }, config), fakeDeps(cold, calls));
      expectObservable(effects$.pipe(map((e) => e.kind)), '60ms !').toBe('7ms a 34ms b', { a: 'workers/spawned', b: 'workers/removed' });
    });
    expect(calls.remove).toEqual(['acme']);
  });

  it('a client back during its quarantine returns when it ends; after it, at once', () => {
    scheduler().run(({ hot, expectObservable }) => {
      // stale at 40 (quarantine until 60); heartbeat at 45 → rejected (quarantined), 50 silent;
      // tick 60 → returned. Stale again at 100 (last seen 65); heartbeat at 125 (quarantine over) → returned at once.
      const registry$ = hot('-----a', { a: reg('acme') });
      const heartbeat$ = hot('45ms b 4ms b 14ms b 59ms b', { b: hb('acme') });
      const events$ = lifecycle$({ registry$, heartbeat$ }, { replayEnd: {} }, config).pipe(map(short));
      expectObservable(events$, '130ms !').toBe('5ms r 34ms s 4ms q 14ms t 4ms h 34ms s 24ms t', {
        r: 'registered:acme',
        s: 'stale:acme',
        q: 'rejected:acme',
        t: 'returned:acme',
        h: 'heartbeat:acme',
      });
    });
  });

  it('quarantine 0 lets a stale client return on its next registration', () => {
    const calls: Calls = { spawn: [], remove: [] };
    scheduler().run(({ hot, cold, expectObservable }) => {
      const registry$ = hot('-----a 49ms a', { a: reg('acme') });
      const events$ = lifecycle$({ registry$, heartbeat$: NEVER }, { replayEnd: {} }, { ...config, quarantineMs: 0 });
      const effects$ = lifecycleEffects$(events$, fakeDeps(cold, calls)).pipe(map((e) => e.kind));
      expectObservable(effects$, '70ms !').toBe('7ms a 34ms b 14ms a', { a: 'workers/spawned', b: 'workers/removed' });
    });
    expect(calls).toEqual({ spawn: ['acme', 'acme'], remove: ['acme'] });
  });

  it('a registry tombstone removes the client and its workers', () => {
    const calls: Calls = { spawn: [], remove: [] };
    scheduler().run(({ hot, cold, expectObservable }) => {
      const registry$ = hot('--a---t', { a: reg('acme'), t: tomb('acme') });
      const heartbeat$ = hot('---------b', { b: hb('acme') });
      const events$ = lifecycle$({ registry$, heartbeat$ }, { replayEnd: {} }, config);
      expectObservable(events$.pipe(map(short)), '20ms !').toBe('--r---x--q', { r: 'registered:acme', x: 'removed:acme', q: 'rejected:acme' });
      const effects$ = lifecycleEffects$(lifecycle$({ registry$, heartbeat$ }, { replayEnd: {} }, config), fakeDeps(cold, calls));
      expectObservable(effects$.pipe(map((e) => e.kind)), '20ms !').toBe('----a---b', { a: 'workers/spawned', b: 'workers/removed' });
    });
    expect(calls).toEqual({ spawn: ['acme'], remove: ['acme'] });
  });

  it.each([
    ['an invalid client id in the key', record('cluster.registry', 'Bad_Id', { client_id: 'Bad_Id' }), /invalid client id/],
    ['a malformed payload', record('cluster.registry', 'acme', '{not json'), /malformed payload: not JSON/],
    ['a payload without client_id', record('cluster.registry', 'acme', { cluster_name: 'x' }), /client_id is missing/],
    ['a key that differs from client_id', record('cluster.registry', 'acme', { client_id: 'other' }), /differs from the payload's client_id/],
    ['a heartbeat with a key mismatch', record('cluster.heartbeat', 'acme', { client_id: 'evil' }), /differs/],
  ])('%s → rejected with the reason, nothing spawned, record settled', (_name, rec, reason) => {
    const calls: Calls = { spawn: [], remove: [] };
    const seen: LifecycleEvent[] = [];
    scheduler().run(({ hot, cold, expectObservable }) => {
      const src$ = hot('--a', { a: rec });
      const isHb = rec.topic === 'cluster.heartbeat';
      // Settled as the runner settles (src/runner/settle.ts): by the step that reduced it, at 2.
      const steps$ = lifecycleSteps$({ registry$: isHb ? NEVER : src$, heartbeat$: isHb ? src$ : NEVER }, { replayEnd: {} }, config).pipe(settled(), share());
      expectObservable(settling(steps$), '50ms !').toBe('--s', { s: 'input/invalid:1:1' });
      const events$ = steps$.pipe(mergeMap((s) => s.events));
      const effects$ = lifecycleEffects$(events$.pipe(map((e) => (seen.push(e), e))), fakeDeps(cold, calls));
      expectObservable(effects$, '50ms !').toBe('');
    });
    expect(calls.spawn).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ kind: 'client/rejected' });
    expect((seen[0] as Extract<LifecycleEvent, { kind: 'client/rejected' }>).reason).toMatch(reason);
    // The settled step's record is this one (settled() acknowledged it).
    expect(rec.acked).toBe(true);
  });

  it('with a dead-letter writer: an invalid record goes to the DLQ with its reason and is settled only on its delivery', () => {
    const bad = record('cluster.heartbeat', 'acme', '{not json');
    const good = hb('acme');
    const dead: Array<{ offset: number; reason: string }> = [];
    const ackedAt: Record<string, boolean> = {};
    scheduler().run(({ hot, cold, expectObservable, flush }) => {
      const heartbeat$ = hot('--a-b', { a: bad, b: good });
      const deadLetter = (r: { offset: number }, reason: string) => {
        dead.push({ offset: r.offset, reason });
        return cold('----(d|)', { d: 'delivered' });
      };
      const steps$ = lifecycleSteps$({ registry$: NEVER, heartbeat$ }, { replayEnd: {}, deadLetter }, config).pipe(settled(), share());
      const events$ = steps$.pipe(mergeMap((s) => s.events), map(short));
      // The step is not held back by the DLQ write: rejected at 2, the next heartbeat reduced at 4.
      expectObservable(events$, '10ms !').toBe('--r-x', { r: 'rejected:?', x: 'rejected:acme' });
      // The good heartbeat is settled by its step at 4; the bad one by a step of its own (no events) at 6, on the DLQ delivery.
      expectObservable(settling(steps$), '10ms !').toBe('----g-d', { g: 'heartbeat/received:1:1', d: 'input/invalid:0:1' });
      hot('-----c').subscribe(() => (ackedAt.before = bad.acked));
      flush();
      ackedAt.after = bad.acked;
    });
    expect(dead).toEqual([{ offset: bad.offset, reason: expect.stringMatching(/^heartbeat: malformed payload: not JSON/) }]);
    expect(ackedAt).toEqual({ before: false, after: true });
    expect(good.acked).toBe(true);
  });

  it('a failed dead-letter write leaves the record unsettled, and the stream goes on', () => {
    const bad = record('cluster.heartbeat', 'acme', '{not json');
    scheduler().run(({ hot, cold, expectObservable }) => {
      const heartbeat$ = hot('--a', { a: bad });
      const steps$ = lifecycleSteps$({ registry$: NEVER, heartbeat$ }, { replayEnd: {}, deadLetter: () => cold('-#') }, config).pipe(settled(), share());
      expectObservable(steps$.pipe(mergeMap((s) => s.events), map(short)), '10ms !').toBe('--r', { r: 'rejected:?' });
      expectObservable(settling(steps$), '10ms !').toBe('');
    });
    expect(bad.acked).toBe(false);
  });

  it('an invalid registry record an earlier run already read (below processedBefore) is not dead-lettered again', () => {
    const old = record('cluster.registry', 'acme', '{old', { offset: 3 });
    const fresh = record('cluster.registry', 'acme', '{new', { offset: 7 });
    const dead: number[] = [];
    scheduler().run(({ hot, cold, expectObservable }) => {
      const registry$ = hot('-a-b', { a: old, b: fresh });
      const deadLetter = (r: { offset: number }) => (dead.push(r.offset), cold('(d|)', { d: 1 }));
      const steps$ = lifecycleSteps$({ registry$, heartbeat$: NEVER }, { replayEnd: { 0: 8 }, processedBefore: { 0: 5 }, deadLetter }, config).pipe(settled(), share());
      expectObservable(steps$.pipe(mergeMap((s) => s.events), map(short)), '10ms !').toBe('-r-r', { r: 'rejected:?' });
      // The old one is settled by its step at once; the fresh one by its dead-letter step (delivered at once, at 3).
      expectObservable(settling(steps$), '10ms !').toBe('-o-f', { o: 'input/invalid:1:1', f: 'input/invalid:0:1' });
    });
    expect(dead).toEqual([7]);
    expect(old.acked && fresh.acked).toBe(true);
  });

  it('replaying the registry at start spawns nothing for a client that stays silent, and removes its leftovers', () => {
    const calls: Calls = { spawn: [], remove: [] };
    scheduler().run(({ hot, cold, expectObservable }) => {
      // offsets 0..1 were there at start (replayEnd 2): 'gone' stays silent, 'alive' heartbeats at 4.
      const registry$ = hot('-(ab)', { a: reg('gone', {}, { offset: 0 }), b: reg('alive', {}, { offset: 1 }) });
      const heartbeat$ = hot('----h---------h---------h---------h', { h: hb('alive') });
      const events$ = lifecycle$({ registry$, heartbeat$, workersFound$: of(['gone', 'alive', 'orphan']) }, { replayEnd: { 0: 2 } }, config);
      const effects$ = lifecycleEffects$(events$.pipe(map((e) => e)), fakeDeps(cold, calls)).pipe(map((e) => `${e.kind}:${e.client}`));
      // orphan (unknown to the registry) is cleaned up once the replay is done (frame 1);
      // alive is adopted on its first heartbeat (4); gone goes stale at tick 40 (silent 39 since the replay).
      expectObservable(effects$, '50ms !').toBe('---o--a 35ms g', { o: 'workers/removed:orphan', a: 'workers/spawned:alive', g: 'workers/removed:gone' });
    });
    expect(calls.spawn).toEqual(['alive']);
    expect(calls.remove.sort()).toEqual(['gone', 'orphan']);
  });

  it('a replay whose end is never seen is done after replayTimeoutMs', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const registry$ = hot('-a', { a: reg('acme', {}, { offset: 0 }) });
      const cfg: LifecycleConfig = { ...config, replayTimeoutMs: 15, checkIntervalMs: 100, staleAfterMs: 1000 };
      const events$ = lifecycle$({ registry$, heartbeat$: NEVER, workersFound$: of(['orphan']) }, { replayEnd: { 0: 5 } }, cfg).pipe(map(short));
      expectObservable(events$, '30ms !').toBe('15ms x', { x: 'removed:orphan' });
    });
  });

  describe('registration security', () => {
    it('CLIENT_ALLOWLIST: others are rejected and their found workers never touched', () => {
      const calls: Calls = { spawn: [], remove: [] };
      scheduler().run(({ hot, cold, expectObservable }) => {
        const registry$ = hot('-a-b', { a: reg('stranger'), b: reg('acme') });
        const events$ = lifecycle$({ registry$, heartbeat$: NEVER, workersFound$: of(['foreign']) }, { replayEnd: {} }, { ...config, allowlist: ['acme'] });
        expectObservable(events$.pipe(map(short)), '9ms !').toBe('-x-r', { x: 'rejected:stranger', r: 'registered:acme' });
        // The same events drive the effects: acme is spawned; the stranger and the found worker are never touched.
        const effects$ = lifecycleEffects$(events$, fakeDeps(cold, calls)).pipe(map((e) => `${e.kind}:${e.client}`));
        expectObservable(effects$, '9ms !').toBe('-----a', { a: 'workers/spawned:acme' });
      });
      expect(calls.spawn).toEqual(['acme']);
      expect(calls.remove).toEqual([]);
    });

    it('REGISTRATION_SECRET: a missing or wrong token is rejected, the right HMAC accepted', () => {
      const secret = 's3cret';
      scheduler().run(({ hot, expectObservable }) => {
        const registry$ = hot('-abc', {
          a: reg('acme'),
          b: reg('acme', { token: registrationToken('wrong', 'acme') }),
          c: reg('acme', { token: registrationToken(secret, 'acme') }),
        });
        const events$ = lifecycle$({ registry$, heartbeat$: NEVER }, { replayEnd: {} }, { ...config, registrationSecret: secret });
        expectObservable(events$.pipe(map((e) => (e.kind === 'client/rejected' ? e.reason : e.kind))), '9ms !').toBe('-abc', {
          a: 'registration token missing (REGISTRATION_SECRET is set)',
          b: 'registration token does not match HMAC-SHA256(secret, client_id)',
          c: 'client/registered',
        });
      });
    });

    it('MAX_CLIENTS: the client over the limit is rejected and spawns nothing', () => {
      const calls: Calls = { spawn: [], remove: [] };
      scheduler().run(({ hot, cold, expectObservable }) => {
        const registry$ = hot('-abc', { a: reg('one'), b: reg('two'), c: reg('three') });
        const events$ = lifecycle$({ registry$, heartbeat$: NEVER }, { replayEnd: {} }, { ...config, maxClients: 2 });
        const effects$ = lifecycleEffects$(events$, fakeDeps(cold, calls)).pipe(map((e) => `${e.kind}:${e.client}`));
        expectObservable(effects$, '9ms !').toBe('---ab', { a: 'workers/spawned:one', b: 'workers/spawned:two' });
      });
      expect(calls.spawn).toEqual(['one', 'two']);
    });
  });

  describe('stream shape', () => {
    it('empty sources: caught up at once, and it completes with no event', () => {
      scheduler().run(({ cold, expectObservable }) => {
        const events$ = lifecycle$({ registry$: cold('|'), heartbeat$: cold('|') }, { replayEnd: {} }, config);
        expectObservable(events$).toBe('|');
      });
    });

    it('when intake ends (SIGTERM) the clock stops: it completes without judging anyone stale', () => {
      scheduler().run(({ cold, expectObservable }) => {
        // caught up at 1 by the records, replay timeout (1000) still pending; both topics end at 4.
        const registry$ = cold('-a--|', { a: reg('acme', {}, { offset: 0 }) });
        const heartbeat$ = cold<ReturnType<typeof hb>>('----|');
        const events$ = lifecycle$({ registry$, heartbeat$ }, { replayEnd: { 0: 1 } }, config).pipe(map(short));
        expectObservable(events$).toBe('----|');
      });
    });

    it('many clients: one spawn each, in parallel', () => {
      const calls: Calls = { spawn: [], remove: [] };
      scheduler().run(({ hot, cold, expectObservable }) => {
        const registry$ = hot('-(abc)', { a: reg('one'), b: reg('two'), c: reg('three') });
        const effects$ = lifecycleEffects$(lifecycle$({ registry$, heartbeat$: NEVER }, { replayEnd: {} }, config), fakeDeps(cold, calls)).pipe(map((e) => e.client));
        expectObservable(effects$, '9ms !').toBe('---(abc)', { a: 'one', b: 'two', c: 'three' });
      });
    });

    it('a source error ends lifecycle$ with that error', () => {
      scheduler().run(({ hot, expectObservable }) => {
        const registry$ = hot<ReturnType<typeof reg>>('--#', undefined, new Error('broker gone'));
        expectObservable(lifecycle$({ registry$, heartbeat$: NEVER }, { replayEnd: {} }, config)).toBe('--#', undefined, new Error('broker gone'));
      });
    });

    it('a failing spawner call is retried, then reported as workers/failed; the stream goes on', () => {
      scheduler().run(({ hot, cold, expectObservable }) => {
        const registry$ = hot('-a-------------------------b', { a: reg('one'), b: reg('two') });
        const deps = {
          ensureWorkers: (c: string) => (c === 'one' ? cold<WorkerRef[]>('#', undefined, new Error('engine down')) : cold('(a|)', { a: [] as WorkerRef[] })),
          removeWorkers: () => cold<WorkerRef[]>('(a|)', { a: [] }),
        };
        const effects$ = lifecycleEffects$(lifecycle$({ registry$, heartbeat$: NEVER }, { replayEnd: {} }, { ...config, staleAfterMs: 1000 }), deps, { retries: 2, retryDelayMs: 4 });
        // retries after 4 and 8 frames, then failed at 1 + 12
        expectObservable(effects$.pipe(map((e) => e.kind)), '40ms !').toBe('13ms f 13ms s', { f: 'workers/failed', s: 'workers/spawned' });
      });
    });

    it('unsubscribing reaches both sources', () => {
      scheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const registry$ = hot('-a----', { a: reg('acme') });
        const heartbeat$ = hot<ReturnType<typeof hb>>('------');
        expectObservable(lifecycle$({ registry$, heartbeat$ }, { replayEnd: {} }, config), '^--!').toBe('-r', { r: expect.objectContaining({ kind: 'client/registered' }) });
        expectSubscriptions(registry$.subscriptions).toBe('^--!');
        expectSubscriptions(heartbeat$.subscriptions).toBe('^--!');
      });
    });
  });
});
