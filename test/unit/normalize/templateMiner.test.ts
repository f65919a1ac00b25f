import { TemplateMiner, tokenize } from '../../../src/normalize/templateMiner';

describe('TemplateMiner', () => {
  it('groups lines differing in variables under one template and id', () => {
    const m = new TemplateMiner();
    const a = m.add('session opened for user alice from 10.0.0.1');
    const b = m.add('session opened for user bob from 10.0.0.2');
    expect(b.templateId).toBe(a.templateId);
    expect(b.template).toBe('session opened for user <*> from <*>');
    expect(m.clusterCount).toBe(1);
  });

  it('keeps different messages apart', () => {
    const m = new TemplateMiner();
    const a = m.add('connection refused to db');
    const b = m.add('cache warmed in <*> ms');
    expect(a.templateId).not.toBe(b.templateId);
    expect(m.clusterCount).toBe(2);
  });

  it('gives the same id to the same founding line in another miner', () => {
    expect(new TemplateMiner().add('job 17 finished').templateId).toBe(new TemplateMiner().add('job 42 finished').templateId);
  });

  it('stays within maxClusters, evicting the least recently used', () => {
    const m = new TemplateMiner({ maxClusters: 50 });
    const first = m.add('alpha beta gamma');
    for (let i = 0; i < 10_000; i++) m.add(`w${'x'.repeat(i % 7)}${String.fromCharCode(97 + (i % 26))} ${'y'.repeat(1 + (i % 13))} q${String.fromCharCode(97 + ((i * 7) % 26))}`);
    expect(m.clusterCount).toBeLessThanOrEqual(50);
    // evicted, so it founds a cluster again with the same id
    expect(m.add('alpha beta gamma').templateId).toBe(first.templateId);
    expect(m.clusterCount).toBeLessThanOrEqual(50);
  });

  it('cuts long lines to maxTokens', () => {
    expect(tokenize(Array.from({ length: 100 }, () => 'w').join(' '), 10)).toHaveLength(11);
  });
});
