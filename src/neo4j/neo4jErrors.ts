/**
 * Whether a failed graph write is worth retrying. Statement and schema errors (bad Cypher, a
 * value Neo4j refuses, a constraint violated) and driver type errors will fail again with the
 * same input: those are permanent and the records go to the dead-letter topic. Everything else
 * (unavailable server, expired session, deadlock, transient and database errors) is retried.
 */
export function isPermanentGraphError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string') {
    if (code.startsWith('Neo.TransientError.')) return false;
    return code.startsWith('Neo.ClientError.Statement.') || code.startsWith('Neo.ClientError.Schema.') || code.startsWith('Neo.ClientError.Request.');
  }
  return err instanceof TypeError || err instanceof RangeError;
}

export function isTransientGraphError(err: unknown): boolean {
  return !isPermanentGraphError(err);
}

export const UNSUPPORTED_ADMINISTRATION = 'Neo.ClientError.Statement.UnsupportedAdministrationCommand';
