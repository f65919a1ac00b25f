import { GRAPH_BUILDER_DEFAULTS } from '../../../pipelines/graphBuilder/graphBuilder';
import { loadGraphBuilderConfig } from '../../../src/commands/graph-builder';
import { loadTopologyBuilderConfig } from '../../../src/commands/topology-builder';
import { ConfigError } from '../../../src/config/env';
import { CAUSAL_DEFAULTS } from '../../../src/neo4j/graphStore';

describe('component configs', () => {
  it('the graph builder command reads its environment over the one set of defaults', () => {
    const c = loadGraphBuilderConfig({ CLIENT_ID: 'acme' });
    expect(c).toMatchObject({ maxBatchSize: GRAPH_BUILDER_DEFAULTS.maxBatchSize, maxBatchMs: GRAPH_BUILDER_DEFAULTS.maxBatchMs, maxBatchesInFlight: GRAPH_BUILDER_DEFAULTS.maxBatchesInFlight, logWindowMs: GRAPH_BUILDER_DEFAULTS.logWindowMs, maxInFlight: 2000 * 4 });
    expect(c.causal).toEqual(CAUSAL_DEFAULTS);
    expect(loadGraphBuilderConfig({ CLIENT_ID: 'acme', GRAPH_BATCHES_IN_FLIGHT: '1', CAUSAL_WINDOW_SECONDS: '60' })).toMatchObject({ maxBatchesInFlight: 1, maxInFlight: 6000, causal: { windowMs: 60_000 } });
  });

  it('an in-flight bound below the batch size is refused, naming the variable and the fix', () => {
    const err = (() => {
      try {
        loadGraphBuilderConfig({ CLIENT_ID: 'acme', GRAPH_BATCH_SIZE: '500', GRAPH_MAX_IN_FLIGHT: '100' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe('GRAPH_MAX_IN_FLIGHT');
    expect((err as Error).message).toBe('GRAPH_MAX_IN_FLIGHT: 100 is below GRAPH_BATCH_SIZE (500), so no batch can ever fill. Set GRAPH_MAX_IN_FLIGHT to at least GRAPH_BATCH_SIZE, or unset it for the default');
    expect(() => loadTopologyBuilderConfig({ TOPOLOGY_BATCH_SIZE: '2000', TOPOLOGY_MAX_IN_FLIGHT: '1999' })).toThrow(/^TOPOLOGY_MAX_IN_FLIGHT: 1999 is below TOPOLOGY_BATCH_SIZE \(2000\)/);
    expect(loadTopologyBuilderConfig({ TOPOLOGY_BATCH_SIZE: '100', TOPOLOGY_MAX_IN_FLIGHT: '100' }).maxInFlight).toBe(100);
  });
});
