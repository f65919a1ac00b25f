import { initialLifecycleState, LifecycleInput, LifecyclePolicy, LifecycleState, reduceLifecycle, registrationToken } from '../../../pipelines/lifecycle';

/** The reducer with plain values: a state and an input in, a state and events out. Times in ms. */
const policy: LifecyclePolicy = { staleAfterMs: 30_000, quarantineMs: 20_000, allowlist: [], registrationSecret: undefined, maxClients: 0 };
const info = { cluster_name: 'acme-prod', k8s_version: 'v1.30.2' };
const registration = (client: string, at: number, over: Partial<Extract<LifecycleInput, { kind: 'registry/registration' }>> = {}): LifecycleInput => ({ kind: 'registry/registration', client, info, token: undefined, replay: false, at, ...over });
const heartbeat = (client: string, at: number): LifecycleInput => ({ kind: 'heartbeat/received', client, at });
const tick = (at: number): LifecycleInput => ({ kind: 'clock/tick', at });

/** Folds inputs from the initial state; the last state and every event. */
function fold(inputs: LifecycleInput[], p: LifecyclePolicy = policy, from: LifecycleState = initialLifecycleState) {
  let state = from;
  const events = [];
  for (const i of inputs) {
    const r = reduceLifecycle(state, i, p);
    state = r.state;
    events.push(...r.events);
  }
  return { state, events };
}

describe('reduceLifecycle', () => {
  it('a registration makes a live client and says so', () => {
    expect(reduceLifecycle(initialLifecycleState, registration('acme', 1000), policy)).toEqual({
      state: {
        ...initialLifecycleState,
        clients: { acme: { client: 'acme', status: 'live', info, lastSeen: 1000, since: 1000, quarantinedUntil: null, quarantineReported: false, returns: 0 } },
      },
      events: [{ kind: 'client/registered', client: 'acme', at: 1000, info, resumed: false }],
    });
  });

  it('does not change the state it is given', () => {
    const before = fold([registration('acme', 1000)]).state;
    const copy = JSON.parse(JSON.stringify(before));
    reduceLifecycle(before, tick(100_000), policy);
    expect(before).toEqual(copy);
  });

  it('heartbeats keep a client live; silence for staleAfterMs makes it stale at the next tick', () => {
    const { state, events } = fold([registration('acme', 0), heartbeat('acme', 20_000), tick(40_000), tick(50_000)]);
    expect(events.map((e) => e.kind)).toEqual(['client/registered', 'client/heartbeat', 'client/stale']);
    expect(events[2]).toEqual({ kind: 'client/stale', client: 'acme', at: 50_000, lastSeen: 20_000, silentForMs: 30_000 });
    expect(state.clients.acme).toMatchObject({ status: 'stale', since: 50_000, quarantinedUntil: 70_000 });
  });

  it('a stale client heard during its quarantine is rejected once, and returns at the first tick after it', () => {
    const stale = fold([registration('acme', 0), tick(30_000)]).state;
    const { state, events } = fold([heartbeat('acme', 35_000), heartbeat('acme', 40_000), tick(45_000), heartbeat('acme', 48_000), tick(50_000)], policy, stale);
    expect(events).toEqual([
      { kind: 'client/rejected', client: 'acme', at: 35_000, source: 'heartbeat', reason: 'client acme is quarantined for 15 s more after going stale; it returns then if still alive' },
      { kind: 'client/returned', client: 'acme', at: 50_000, awayMs: 20_000 },
    ]);
    expect(state.clients.acme).toMatchObject({ status: 'live', returns: 1, quarantinedUntil: null });
    expect(state.rejected).toEqual({ quarantine: 1 });
  });

  it('a tombstone removes a client; its heartbeats are then rejected until it registers again', () => {
    const { state, events } = fold([
      registration('acme', 0),
      { kind: 'registry/tombstone', client: 'acme', replay: false, at: 1000 },
      heartbeat('acme', 2000),
    ]);
    expect(events.slice(1)).toEqual([
      { kind: 'client/removed', client: 'acme', at: 1000, reason: 'deregistered (registry tombstone)' },
      { kind: 'client/rejected', client: 'acme', at: 2000, source: 'heartbeat', reason: 'client acme was deregistered; it must register again' },
    ]);
    expect(state.clients.acme.status).toBe('removed');
  });

  it('replayed registrations spawn nothing until a heartbeat; silent ones go stale once caught up', () => {
    const { state, events } = fold([
      registration('acme', 0, { replay: true }),
      registration('beta', 0, { replay: true }),
      { kind: 'registry/caught-up', at: 100 },
      heartbeat('acme', 5000),
      tick(30_000),
    ]);
    expect(events).toEqual([
      { kind: 'client/registered', client: 'acme', at: 5000, info, resumed: true },
      { kind: 'client/stale', client: 'beta', at: 30_000, lastSeen: null, silentForMs: 30_000 },
    ]);
    expect(state.caughtUp).toBe(true);
  });

  it('workers found at start whose client the registry does not know are removed, once caught up', () => {
    const { events } = fold([{ kind: 'workers/found', clients: ['ghost', 'acme'], at: 10 }, registration('acme', 20, { replay: true }), { kind: 'registry/caught-up', at: 30 }]);
    expect(events).toEqual([{ kind: 'client/removed', client: 'ghost', at: 30, reason: 'workers of a client unknown to the registry' }]);
  });

  it('enforces the allowlist, the registration secret and MAX_CLIENTS, counting rejections by category', () => {
    const strict: LifecyclePolicy = { ...policy, allowlist: ['acme', 'beta'], registrationSecret: 's3cret', maxClients: 1 };
    const { state, events } = fold(
      [
        registration('stranger', 1, { token: registrationToken('s3cret', 'stranger') }),
        registration('acme', 2),
        registration('acme', 3, { token: registrationToken('wrong', 'acme') }),
        registration('acme', 4, { token: registrationToken('s3cret', 'acme') }),
        registration('beta', 5, { token: registrationToken('s3cret', 'beta') }),
      ],
      strict,
    );
    expect(events.map((e) => (e.kind === 'client/rejected' ? `${e.client}: ${e.reason}` : `${e.kind} ${e.client}`))).toEqual([
      'stranger: client stranger is not in CLIENT_ALLOWLIST',
      'acme: registration token missing (REGISTRATION_SECRET is set)',
      'acme: registration token does not match HMAC-SHA256(secret, client_id)',
      'client/registered acme',
      'beta: MAX_CLIENTS (1) live clients reached',
    ]);
    expect(state.rejected).toEqual({ allowlist: 1, token: 2, 'max-clients': 1 });
    expect(Object.keys(state.clients)).toEqual(['acme']);
  });

  it('an invalid input is counted and reported, the clients untouched', () => {
    const r = reduceLifecycle(initialLifecycleState, { kind: 'input/invalid', source: 'heartbeat', key: 'Bad', reason: 'invalid client id', at: 7 }, policy);
    expect(r).toEqual({
      state: { ...initialLifecycleState, rejected: { invalid: 1 } },
      events: [{ kind: 'client/rejected', client: null, at: 7, source: 'heartbeat', reason: 'invalid client id' }],
    });
  });
});
