export { generateCorpus, corpusSplit, DEFAULT_START } from './generate';
export type { Corpus, CorpusOptions, CorpusStats } from './generate';
export { FAULT_TYPES, ROOT_REASONS } from './faults';
export type { Truth } from './faults';
export { feedRecords, DEFAULT_FEED_TOPICS } from './feed';
export type { FeedTopics } from './feed';
export type { CorpusRecord } from './world';
export { alertFingerprint, Rng } from './rng';
