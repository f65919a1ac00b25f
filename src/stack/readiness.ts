import neo4j from 'neo4j-driver';
import { fetchMetadata } from '../kafka/admin';

/** Resolves when the broker answers a metadata request. */
export async function kafkaAnswers(brokers: string, timeoutMs: number): Promise<void> {
  await fetchMetadata(brokers, timeoutMs);
}

/** Resolves when Neo4j answers `RETURN 1` over Bolt. */
export async function neo4jAnswers(uri: string, timeoutMs: number): Promise<void> {
  const driver = neo4j.driver(uri, undefined, { connectionTimeout: timeoutMs, maxConnectionPoolSize: 1 });
  try {
    const r = await driver.executeQuery('RETURN 1 AS one');
    if (r.records[0]?.get('one').toNumber?.() !== 1 && r.records[0]?.get('one') !== 1) throw new Error('unexpected answer to RETURN 1');
  } finally {
    await driver.close();
  }
}
