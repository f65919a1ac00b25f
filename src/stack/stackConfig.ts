import { homedir } from 'node:os';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Env, readInt, readString } from '../config/env';

/** Where the local stack keeps jars (cache) and pids, logs and data (state), and its ports. */
export interface StackConfig {
  /** Jars fetched from Maven Central; reused across checkouts. KGROOT_CACHE_DIR. */
  cacheDir: string;
  /** Pid files, logs and data of the running stack. KGROOT_STACK_DIR. */
  stateDir: string;
  /** Folder holding the poms and the Neo4j launcher shipped with kgroot. */
  recipeDir: string;
  kafkaVersion: string;
  neo4jVersion: string;
  host: string;
  kafkaPort: number;
  kafkaControllerPort: number;
  /**
   * The SASL_PLAINTEXT (SCRAM-SHA-512) listener for authenticated clients (KAFKA_AUTH=scram),
   * KGROOT_KAFKA_SASL_PORT, default 9096; 0 = no SASL listener and no authorizer.
   */
  kafkaSaslPort: number;
  boltPort: number;
  kafkaHeap: string;
  neo4jHeap: string;
  neo4jPagecache: string;
  /** How long `up` waits for each service to answer, ms. */
  readyTimeoutMs: number;
}

export const KAFKA_VERSION = '3.9.2';
export const NEO4J_VERSION = '5.26.30';

export function loadStackConfig(env: Env = process.env): StackConfig {
  return {
    cacheDir: readString(env, 'KGROOT_CACHE_DIR', join(homedir(), '.cache', 'kgroot')),
    stateDir: readString(env, 'KGROOT_STACK_DIR', join(homedir(), '.kgroot', 'stack')),
    recipeDir: findRecipeDir(__dirname),
    kafkaVersion: KAFKA_VERSION,
    neo4jVersion: NEO4J_VERSION,
    host: '127.0.0.1',
    kafkaPort: readInt(env, 'KGROOT_KAFKA_PORT', 9092, { min: 1, max: 65535 }),
    kafkaControllerPort: readInt(env, 'KGROOT_KAFKA_CONTROLLER_PORT', 9093, { min: 1, max: 65535 }),
    kafkaSaslPort: readInt(env, 'KGROOT_KAFKA_SASL_PORT', 9096, { min: 0, max: 65535 }),
    boltPort: readInt(env, 'KGROOT_NEO4J_BOLT_PORT', 7687, { min: 1, max: 65535 }),
    kafkaHeap: readString(env, 'KGROOT_KAFKA_HEAP', '1g'),
    neo4jHeap: readString(env, 'KGROOT_NEO4J_HEAP', '2g'),
    neo4jPagecache: readString(env, 'KGROOT_NEO4J_PAGECACHE', '512m'),
    readyTimeoutMs: readInt(env, 'KGROOT_STACK_READY_TIMEOUT_MS', 120_000, { min: 1000 }),
  };
}

/** The package's stack/ folder, found upward from here (dist/src/stack when built, src/stack under ts-jest). */
function findRecipeDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'stack', 'kafka', 'pom.xml'))) return join(dir, 'stack');
    if (dirname(dir) === dir) throw new Error(`kgroot's stack/ folder (stack/kafka/pom.xml) was not found above ${from}`);
  }
}

export function kafkaBrokersOf(c: StackConfig): string {
  return `${c.host}:${c.kafkaPort}`;
}

/** The SASL_PLAINTEXT listener's address, or undefined when the stack runs none. */
export function kafkaSaslBrokersOf(c: StackConfig): string | undefined {
  return c.kafkaSaslPort > 0 ? `${c.host}:${c.kafkaSaslPort}` : undefined;
}

export function boltUriOf(c: StackConfig): string {
  return `bolt://${c.host}:${c.boltPort}`;
}
