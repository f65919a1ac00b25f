// Public API of the kgroot package: adapters, domain functions and pipelines.
export * from './domain/clientId';
export * from './domain/keys';
export * from './kafka/topics';
export * from './kafka/record';
export * from './kafka/kafkaConfig';
export * from './kafka/kafkaSource';
export * from './kafka/kafkaSink';
export * from './kafka/admin';
export * from './kafka/deadLetter';
export * from './kafka/offsetTracker';
export * from './config/env';
export * from './log/logger';
export * from './runner/runPipeline';
export { settle, settled } from './runner/settle';
export * from './avro/normalizedCodec';
export { normalizeEvent } from './normalize/normalizeEvent';
export { normalizeLog } from './normalize/normalizeLog';
export * from './metrics/metrics';
