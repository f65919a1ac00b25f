import { readFileSync } from 'node:fs';
import { ConfigError, distinctPorts, Env, readInt, readOptional, readString } from '../config/env';
import { loadMetricsConfig, MetricsServerConfig } from '../metrics/metricsServer';
import { validateClientId } from '../domain/clientId';

/**
 * Webhook receiver settings (environment):
 * - WEBHOOK_HOST (0.0.0.0), WEBHOOK_PORT (9095), WEBHOOK_MAX_BODY_BYTES (1048576).
 * - Per-client bearer tokens: WEBHOOK_TOKENS="clientA=tok1,clientB=tok2" and/or WEBHOOK_TOKENS_FILE,
 *   a file with one `client=token` a line (blank lines and `#` comments ignored); the file wins on
 *   a client named in both. Alertmanager sends the token with
 *   `http_config: { authorization: { type: Bearer, credentials: tok1 } }` on a receiver whose
 *   url is http://host:9095/webhooks/alertmanager/clientA.
 */
export interface WebhookConfig {
  host: string;
  port: number;
  maxBodyBytes: number;
  tokens: ReadonlyMap<string, string>;
}

function parseTokens(text: string, variable: string, separator: RegExp): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(separator)) {
    const entry = raw.trim();
    if (entry === '' || entry.startsWith('#')) continue;
    const eq = entry.indexOf('=');
    if (eq <= 0 || eq === entry.length - 1) throw new ConfigError(variable, `entry ${JSON.stringify(entry.slice(0, 40))} is not client=token`, 'Write each entry as client=token');
    const client = entry.slice(0, eq).trim();
    const token = entry.slice(eq + 1).trim();
    const check = validateClientId(client);
    if (!check.ok) throw new ConfigError(variable, `client ${JSON.stringify(client)}: ${check.reason}`, 'Use valid client ids');
    if (token.length < 8) throw new ConfigError(variable, `the token of ${client} is shorter than 8 characters`, 'Use a long random token (e.g. openssl rand -hex 24)');
    out.set(client, token);
  }
  return out;
}

/** Tokens from `listVar` (`client=token,…`) and the file `fileVar` names (one a line; the file wins on a client in both). */
export function loadTokens(env: Env, listVar: string, fileVar: string): Map<string, string> {
  const tokens = parseTokens(readString(env, listVar, ''), listVar, /,/);
  const file = readOptional(env, fileVar);
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(fileVar, `cannot read ${file}: ${(err as Error).message}`, 'Point it at a readable file of client=token lines');
    }
    for (const [c, t] of parseTokens(text, fileVar, /\r?\n/)) tokens.set(c, t);
  }
  return tokens;
}

export function loadWebhookConfig(env: Env): WebhookConfig {
  const tokens = loadTokens(env, 'WEBHOOK_TOKENS', 'WEBHOOK_TOKENS_FILE');
  return {
    host: readString(env, 'WEBHOOK_HOST', '0.0.0.0'),
    port: readInt(env, 'WEBHOOK_PORT', 9095, { min: 0, max: 65535 }),
    maxBodyBytes: readInt(env, 'WEBHOOK_MAX_BODY_BYTES', 1024 * 1024, { min: 256 }),
    tokens,
  };
}

/** The webhook receiver process: its server and the runner's /metrics and /healthz. */
export interface WebhookReceiverConfig {
  webhook: WebhookConfig;
  metrics: MetricsServerConfig;
}

/** Loads the webhook receiver's settings and checks them together: WEBHOOK_PORT and METRICS_PORT differ. */
export function loadWebhookReceiverConfig(env: Env): WebhookReceiverConfig {
  const c = { webhook: loadWebhookConfig(env), metrics: loadMetricsConfig(env) };
  distinctPorts('WEBHOOK_PORT', c.webhook.port, 'METRICS_PORT', c.metrics.port);
  return c;
}
