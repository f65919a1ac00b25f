import { ConfigError, Env, readInt, readOptional, readString } from '../../config/env';
import { loadTokens } from '../webhookConfig';

/**
 * Settings of the control plane's HTTP server (GET /clients, the API under /api/v1, the web UI):
 * - CONTROL_PLANE_HOST (127.0.0.1) and CONTROL_PLANE_PORT (7070; 0 = any free port).
 * - API_ADMIN_TOKEN: reads every client and confirms causes.
 * - API_CLIENT_TOKENS="a=tok1,b=tok2" and/or API_CLIENT_TOKENS_FILE (one client=token a line):
 *   per-client read tokens; a client's token reads only that client.
 * - No token at all: only loopback callers are served, and a non-loopback bind refuses to start.
 * - PUBLIC_URL: the address people open (links in notifications); default http://HOST:PORT.
 * - API_LIVE_INTERVAL_MS (2000): how often a live page (server-sent events) re-reads its answer.
 */
export interface ApiConfig {
  host: string;
  port: number;
  adminToken: string | undefined;
  clientTokens: ReadonlyMap<string, string>;
  publicUrl: string | undefined;
  liveIntervalMs: number;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^127\./.test(address) || /^::ffff:127\./.test(address);
}

export function loadApiConfig(env: Env): ApiConfig {
  const host = readString(env, 'CONTROL_PLANE_HOST', '127.0.0.1');
  const port = readInt(env, 'CONTROL_PLANE_PORT', 7070, { min: 0, max: 65535 });
  const adminToken = readOptional(env, 'API_ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('API_ADMIN_TOKEN', 'is shorter than 16 characters', 'Use a long random token (e.g. openssl rand -hex 24)');
  }
  const clientTokens = loadTokens(env, 'API_CLIENT_TOKENS', 'API_CLIENT_TOKENS_FILE');
  if (adminToken !== undefined && [...clientTokens.values()].includes(adminToken)) {
    throw new ConfigError('API_CLIENT_TOKENS', 'a client token equals API_ADMIN_TOKEN', 'Give every client its own token, different from the admin token');
  }
  if (adminToken === undefined && clientTokens.size === 0 && !isLoopbackHost(host)) {
    throw new ConfigError(
      'API_ADMIN_TOKEN',
      `is not set and CONTROL_PLANE_HOST=${host} is not a loopback address, so the API would serve every client's data to anyone`,
      'Set API_ADMIN_TOKEN (and API_CLIENT_TOKENS for per-client read access), or bind CONTROL_PLANE_HOST=127.0.0.1',
    );
  }
  const publicUrl = readOptional(env, 'PUBLIC_URL');
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(publicUrl)) {
    throw new ConfigError('PUBLIC_URL', `must be an http(s) URL, got ${JSON.stringify(publicUrl)}`, 'Set PUBLIC_URL to the address people open, e.g. https://kgroot.example.com');
  }
  return {
    host,
    port,
    adminToken,
    clientTokens,
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    liveIntervalMs: readInt(env, 'API_LIVE_INTERVAL_MS', 2000, { min: 100 }),
  };
}
