export * from './lifecycleTypes';
export * from './lifecycleConfig';
export * from './registrationToken';
export * from './parseLifecycleRecord';
export * from './reduceLifecycle';
export * from './lifecycle';
export * from './lifecycleEffects';
