import { CausalEdgeRow } from '../../../src/graph/causality';
import { capCauses } from '../../../src/graph/causeCap';

const edge = (cause: string, effect: string, confidence: number): CausalEdgeRow => ({ cause, effect, confidence, rule: 'co-occurrence', lag_ms: 1, distance: 0 });

describe('capCauses', () => {
  it('keeps the strongest causes of an effect over stored and proposed edges, and drops the stored ones displaced', () => {
    const stored = [
      { cause: 'a', effect: 'e', confidence: 0.3 },
      { cause: 'b', effect: 'e', confidence: 0.5 },
      { cause: 'x', effect: 'f', confidence: 0.1 },
    ];
    const r = capCauses(stored, [edge('c', 'e', 0.9), edge('d', 'e', 0.2), edge('y', 'f', 0.4)], 2);
    expect(r.write).toEqual([edge('c', 'e', 0.9), edge('y', 'f', 0.4)]);
    expect(r.drop).toEqual([{ cause: 'a', effect: 'e' }]);
  });

  it('gives the same causes whatever the order they came in', () => {
    const all = [edge('a', 'e', 0.3), edge('b', 'e', 0.5), edge('c', 'e', 0.9), edge('d', 'e', 0.5)];
    const apply = (batches: CausalEdgeRow[][]) => {
      let graph: Array<{ cause: string; effect: string; confidence: number }> = [];
      for (const b of batches) {
        const { write, drop } = capCauses(graph, b, 2);
        graph = graph.filter((g) => !drop.some((d) => d.cause === g.cause && d.effect === g.effect) && !write.some((w) => w.cause === g.cause && w.effect === g.effect));
        graph.push(...write.map(({ cause, effect, confidence }) => ({ cause, effect, confidence })));
      }
      return graph.map((g) => g.cause).sort();
    };
    expect(apply([all])).toEqual(['b', 'c']);
    expect(apply([[all[0]], [all[1]], [all[2]], [all[3]]])).toEqual(['b', 'c']);
    expect(apply([[all[3]], [all[2]], [all[0]], [all[1]]])).toEqual(['b', 'c']);
  });

  it('a proposed edge between events already linked replaces the stored one', () => {
    expect(capCauses([{ cause: 'a', effect: 'e', confidence: 0.2 }], [edge('a', 'e', 0.6)], 5)).toEqual({ write: [edge('a', 'e', 0.6)], drop: [] });
    // Scored lower (a longer path): the stored, nearer one stays.
    expect(capCauses([{ cause: 'a', effect: 'e', confidence: 0.6 }], [edge('a', 'e', 0.2)], 5)).toEqual({ write: [], drop: [] });
  });
});
