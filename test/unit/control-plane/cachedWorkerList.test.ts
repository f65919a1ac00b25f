import { cachedWorkerList } from '../../../src/http/clientsView';
import { WorkerInfo } from '../../../src/spawner/spawner';

const w = (name: string): WorkerInfo => ({ name, client: 'c', role: 'graph-builder', id: name, state: 'running', startedAt: null, adopted: false, restarts: 0 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cachedWorkerList (GET /clients while the engine is busy)', () => {
  it('asks the spawner at most once per maxAge, and serves the previous list when a refresh is slower than waitMs', async () => {
    let calls = 0;
    let delayMs = 0;
    const spawner = { list: async () => (calls++, await sleep(delayMs), [w(`v${calls}`)]) };
    const list = cachedWorkerList(spawner, 50, 30);
    expect((await list()).workers.map((x) => x.name)).toEqual(['v1']);
    expect((await list()).workers.map((x) => x.name)).toEqual(['v1']);
    expect(calls).toBe(1);
    await sleep(60);
    delayMs = 200; // the engine is busy
    const started = Date.now();
    const served = await list();
    expect(Date.now() - started).toBeLessThan(150);
    expect(served.workers.map((x) => x.name)).toEqual(['v1']);
    expect(calls).toBe(2);
    await sleep(250); // the slow refresh landed and replaced the cached list
    delayMs = 500;
    expect((await list()).workers.map((x) => x.name)).toEqual(['v2']);
    expect(calls).toBe(3);
  });

  it('the first list has nothing older to fall back on: it waits, and an error reaches the caller', async () => {
    const list = cachedWorkerList({ list: async () => Promise.reject(new Error('engine down')) }, 50, 10);
    await expect(list()).rejects.toThrow('engine down');
  });

  it('shows what a spawn or removal returned at once, until a list taken after it replaces it', async () => {
    let listed: WorkerInfo[] = [w('old'), w('gone')];
    let delayMs = 0;
    const list = cachedWorkerList({ list: async () => (await sleep(delayMs), listed) }, 50, 20);
    expect((await list()).workers.map((x) => x.name)).toEqual(['old', 'gone']);
    await sleep(60);
    delayMs = 300; // the engine is busy creating containers: the refresh lags
    list.note({ ...w('new'), state: 'running' });
    list.note({ ...w('gone'), state: 'removed' });
    const served = (await list()).workers;
    expect(served.map((x) => `${x.name}:${x.state}`).sort()).toEqual(['new:running', 'old:running']);
    // A list taken after the notes wins, even where it disagrees (the new worker died meanwhile).
    listed = [w('old'), { ...w('new'), state: 'exited' }];
    delayMs = 0;
    await sleep(350);
    await sleep(60);
    expect((await list()).workers.map((x) => `${x.name}:${x.state}`).sort()).toEqual(['new:exited', 'old:running']);
  });
});
