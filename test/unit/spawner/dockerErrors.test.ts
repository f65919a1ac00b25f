import { isLimitsUnsupported, isNameConflict, isStopRace, removeContainer } from '../../../src/spawner/dockerSpawner';

/** Errors as dockerode raises them (statusCode + the engine's JSON body), bodies as the engines send them. */
const engineError = (statusCode: number, message: string) => Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });

describe('engine errors the docker spawner tells apart', () => {
  it('a name conflict: Docker 409, and podman 500 "already in use" (its compat API before podman PR #28286)', () => {
    expect(isNameConflict(engineError(409, 'Conflict. The container name "/kg-graph-builder-acme" is already in use by container "7ec6".'))).toBe(true);
    // Captured from Debian's podman 4.x on this machine.
    const podman = 'container create: creating container storage: the container name "kgdup" is already in use by 7ec67c0c492a. You have to remove that container to be able to reuse that name: that name is already in use';
    expect(isNameConflict(engineError(500, podman))).toBe(true);
    expect(isLimitsUnsupported(engineError(500, podman))).toBe(false);
  });

  it('other failures are not conflicts', () => {
    expect(isNameConflict(engineError(500, 'crun: opening file `memory.max` for writing: No such file or directory: OCI runtime attempted to invoke a command that was not found'))).toBe(false);
    expect(isNameConflict(engineError(404, 'no such image: localhost/kgroot:dev'))).toBe(false);
    expect(isNameConflict(new Error('connect ENOENT /run/podman/podman.sock'))).toBe(false);
  });

  it("podman's forced remove racing a container's own stop is retried; other failures are not", async () => {
    // Captured from CI (podman 4.x compat API).
    const race = engineError(500, 'cannot remove container eec094b69739 as it could not be stopped: sending SIGKILL to container eec094b69739: container state improper: stopped');
    expect(isStopRace(race)).toBe(true);
    expect(isStopRace(engineError(500, 'no space left on device'))).toBe(false);
    const calls: string[] = [];
    const flaky = {
      remove: async () => {
        calls.push('remove');
        if (calls.length === 1) throw race;
      },
    };
    await removeContainer(flaky as never, 5, 1);
    expect(calls).toEqual(['remove', 'remove']);
    const gone = { remove: async () => Promise.reject(engineError(404, 'no such container')) };
    await expect(removeContainer(gone as never, 5, 1)).resolves.toBeUndefined();
    const broken = { remove: async () => Promise.reject(engineError(500, 'no space left on device')) };
    await expect(removeContainer(broken as never, 5, 1)).rejects.toThrow(/no space left/);
  });
});
