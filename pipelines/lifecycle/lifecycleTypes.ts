import type { KafkaRecord } from '../../src/kafka/record';
import type { Settleable } from '../operators/settlement';

/**
 * The lifecycle vocabulary: what comes in (inputs read from Kafka or the clock), what the
 * reducer decides (events), and the state it keeps. Times are the server's receive time, ms.
 */

/** What a registration carries besides the client id (free-form fields are kept for /clients). */
export interface RegistrationInfo {
  cluster_name?: string;
  k8s_version?: string;
  [field: string]: unknown;
}

export type LifecycleInput =
  | {
      kind: 'registry/registration';
      client: string;
      info: RegistrationInfo;
      /** HMAC-SHA256(REGISTRATION_SECRET, client_id) as hex, when the client sent one. */
      token: string | undefined;
      /** Read during the start-up replay of the registry (produced before this control plane started). */
      replay: boolean;
      at: number;
      ack?: () => void;
    }
  | { kind: 'registry/tombstone'; client: string; replay: boolean; at: number; ack?: () => void }
  | { kind: 'heartbeat/received'; client: string; at: number; ack?: () => void }
  | {
      kind: 'input/invalid';
      source: 'registry' | 'heartbeat';
      key: string | null;
      reason: string;
      at: number;
      ack?: () => void;
      /** The record as read, for the dead-letter topic. */
      record?: KafkaRecord;
      /** A registry record an earlier run already read (and dead-lettered): not dead-lettered again. */
      seenByEarlierRun?: boolean;
    }
  /** The start-up replay of the registry has reached the end offsets seen at start. */
  | { kind: 'registry/caught-up'; at: number }
  /** Clients owning labelled workers found at start (reconciliation). */
  | { kind: 'workers/found'; clients: string[]; at: number }
  | { kind: 'clock/tick'; at: number };

export type LifecycleEvent =
  | { kind: 'client/registered'; client: string; at: number; info: RegistrationInfo; /** first heartbeat of a client known from the replay */ resumed: boolean }
  | { kind: 'client/heartbeat'; client: string; at: number; source: 'heartbeat' | 'registration' }
  | { kind: 'client/stale'; client: string; at: number; lastSeen: number | null; silentForMs: number }
  | { kind: 'client/removed'; client: string; at: number; reason: string }
  | { kind: 'client/returned'; client: string; at: number; awayMs: number }
  | { kind: 'client/rejected'; client: string | null; at: number; source: 'registry' | 'heartbeat'; reason: string };

export type ClientStatus =
  /** known from the registry replay, waiting for its first heartbeat after start */
  | 'pending'
  | 'live'
  /** went silent; its workers are removed; may return after the quarantine */
  | 'stale'
  /** deregistered by a tombstone (or unknown at reconciliation) */
  | 'removed';

export interface ClientRecord {
  client: string;
  status: ClientStatus;
  info: RegistrationInfo;
  /** Last registration or heartbeat received (server time), or null if none since start. */
  lastSeen: number | null;
  /** When the current status began. */
  since: number;
  /** A stale or removed client cannot return before this time. */
  quarantinedUntil: number | null;
  /** Whether the rejection during this quarantine was already reported (once per quarantine). */
  quarantineReported: boolean;
  returns: number;
}

export interface LifecycleState {
  clients: Readonly<Record<string, ClientRecord>>;
  /** The registry replay reached the end offsets seen at start. */
  caughtUp: boolean;
  /** Clients of workers found at start, waiting for the replay to finish before reconciliation. */
  found: readonly string[] | null;
  /** Rejections counted by reason category. */
  rejected: Readonly<Record<string, number>>;
}

export interface LifecyclePolicy {
  /** A client silent this long is stale (STALE_CLIENT_THRESHOLD_MINUTES). */
  staleAfterMs: number;
  /** After going stale or removed, a client's return waits this long (QUARANTINE_SECONDS). */
  quarantineMs: number;
  /** Only these ids may register; empty = any (CLIENT_ALLOWLIST). */
  allowlist: readonly string[];
  /** When set, registrations must carry token = HMAC-SHA256(secret, client_id) (REGISTRATION_SECRET). */
  registrationSecret: string | undefined;
  /** Most live clients; 0 = no limit (MAX_CLIENTS). */
  maxClients: number;
}

export interface LifecycleStep {
  input: LifecycleInput;
  state: LifecycleState;
  events: LifecycleEvent[];
  /**
   * The records this step settles (the subscriber acknowledges them, src/runner/settle.ts): the
   * input's record once reduced; a dead-lettered one in a later step of its own (no events, the
   * state then) once its dead-letter copy was delivered.
   */
  settles: readonly Settleable[];
}

export const initialLifecycleState: LifecycleState = { clients: {}, caughtUp: false, found: null, rejected: {} };
