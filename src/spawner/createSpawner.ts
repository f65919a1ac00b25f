import { existsSync } from 'node:fs';
import Docker from 'dockerode';
import { Logger } from '../log/logger';
import { DockerSpawner } from './dockerSpawner';
import { ProcessSpawner } from './processSpawner';
import { Spawner } from './spawner';
import { SpawnerConfig } from './spawnerConfig';

/**
 * SPAWNER=docker|process|kubernetes, or auto: docker when WORKER_IMAGE is set and the Docker API answers
 * with that image present, else child processes (the embedded default). The choice is logged.
 */
export async function createSpawner(config: SpawnerConfig, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<Spawner> {
  let kind = config.kind;
  let why = `SPAWNER=${kind}`;
  if (kind === 'auto') {
    kind = 'process';
    why = 'auto: no WORKER_IMAGE set';
    if (env.WORKER_IMAGE && existsSync(config.docker.socketPath)) {
      try {
        const d = new Docker({ socketPath: config.docker.socketPath });
        await d.ping();
        await d.getImage(config.docker.image).inspect();
        kind = 'docker';
        why = `auto: Docker API at ${config.docker.socketPath} answers and ${config.docker.image} exists`;
      } catch (err) {
        why = `auto: Docker API or image unavailable (${(err as Error).message})`;
      }
    }
  }
  log.info({ spawner: kind, why }, 'spawner chosen');
  if (kind === 'kubernetes') {
    // Loaded only when chosen: the Kubernetes client is large and an ES module.
    const { KubernetesSpawner } = await import('./kubernetesSpawner');
    return KubernetesSpawner.connect(config.kubernetes, log, env);
  }
  if (kind === 'docker') {
    const s = DockerSpawner.connect(config.docker, log);
    await s.check();
    return s;
  }
  return ProcessSpawner.create(config.process, log, env);
}
