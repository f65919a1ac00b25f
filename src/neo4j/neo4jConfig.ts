import { ConfigError, Env, readEnum, readInt, readOptional, readString } from '../config/env';

export type IsolationSetting = 'database' | 'shared' | 'auto';
export type IsolationMode = 'database' | 'shared';

/**
 * Neo4j connection and isolation settings.
 * - NEO4J_URI (bolt://127.0.0.1:7687); NEO4J_USER / NEO4J_PASSWORD (both or neither; none = no auth).
 * - GRAPH_ISOLATION: `database` (a database per client, Enterprise), `shared` (one database, the
 *   client id on every node and relationship), `auto` (default: try CREATE DATABASE, fall back to shared).
 * - NEO4J_DATABASE: the database of this client in database mode (default: the client id).
 * - NEO4J_SHARED_DATABASE: the database used in shared mode (default: the server's default).
 * - NEO4J_TX_RETRY_MS: how long the driver retries one transaction on transient errors (30000).
 */
export interface Neo4jConfig {
  uri: string;
  auth: { user: string; password: string } | undefined;
  isolation: IsolationSetting;
  database: string | undefined;
  sharedDatabase: string | undefined;
  maxTransactionRetryTimeMs: number;
  maxConnectionPoolSize: number;
}

export function loadNeo4jConfig(env: Env): Neo4jConfig {
  const user = readOptional(env, 'NEO4J_USER');
  const password = readOptional(env, 'NEO4J_PASSWORD');
  if ((user === undefined) !== (password === undefined)) {
    throw new ConfigError(user === undefined ? 'NEO4J_USER' : 'NEO4J_PASSWORD', 'is set without its partner', 'Set both NEO4J_USER and NEO4J_PASSWORD, or neither for a server without auth');
  }
  const uri = readString(env, 'NEO4J_URI', 'bolt://127.0.0.1:7687');
  if (!/^(bolt|neo4j)(\+s|\+ssc)?:\/\//.test(uri)) {
    throw new ConfigError('NEO4J_URI', `must be a bolt:// or neo4j:// URI, got ${JSON.stringify(uri)}`, 'Set NEO4J_URI=bolt://host:7687');
  }
  return {
    uri,
    auth: user !== undefined && password !== undefined ? { user, password } : undefined,
    isolation: readEnum(env, 'GRAPH_ISOLATION', ['database', 'shared', 'auto'] as const, 'auto'),
    database: readOptional(env, 'NEO4J_DATABASE'),
    sharedDatabase: readOptional(env, 'NEO4J_SHARED_DATABASE'),
    maxTransactionRetryTimeMs: readInt(env, 'NEO4J_TX_RETRY_MS', 30_000, { min: 0 }),
    maxConnectionPoolSize: readInt(env, 'NEO4J_MAX_POOL', 20, { min: 1 }),
  };
}
