import { firstValueFrom, from, tap, toArray } from 'rxjs';
import { settle, settled } from '../../../src/runner/settle';

describe('settle: the runner acknowledges what effects settle', () => {
  const recs = () => {
    const acked: string[] = [];
    const rec = (id: string) => ({ id, ack: () => void acked.push(id) });
    return { acked, rec };
  };

  it('acknowledges each record an effect settles, in order, and nothing of effects that settle none', () => {
    const { acked, rec } = recs();
    settle({ kind: 'graph/batch-written', settles: [rec('a'), rec('b')] });
    settle({ kind: 'graph/write-retry', records: 2 });
    settle({ kind: 'graph/foreign', settles: [rec('c')] });
    settle(null);
    settle('progress');
    expect(acked).toEqual(['a', 'b', 'c']);
  });

  it('tolerates records without ack (the lifecycle inputs of tests)', () => {
    expect(() => settle({ kind: 'x/y', settles: [{}] })).not.toThrow();
  });

  it('settled() passes the values on unchanged, acknowledging as each one passes', async () => {
    const { acked, rec } = recs();
    const seen: string[][] = [];
    const effects = [{ kind: 'a/x', settles: [rec('1')] }, { kind: 'a/y' }, { kind: 'a/x', settles: [rec('2'), rec('3')] }];
    const out = await firstValueFrom(
      from(effects).pipe(
        settled(),
        // What was acknowledged by the time each value passes on.
        tap(() => seen.push([...acked])),
        toArray(),
      ),
    );
    expect(out).toEqual(effects);
    expect(seen).toEqual([['1'], ['1'], ['1', '2', '3']]);
  });
});
