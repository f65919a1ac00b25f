import { cachedWorkerList } from '../../../src/commands/control-plane';
import { WorkerInfo } from '../../../src/spawner/spawner';

const w = (name: string): WorkerInfo => ({ name, client: 'c', role: 'graph-builder', id: name, state: 'running', startedAt: null, adopted: false, restarts: 0 });
/** On jest's fake clock (Date.now and setTimeout): the test says when time passes, so nothing depends on the machine's speed. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);

/** Settles `p` as far as `ms` of fake time allow; undefined when it is still pending then. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let value: T | undefined;
  void p.then((v) => (value = v));
  await advance(ms);
  return value;
}

describe('cachedWorkerList (GET /clients while the engine is busy)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('asks the spawner at most once per maxAge, and serves the previous list when a refresh is slower than waitMs', async () => {
    let calls = 0;
    let delayMs = 0;
    const spawner = { list: async () => (calls++, await sleep(delayMs), [w(`v${calls}`)]) };
    const list = cachedWorkerList(spawner, 50, 30);
    expect((await within(list(), 0))?.workers.map((x) => x.name)).toEqual(['v1']);
    expect((await within(list(), 0))?.workers.map((x) => x.name)).toEqual(['v1']);
    expect(calls).toBe(1);
    await advance(60);
    delayMs = 200; // the engine is busy
    const served = list();
    // Not answered before waitMs, answered with the previous list right after it, while the refresh is still under way.
    expect(await within(served, 29)).toBeUndefined();
    expect((await within(served, 1))?.workers.map((x) => x.name)).toEqual(['v1']);
    expect(calls).toBe(2);
    await advance(250); // the slow refresh landed and replaced the cached list
    delayMs = 500;
    // Too old again: a third (slow) refresh starts, and v2 is served after waitMs.
    expect((await within(list(), 30))?.workers.map((x) => x.name)).toEqual(['v2']);
    expect(calls).toBe(3);
  });

  it('the first list has nothing older to fall back on: it waits, and an error reaches the caller', async () => {
    const list = cachedWorkerList({ list: async () => (await sleep(100), Promise.reject(new Error('engine down'))) }, 50, 10);
    const first = list();
    const outcome = first.then(() => 'resolved', (err: Error) => err.message);
    expect(await within(outcome, 50)).toBeUndefined(); // past waitMs: still waiting, nothing to serve instead
    expect(await within(outcome, 50)).toBe('engine down');
  });

  it('shows what a spawn or removal returned at once, until a list taken after it replaces it', async () => {
    let listed: WorkerInfo[] = [w('old'), w('gone')];
    let delayMs = 0;
    const list = cachedWorkerList({ list: async () => (await sleep(delayMs), listed) }, 50, 20);
    expect((await within(list(), 0))?.workers.map((x) => x.name)).toEqual(['old', 'gone']);
    await advance(60);
    delayMs = 300; // the engine is busy creating containers: the refresh lags
    list.note({ ...w('new'), state: 'running' });
    list.note({ ...w('gone'), state: 'removed' });
    const served = (await within(list(), 20))?.workers ?? [];
    expect(served.map((x) => `${x.name}:${x.state}`).sort()).toEqual(['new:running', 'old:running']);
    // A list taken after the notes wins, even where it disagrees (the new worker died meanwhile).
    listed = [w('old'), { ...w('new'), state: 'exited' }];
    delayMs = 0;
    await advance(350);
    await advance(60);
    expect((await within(list(), 0))?.workers.map((x) => `${x.name}:${x.state}`).sort()).toEqual(['new:exited', 'old:running']);
  });
});
