import { createHmac } from 'node:crypto';
import { ConfigError, Env, readEnum, readInt, readOptional, readString } from '../config/env';
import { TOPICS } from '../kafka/topics';
import { ROUTED_TOPICS, tenantTopic } from './tenantTopics';
import type { TenancyMode } from './tenancyConfig';

/**
 * Authenticated tenancy (KAFKA_AUTH=scram). Each registered client gets a SCRAM-SHA-512 user of
 * its own, ACLs that let it write only its own per-client raw topics (and heartbeats), and produce /
 * fetch quotas. Kafka does not tell a consumer who produced a record, so the router could not check
 * the producer of a shared-topic record: in scram mode clients write their own `{topic}.{client}`
 * topics directly (TENANCY=routed is required) and have no ACL at all on the shared raw topics,
 * which only kgroot's own components (the PLAINTEXT listener's super user) can write.
 */
export interface ClientAuthSettings {
  /** KAFKA_AUTH: `none` (default) or `scram`. */
  mode: 'none' | 'scram';
  /** KAFKA_CREDENTIAL_SECRET: the key each client's password is derived from (HMAC-SHA256). */
  credentialSecret: string;
  /** KAFKA_CLIENT_PRODUCE_BYTES_PER_SECOND: the client user's producer_byte_rate quota. */
  produceBytesPerSecond: number;
  /** KAFKA_CLIENT_FETCH_BYTES_PER_SECOND: the client user's consumer_byte_rate quota. */
  fetchBytesPerSecond: number;
  /** KAFKA_CLIENT_BROKERS: the SASL_PLAINTEXT listener clients connect to (shown with their credentials). */
  clientBrokers: string;
}

export const CLIENT_SASL_MECHANISM = 'SCRAM-SHA-512';

export function loadClientAuthSettings(env: Env, tenancy: TenancyMode): ClientAuthSettings {
  const mode = readEnum(env, 'KAFKA_AUTH', ['none', 'scram'] as const, 'none');
  const secret = readOptional(env, 'KAFKA_CREDENTIAL_SECRET');
  if (mode === 'scram') {
    if (secret === undefined || secret.length < 16) {
      throw new ConfigError('KAFKA_CREDENTIAL_SECRET', 'must be set to at least 16 characters when KAFKA_AUTH=scram', 'Set it to a long random string (e.g. `openssl rand -hex 32`); every client password is derived from it');
    }
    if (tenancy !== 'routed') {
      throw new ConfigError('KAFKA_AUTH', 'scram needs TENANCY=routed (authenticated clients write their own per-client topics; nobody can tell who wrote a shared-topic record)', 'Set TENANCY=routed, or KAFKA_AUTH=none');
    }
  }
  return {
    mode,
    credentialSecret: secret ?? '',
    produceBytesPerSecond: readInt(env, 'KAFKA_CLIENT_PRODUCE_BYTES_PER_SECOND', 5 * 1024 * 1024, { min: 1024 }),
    fetchBytesPerSecond: readInt(env, 'KAFKA_CLIENT_FETCH_BYTES_PER_SECOND', 5 * 1024 * 1024, { min: 1024 }),
    clientBrokers: readString(env, 'KAFKA_CLIENT_BROKERS', '127.0.0.1:9096'),
  };
}

/**
 * The client's Kafka user name. `tenant.` first: a client id never contains a dot, so no client
 * can be named like a super user (`admin`, `ANONYMOUS`) or like another client.
 *
 * @example clientUsername('acme') // 'tenant.acme'
 */
export function clientUsername(client: string): string {
  return `tenant.${client}`;
}

/**
 * The client's password: HMAC-SHA256(KAFKA_CREDENTIAL_SECRET, "kafka-scram:" + client), base64url.
 * Derived, never stored: the control plane and `kgroot clients credentials` compute the same one;
 * rotating the secret changes every password (re-register the clients).
 */
export function clientPassword(secret: string, client: string): string {
  return createHmac('sha256', secret).update(`kafka-scram:${client}`).digest('base64url');
}

/**
 * The topics a client principal may WRITE and DESCRIBE: its own raw topics, as LITERAL patterns.
 * Not PREFIXED: per-client topics end in the client id, and a prefixed `raw.k8s.events.acme` would
 * also match `raw.k8s.events.acme-2`, another client's topic. Plus the shared heartbeat topic.
 */
export function clientWriteTopics(client: string): string[] {
  return [...ROUTED_TOPICS.map((t) => tenantTopic(t.name, client)), TOPICS.heartbeat.name];
}

/** The argument lists of the three Kafka admin tool runs that give a client its access. */
export function provisionCommands(client: string, s: Pick<ClientAuthSettings, 'credentialSecret' | 'produceBytesPerSecond' | 'fetchBytesPerSecond'>) {
  const user = clientUsername(client);
  // ConfigCommand refuses SCRAM and quota changes in one call, so they are two runs (in parallel).
  return {
    scram: ['kafka.admin.ConfigCommand', '--alter', '--entity-type', 'users', '--entity-name', user, '--add-config', `${CLIENT_SASL_MECHANISM}=[password=${clientPassword(s.credentialSecret, client)}]`],
    quotas: ['kafka.admin.ConfigCommand', '--alter', '--entity-type', 'users', '--entity-name', user, '--add-config', `producer_byte_rate=${s.produceBytesPerSecond},consumer_byte_rate=${s.fetchBytesPerSecond}`],
    acls: ['kafka.admin.AclCommand', '--add', ...aclArgs(client)],
  };
}

/** The argument lists that take it all back (deregistration). */
export function revokeCommands(client: string) {
  const user = clientUsername(client);
  return {
    scram: ['kafka.admin.ConfigCommand', '--alter', '--entity-type', 'users', '--entity-name', user, '--delete-config', CLIENT_SASL_MECHANISM],
    quotas: ['kafka.admin.ConfigCommand', '--alter', '--entity-type', 'users', '--entity-name', user, '--delete-config', 'producer_byte_rate,consumer_byte_rate'],
    acls: ['kafka.admin.AclCommand', '--remove', '--force', ...aclArgs(client)],
  };
}

function aclArgs(client: string): string[] {
  return [
    '--allow-principal', `User:${clientUsername(client)}`,
    '--operation', 'Write', '--operation', 'Describe',
    ...clientWriteTopics(client).flatMap((t) => ['--topic', t]),
  ];
}

/** What `kgroot clients credentials C` prints: everything a client's producer needs. */
export function clientCredentials(client: string, s: Pick<ClientAuthSettings, 'credentialSecret' | 'clientBrokers'>) {
  return {
    client,
    brokers: s.clientBrokers,
    securityProtocol: 'SASL_PLAINTEXT',
    mechanism: CLIENT_SASL_MECHANISM,
    username: clientUsername(client),
    password: clientPassword(s.credentialSecret, client),
    topics: clientWriteTopics(client),
  };
}
