/**
 * Whether a failed graph write is worth retrying, by what the error is. Only three kinds of
 * failure go away by themselves, and only those are transient:
 * - connectivity: the driver's `ServiceUnavailable` / `SessionExpired`, a refused, reset or timed-out
 *   socket, no connection from the pool in time;
 * - a leader switch in a cluster: `Neo.ClientError.Cluster.NotALeader`,
 *   `Neo.ClientError.General.ForbiddenOnReadOnlyDatabase` (the write went to a follower);
 * - deadlocks and other transient transaction states: every `Neo.TransientError.*` (e.g.
 *   `Neo.TransientError.Transaction.DeadlockDetected`), except the two a retry cannot cure
 *   (`Transaction.Terminated`, `Transaction.LockClientStopped`: somebody ended the transaction).
 *
 * Everything else is permanent: statement and schema errors, a value Neo4j refuses
 * (`Neo.DatabaseError.Statement.ExecutionFailed` "Property value is too large to index"), every
 * other client or database error, and errors that are not Neo4j's at all (a TypeError of ours).
 * Those fail again with the same input: write-or-split isolates the record and dead-letters it.
 * A permanent error called transient stalls the component for good (the batch is retried forever);
 * a transient one called permanent dead-letters good records during an outage — so the list is
 * short and explicit.
 */
export function isTransientGraphError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string') {
    if (TRANSIENT_CODES.has(code)) return true;
    if (code.startsWith('Neo.TransientError.')) return !NOT_RETRIABLE_TRANSIENT.has(code);
    if (code.startsWith('Neo.')) return false;
    if (SOCKET_CODES.has(code)) return true;
  }
  const message = (err as { message?: unknown })?.message;
  return typeof message === 'string' && CONNECTIVITY_MESSAGES.some((re) => re.test(message));
}

export function isPermanentGraphError(err: unknown): boolean {
  return !isTransientGraphError(err);
}

/** Driver-side connectivity codes and the leader-switch codes of a cluster. */
const TRANSIENT_CODES = new Set([
  'ServiceUnavailable',
  'SessionExpired',
  'Neo.ClientError.Cluster.NotALeader',
  'Neo.ClientError.General.ForbiddenOnReadOnlyDatabase',
]);

/** Transient by name, but the transaction was ended on purpose: the driver does not retry them either. */
const NOT_RETRIABLE_TRANSIENT = new Set(['Neo.TransientError.Transaction.Terminated', 'Neo.TransientError.Transaction.LockClientStopped']);

/** Node socket errors, should one reach us unwrapped. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** Connectivity errors the driver raises without a code (`N/A`). */
const CONNECTIVITY_MESSAGES = [
  /Connection acquisition timed out/,
  /Failed to establish connection/,
  /Connection was closed by server/,
  /Pool is closed/,
  /\bECONNREFUSED\b|\bECONNRESET\b|\bETIMEDOUT\b|\bEPIPE\b/,
];

export const UNSUPPORTED_ADMINISTRATION = 'Neo.ClientError.Statement.UnsupportedAdministrationCommand';

/** Another process created the same rule at the same moment: IF NOT EXISTS does not cover the race. */
const ALREADY_EXISTS = /EquivalentSchemaRuleAlreadyExists|ConstraintAlreadyExists|IndexAlreadyExists/;

/**
 * Runs one schema statement (CREATE CONSTRAINT / INDEX … IF NOT EXISTS) as several processes do at
 * once on a fresh database: a rule another process just created counts as done, and a deadlock
 * between two such creations (Neo4j takes schema locks per label: two graph builders starting
 * together deadlocked on a fresh Neo4j) or another transient error is retried, up to `tries` times
 * with a growing, jittered pause. Anything else is thrown.
 */
export async function ensureSchemaRule(
  run: () => Promise<void>,
  onRetry: (attempt: number, err: unknown) => void = () => undefined,
  tries = 8,
  pause: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (ALREADY_EXISTS.test(String((err as { code?: unknown }).code))) return;
      if (attempt >= tries || !isTransientGraphError(err)) throw err;
      onRetry(attempt, err);
      await pause(Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
    }
  }
}
