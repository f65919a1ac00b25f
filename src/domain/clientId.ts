/**
 * The one client-id rule of DESIGN.md, safe wherever an id is used: container name, consumer
 * group, Neo4j database name, topic name, label value. Ids are rejected, never rewritten.
 *
 * @example
 *   validateClientId('acme-prod')  // { ok: true, clientId: 'acme-prod' }
 *   validateClientId('UPPER')      // { ok: false, reason: 'must start with a lowercase letter a-z, got "U"' }
 */
export type ClientIdCheck = { ok: true; clientId: string } | { ok: false; reason: string };

export const CLIENT_ID_MIN = 3;
export const CLIENT_ID_MAX = 42;
export const CLIENT_ID_RULE =
  `a lowercase letter first, then [a-z0-9-], ${CLIENT_ID_MIN} to ${CLIENT_ID_MAX} characters, no trailing "-"`;

const ALLOWED = /^[a-z0-9-]$/;

export function validateClientId(input: unknown): ClientIdCheck {
  if (typeof input !== 'string') return { ok: false, reason: `client id must be a string, got ${typeof input}` };
  if (input.length === 0) return { ok: false, reason: 'client id is empty' };
  if (input.length < CLIENT_ID_MIN) {
    return { ok: false, reason: `client id is ${input.length} characters, at least ${CLIENT_ID_MIN} are required` };
  }
  if (input.length > CLIENT_ID_MAX) {
    return { ok: false, reason: `client id is ${input.length} characters, at most ${CLIENT_ID_MAX} are allowed` };
  }
  if (!/^[a-z]$/.test(input[0])) {
    return { ok: false, reason: `client id must start with a lowercase letter a-z, got ${JSON.stringify(input[0])}` };
  }
  for (let i = 1; i < input.length; i++) {
    if (!ALLOWED.test(input[i])) {
      return {
        ok: false,
        reason: `client id may only contain [a-z0-9-], got ${JSON.stringify(input[i])} at position ${i}`,
      };
    }
  }
  if (input.endsWith('-')) return { ok: false, reason: 'client id must not end with "-"' };
  return { ok: true, clientId: input };
}

/** Throws with the reason; for configuration (CLIENT_ID) where an invalid id must stop start-up. */
export function assertClientId(input: unknown, where = 'client id'): string {
  const check = validateClientId(input);
  if (!check.ok) throw new Error(`${where}: ${check.reason} (rule: ${CLIENT_ID_RULE})`);
  return check.clientId;
}
