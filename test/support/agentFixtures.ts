import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KafkaRecord } from '../../src/kafka/record';

/** test/fixtures/agent, found upwards from here (ts-jest runs the source, perf the compiled dist/). */
function fixtureDir(): string {
  for (let d = __dirname; d !== dirname(d); d = dirname(d)) if (existsSync(join(d, 'test', 'fixtures', 'agent', 'records.json'))) return join(d, 'test', 'fixtures', 'agent');
  throw new Error('test/fixtures/agent/records.json not found above ' + __dirname);
}

/** One record of test/fixtures/agent/records.json: what a kg-rca-agent 2.1.2 producer wrote. */
export interface AgentFixtureRecord {
  shape: string;
  topic: string;
  key: string | null;
  value: string | null;
  producer: string;
  source: string;
}

/** The fixture file's records, with the placeholder client `agentfix` replaced by `client` (tests use unique ids). */
export function loadAgentFixtures(client = 'agentfix', dir = fixtureDir()): AgentFixtureRecord[] {
  const file = readFileSync(join(dir, 'records.json'), 'utf8');
  const sub = (s: string | null) => (s === null ? null : s.split('agentfix').join(client));
  const { records } = JSON.parse(file) as { records: AgentFixtureRecord[] };
  return records.map((r) => ({ ...r, key: sub(r.key), value: sub(r.value) }));
}

/** A fixture as a consumed Kafka record (offset = its index). */
export function fixtureAsRecord(r: AgentFixtureRecord, offset: number, timestamp = Date.parse('2026-12-01T09:05:00Z')): KafkaRecord {
  return {
    topic: r.topic,
    partition: 0,
    offset,
    key: r.key === null ? null : Buffer.from(r.key, 'utf8'),
    value: r.value === null ? null : Buffer.from(r.value, 'utf8'),
    headers: {},
    timestamp,
  };
}
