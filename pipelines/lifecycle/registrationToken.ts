import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The registration token a client sends when REGISTRATION_SECRET is set:
 * hex HMAC-SHA256(secret, client_id).
 *
 * @example registrationToken('s3cret', 'acme-prod') // '5f0c…'
 */
export function registrationToken(secret: string, clientId: string): string {
  return createHmac('sha256', secret).update(clientId).digest('hex');
}

/** Constant-time comparison, so the check leaks nothing about the expected token. */
export function tokenMatches(secret: string, clientId: string, token: string | undefined): boolean {
  if (typeof token !== 'string') return false;
  const want = Buffer.from(registrationToken(secret, clientId), 'hex');
  const got = Buffer.from(token.toLowerCase(), 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}
