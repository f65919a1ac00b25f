// `kgroot/pipelines`: the pure RxJS pipelines, importable as modules.
export { passthrough } from './passthrough/passthrough';
export { eventNormalizer, eventNormalizer as normalizeEvents } from './eventNormalizer/eventNormalizer';
export { logNormalizer, logNormalizer as normalizeLogs } from './logNormalizer/logNormalizer';
export { graphBuilder } from './graphBuilder/graphBuilder';
export { topologyBuilder } from './topologyBuilder/topologyBuilder';
export { lifecycle$, lifecycleEffects$, reduceLifecycle, initialLifecycleState } from './lifecycle';
export { mergeMapWide } from './operators/mergeMapWide';
export { reportProgress } from './operators/reportProgress';
export { settlesRecords } from './operators/settlement';
export type { Settleable, Settles } from './operators/settlement';
export { ofKind, byKind } from './operators/ofKind';
