import { tokenMatches } from './registrationToken';
import {
  ClientRecord,
  LifecycleEvent,
  LifecycleInput,
  LifecyclePolicy,
  LifecycleState,
  RegistrationInfo,
} from './lifecycleTypes';

export interface Reduced {
  state: LifecycleState;
  events: LifecycleEvent[];
}

/**
 * The control plane's state machine: pure, no I/O, no clock (times come in the inputs).
 * pending → live on the first heartbeat after a replay; live → stale on a tick past the
 * threshold; stale/removed → live (returned) after the quarantine; a tombstone removes.
 *
 * @example
 *   reduceLifecycle(initialLifecycleState, { kind: 'registry/registration', client: 'acme', ... }, policy)
 *   // → { state: { clients: { acme: { status: 'live', ... } } }, events: [{ kind: 'client/registered', ... }] }
 */
export function reduceLifecycle(state: LifecycleState, input: LifecycleInput, policy: LifecyclePolicy): Reduced {
  switch (input.kind) {
    case 'registry/registration':
      return onRegistration(state, input, policy);
    case 'registry/tombstone':
      return onTombstone(state, input.client, input.at, input.replay, policy);
    case 'heartbeat/received':
      return onHeartbeat(state, input.client, input.at, policy);
    case 'input/invalid':
      return reject(state, { client: null, at: input.at, source: input.source, reason: input.reason }, 'invalid');
    case 'clock/tick':
      return onTick(state, input.at, policy);
    case 'registry/caught-up':
      return reconcile({ ...state, caughtUp: true }, input.at, policy);
    case 'workers/found':
      return reconcile({ ...state, found: [...new Set([...(state.found ?? []), ...input.clients])] }, input.at, policy);
  }
}

type RejectFields = Omit<Extract<LifecycleEvent, { kind: 'client/rejected' }>, 'kind'>;

function reject(state: LifecycleState, e: RejectFields, category: string, extra?: Partial<LifecycleState>): Reduced {
  return {
    state: { ...state, ...extra, rejected: { ...state.rejected, [category]: (state.rejected[category] ?? 0) + 1 } },
    events: [{ kind: 'client/rejected', ...e }],
  };
}

function put(state: LifecycleState, rec: ClientRecord): LifecycleState {
  return { ...state, clients: { ...state.clients, [rec.client]: rec } };
}

function liveCount(state: LifecycleState): number {
  return Object.values(state.clients).filter((c) => c.status === 'live').length;
}

/** Allowlist first: an id that is not ours is never acted on, whatever it sends. */
function notAllowed(client: string, policy: LifecyclePolicy): string | undefined {
  if (policy.allowlist.length > 0 && !policy.allowlist.includes(client)) return `client ${client} is not in CLIENT_ALLOWLIST`;
  return undefined;
}

function overCapacity(state: LifecycleState, policy: LifecyclePolicy): string | undefined {
  if (policy.maxClients > 0 && liveCount(state) >= policy.maxClients) return `MAX_CLIENTS (${policy.maxClients}) live clients reached`;
  return undefined;
}

function onRegistration(
  state: LifecycleState,
  input: Extract<LifecycleInput, { kind: 'registry/registration' }>,
  policy: LifecyclePolicy,
): Reduced {
  const { client, at, info } = input;
  const base = { client, at, source: 'registry' as const };
  const denied = notAllowed(client, policy);
  if (denied) return reject(state, { ...base, reason: denied }, 'allowlist');
  if (policy.registrationSecret !== undefined && !tokenMatches(policy.registrationSecret, client, input.token)) {
    const reason = input.token === undefined ? 'registration token missing (REGISTRATION_SECRET is set)' : 'registration token does not match HMAC-SHA256(secret, client_id)';
    return reject(state, { ...base, reason }, 'token');
  }
  const existing = state.clients[client];
  if (input.replay) {
    // Replayed at start: known, but nothing is spawned until a heartbeat says it is alive.
    if (existing && existing.status === 'live') return { state: put(state, { ...existing, info }), events: [] };
    return { state: put(state, fresh(client, 'pending', info, null, at)), events: [] };
  }
  if (!existing || existing.status === 'pending') {
    const full = overCapacity(state, policy);
    if (full) return reject(state, { ...base, reason: full }, 'max-clients');
    return {
      state: put(state, { ...fresh(client, 'live', info, at, at), returns: existing?.returns ?? 0 }),
      events: [{ kind: 'client/registered', client, at, info, resumed: false }],
    };
  }
  if (existing.status === 'live') {
    return { state: put(state, { ...existing, info, lastSeen: at }), events: [{ kind: 'client/heartbeat', client, at, source: 'registration' }] };
  }
  return comeBack(state, { ...existing, info }, at, policy, 'registry');
}

function onHeartbeat(state: LifecycleState, client: string, at: number, policy: LifecyclePolicy): Reduced {
  const base = { client, at, source: 'heartbeat' as const };
  const denied = notAllowed(client, policy);
  if (denied) return reject(state, { ...base, reason: denied }, 'allowlist');
  const existing = state.clients[client];
  if (!existing) return reject(state, { ...base, reason: `client ${client} is not registered` }, 'unregistered');
  switch (existing.status) {
    case 'live':
      return { state: put(state, { ...existing, lastSeen: at }), events: [{ kind: 'client/heartbeat', client, at, source: 'heartbeat' }] };
    case 'pending': {
      const full = overCapacity(state, policy);
      if (full) return reject(state, { ...base, reason: full }, 'max-clients');
      return {
        state: put(state, { ...existing, status: 'live', lastSeen: at, since: at }),
        events: [{ kind: 'client/registered', client, at, info: existing.info, resumed: true }],
      };
    }
    case 'removed':
      return reject(state, { ...base, reason: `client ${client} was deregistered; it must register again` }, 'deregistered');
    case 'stale':
      return comeBack(state, existing, at, policy, 'heartbeat');
  }
}

/** A stale or removed client that shows up again: back at once, or after its quarantine. */
function comeBack(state: LifecycleState, rec: ClientRecord, at: number, policy: LifecyclePolicy, source: 'registry' | 'heartbeat'): Reduced {
  const seen = { ...rec, lastSeen: at };
  if (rec.quarantinedUntil !== null && at < rec.quarantinedUntil) {
    if (rec.quarantineReported) return { state: put(state, seen), events: [] };
    const reason = `client ${rec.client} is quarantined for ${Math.ceil((rec.quarantinedUntil - at) / 1000)} s more after going ${rec.status}; it returns then if still alive`;
    return reject(state, { client: rec.client, at, source, reason }, 'quarantine', put(state, { ...seen, quarantineReported: true }));
  }
  const full = overCapacity(state, policy);
  if (full) return reject(state, { client: rec.client, at, source, reason: full }, 'max-clients', put(state, seen));
  return returned(state, seen, at);
}

function returned(state: LifecycleState, rec: ClientRecord, at: number): Reduced {
  return {
    state: put(state, { ...rec, status: 'live', since: at, quarantinedUntil: null, quarantineReported: false, returns: rec.returns + 1 }),
    events: [{ kind: 'client/returned', client: rec.client, at, awayMs: at - rec.since }],
  };
}

function onTombstone(state: LifecycleState, client: string, at: number, replay: boolean, policy: LifecyclePolicy): Reduced {
  const existing = state.clients[client];
  if (!existing || existing.status === 'removed') return { state, events: [] };
  const removed: ClientRecord = { ...existing, status: 'removed', since: at, quarantinedUntil: at + policy.quarantineMs, quarantineReported: false };
  // A replayed tombstone needs no event: nothing was spawned for it since start.
  if (replay) return { state: put(state, removed), events: [] };
  return { state: put(state, removed), events: [{ kind: 'client/removed', client, at, reason: 'deregistered (registry tombstone)' }] };
}

function onTick(state: LifecycleState, at: number, policy: LifecyclePolicy): Reduced {
  const events: LifecycleEvent[] = [];
  let next = state;
  for (const rec of Object.values(state.clients)) {
    if (rec.status === 'live' && rec.lastSeen !== null && at - rec.lastSeen >= policy.staleAfterMs) {
      next = put(next, { ...rec, status: 'stale', since: at, quarantinedUntil: at + policy.quarantineMs, quarantineReported: false });
      events.push({ kind: 'client/stale', client: rec.client, at, lastSeen: rec.lastSeen, silentForMs: at - rec.lastSeen });
    } else if (rec.status === 'pending' && state.caughtUp && at - rec.since >= policy.staleAfterMs) {
      // Known from the replay but silent since start: stale, and its leftover workers go.
      next = put(next, { ...rec, status: 'stale', since: at, quarantinedUntil: at + policy.quarantineMs, quarantineReported: false });
      events.push({ kind: 'client/stale', client: rec.client, at, lastSeen: null, silentForMs: at - rec.since });
    } else if (
      (rec.status === 'stale' || rec.status === 'removed') &&
      rec.quarantinedUntil !== null &&
      at >= rec.quarantinedUntil &&
      rec.lastSeen !== null &&
      rec.lastSeen >= rec.since &&
      at - rec.lastSeen < policy.staleAfterMs
    ) {
      // It came back (heartbeat, or registration after a tombstone) during its quarantine and
      // is still alive now that the quarantine is over.
      if (!overCapacity(next, policy)) {
        const r = returned(next, rec, at);
        next = r.state;
        events.push(...r.events);
      }
    }
  }
  return { state: next, events };
}

/**
 * Once the replay is done and the labelled workers are known: workers of unknown or
 * deregistered clients go. Clients outside the allowlist are not ours to touch.
 */
function reconcile(state: LifecycleState, at: number, policy: LifecyclePolicy): Reduced {
  if (!state.caughtUp || state.found === null) return { state, events: [] };
  const events: LifecycleEvent[] = [];
  for (const client of state.found) {
    if (notAllowed(client, policy)) continue;
    const rec = state.clients[client];
    if (!rec) events.push({ kind: 'client/removed', client, at, reason: 'workers of a client unknown to the registry' });
    else if (rec.status === 'removed') events.push({ kind: 'client/removed', client, at, reason: 'workers of a deregistered client' });
  }
  return { state: { ...state, found: null }, events };
}

function fresh(client: string, status: ClientRecord['status'], info: RegistrationInfo, lastSeen: number | null, at: number): ClientRecord {
  return { client, status, info, lastSeen, since: at, quarantinedUntil: null, quarantineReported: false, returns: 0 };
}
