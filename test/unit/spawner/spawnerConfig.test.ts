import { ConfigError } from '../../../src/config/env';
import { loadSpawnerConfig } from '../../../src/spawner/spawnerConfig';

describe('WORKER_CGROUP_PARENT', () => {
  it('is empty by default: the engine picks the parent cgroup', () => {
    expect(loadSpawnerConfig({}).docker.cgroupParent).toBe('');
  });

  it('takes a cgroup path or a systemd slice', () => {
    expect(loadSpawnerConfig({ WORKER_CGROUP_PARENT: '/kgroot_workers' }).docker.cgroupParent).toBe('/kgroot_workers');
    expect(loadSpawnerConfig({ WORKER_CGROUP_PARENT: 'kgroot-workers.slice' }).docker.cgroupParent).toBe('kgroot-workers.slice');
    expect(loadSpawnerConfig({ WORKER_CGROUP_PARENT: '/a/b_c' }).docker.cgroupParent).toBe('/a/b_c');
  });

  it.each(['../escape', '/a/../b', '/a b', '/a;rm', '/a//b', '/'])('refuses %j, naming the variable', (v) => {
    expect(() => loadSpawnerConfig({ WORKER_CGROUP_PARENT: v })).toThrow(ConfigError);
    expect(() => loadSpawnerConfig({ WORKER_CGROUP_PARENT: v })).toThrow(/^WORKER_CGROUP_PARENT: must be a cgroup path/);
  });
});
