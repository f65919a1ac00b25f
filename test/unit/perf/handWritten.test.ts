import { HAND_WRITTEN, handWrittenSections } from '../../../perf/run';

describe('perf render keeps hand-written sections', () => {
  it('returns the marked sections only, up to the next heading of any level', () => {
    const md = [
      '# kgroot benchmarks', '', '### Kafka adapter', '', '| a |', '',
      '### Replays without repeats', '', HAND_WRITTEN, '', '| case | after |', '| kill | 0 |', '',
      '## Failures', '', '- none',
    ].join('\n');
    expect(handWrittenSections(md)).toEqual([['### Replays without repeats', '', HAND_WRITTEN, '', '| case | after |', '| kill | 0 |'].join('\n') + '\n']);
    expect(handWrittenSections(md.replace(HAND_WRITTEN, ''))).toEqual([]);
  });
});
