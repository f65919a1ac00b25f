import pino from 'pino';
import { KafkaSource } from '../../../src/kafka/kafkaSource';
import { checkKafkaSinkConfig } from '../../../src/kafka/kafkaSink';
import { GraphStore } from '../../../src/neo4j/graphStore';
import { loadNeo4jConfig } from '../../../src/neo4j/neo4jConfig';
import { loadKafkaConnection } from '../../../src/kafka/kafkaConfig';

const log = pino({ level: 'silent' });
const connection = loadKafkaConnection({ KAFKA_BROKERS: '127.0.0.1:1' }, 'options-test');

describe('adapters check their options before using them (kafkajs-style messages)', () => {
  it('KafkaSource', () => {
    const source = (o: object) => () => new KafkaSource({ connection, groupId: 'g', topics: ['t'], ...o }, log);
    expect(source({ maxInFlight: 0 })).toThrow(/^maxInFlight must be at least 1, got 0$/);
    expect(source({ maxInFlight: 2.5 })).toThrow(/^maxInFlight must be a whole number, got 2.5$/);
    expect(source({ batchSize: -1 })).toThrow(/^batchSize must be at least 1, got -1$/);
    expect(source({ maxConsumeFailures: 0 })).toThrow(/^maxConsumeFailures must be at least 1, got 0$/);
    expect(source({ drainTimeoutMs: -5 })).toThrow(/^drainTimeoutMs must be at least 0, got -5$/);
    expect(source({ topics: [] })).toThrow(/^topics must name at least one, got \[\]$/);
    expect(source({ groupId: '' })).toThrow(/^groupId must be set/);
    // Valid options construct without connecting (the consumer starts on subscription).
    expect(source({ maxInFlight: 10, batchSize: 10 })()).toBeInstanceOf(KafkaSource);
  });

  it('KafkaSink', () => {
    expect(() => checkKafkaSinkConfig({ connection, queueMaxMessages: 0 })).toThrow(/^queueMaxMessages must be at least 1, got 0$/);
    expect(() => checkKafkaSinkConfig({ connection, lingerMs: -1 })).toThrow(/^lingerMs must be at least 0, got -1$/);
    expect(() => checkKafkaSinkConfig({ connection, pollIntervalMs: 0 })).toThrow(/^pollIntervalMs must be at least 1, got 0$/);
    expect(() => checkKafkaSinkConfig({ connection, lingerMs: 0, queueMaxMessages: 1 })).not.toThrow();
  });

  it('GraphStore.connect refuses bad causal options before it creates a driver', async () => {
    // Port 1 answers nothing: a check run after connecting would wait out waitMs and fail differently.
    const config = loadNeo4jConfig({ NEO4J_URI: 'bolt://127.0.0.1:1' });
    await expect(GraphStore.connect(config, log, { maxCandidates: 0 }, 60_000)).rejects.toThrow(/^maxCandidates must be at least 1, got 0$/);
    await expect(GraphStore.connect(config, log, { minConfidence: 1.5 }, 60_000)).rejects.toThrow(/^minConfidence must be at most 1, got 1.5$/);
    await expect(GraphStore.connect(config, log, { windowMs: 600_000, alertLookbackMs: 60_000 }, 60_000)).rejects.toThrow(/^alertLookbackMs must be at least 600000, got 60000$/);
  });
});
