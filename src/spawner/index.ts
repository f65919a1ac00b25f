export * from './spawner';
export * from './spawnerConfig';
export * from './processSpawner';
export * from './dockerSpawner';
export * from './createSpawner';
export * from './kubernetesManifest';
