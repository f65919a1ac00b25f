import { loadGraphBuilderConfig } from '../../../src/commands/graph-builder';
import { loadRouterConfig } from '../../../src/commands/router';
import { ConfigError, Env } from '../../../src/config/env';
import { loadControlPlaneConfig } from '../../../src/controlPlane/controlPlaneConfig';
import { loadWebhookReceiverConfig } from '../../../src/http/webhookConfig';
import { loadNormalizerSettings } from '../../../src/normalize/normalizerConfig';

/** The ConfigError `load` throws for `env`, or a failure naming what it returned instead. */
function refusal(load: (env: Env) => unknown, env: Env): ConfigError {
  let result: unknown;
  try {
    result = load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError, got ${JSON.stringify(result)}`);
}

describe('each component validates its settings, naming the variable and the fix', () => {
  it('graph builder: the in-flight bound holds GRAPH_BATCHES_IN_FLIGHT full batches', () => {
    const e = refusal(loadGraphBuilderConfig, { CLIENT_ID: 'acme', GRAPH_BATCH_SIZE: '1000', GRAPH_BATCHES_IN_FLIGHT: '4', GRAPH_MAX_IN_FLIGHT: '3000' });
    expect(e.variable).toBe('GRAPH_MAX_IN_FLIGHT');
    expect(e.message).toBe(
      'GRAPH_MAX_IN_FLIGHT: 3000 cannot hold GRAPH_BATCHES_IN_FLIGHT (4) full batches of GRAPH_BATCH_SIZE (1000), 4000 records. Set GRAPH_MAX_IN_FLIGHT to at least GRAPH_BATCH_SIZE × GRAPH_BATCHES_IN_FLIGHT, lower GRAPH_BATCHES_IN_FLIGHT, or unset GRAPH_MAX_IN_FLIGHT for the default',
    );
    expect(loadGraphBuilderConfig({ CLIENT_ID: 'acme', GRAPH_BATCH_SIZE: '1000', GRAPH_BATCHES_IN_FLIGHT: '4', GRAPH_MAX_IN_FLIGHT: '4000' })).toMatchObject({ maxInFlight: 4000, sourceBatchSize: 1000 });
    // The source never asks for more than the in-flight bound.
    expect(loadGraphBuilderConfig({ CLIENT_ID: 'acme', GRAPH_BATCH_SIZE: '300', GRAPH_BATCHES_IN_FLIGHT: '1', GRAPH_MAX_IN_FLIGHT: '400' }).sourceBatchSize).toBe(400);
    expect(refusal(loadGraphBuilderConfig, { CLIENT_ID: 'acme', CAUSAL_WINDOW_SECONDS: '600', ALERT_LOOKBACK_SECONDS: '300' }).variable).toBe('ALERT_LOOKBACK_SECONDS');
    expect(refusal(loadGraphBuilderConfig, {}).message).toMatch(/^CLIENT_ID: is not set\. Set CLIENT_ID/);
  });

  it('normalizers: SOURCE_MAX_IN_FLIGHT below SOURCE_BATCH_SIZE is refused', () => {
    const e = refusal((env) => loadNormalizerSettings(env, 'event-normalizer'), { CLIENT_ID: 'acme', SOURCE_MAX_IN_FLIGHT: '200' });
    expect(e.variable).toBe('SOURCE_MAX_IN_FLIGHT');
    expect(e.message).toBe('SOURCE_MAX_IN_FLIGHT: 200 is below SOURCE_BATCH_SIZE (250), so no batch can ever fill. Set SOURCE_MAX_IN_FLIGHT to at least SOURCE_BATCH_SIZE, or unset it for the default');
    expect(loadNormalizerSettings({ CLIENT_ID: 'acme', SOURCE_MAX_IN_FLIGHT: '200', SOURCE_BATCH_SIZE: '200' }, 'log-normalizer')).toMatchObject({ maxInFlight: 200, batchSize: 200 });
    expect(loadNormalizerSettings({ CLIENT_ID: 'acme' }, 'log-normalizer')).toMatchObject({ maxInFlight: 1000, batchSize: 250 });
  });

  it('router: ROUTER_MAX_IN_FLIGHT below ROUTER_BATCH_SIZE, or no topic, is refused', () => {
    expect(refusal(loadRouterConfig, { ROUTER_MAX_IN_FLIGHT: '100', ROUTER_BATCH_SIZE: '500' }).message).toMatch(/^ROUTER_MAX_IN_FLIGHT: 100 is below ROUTER_BATCH_SIZE \(500\)/);
    expect(refusal(loadRouterConfig, { ROUTER_TOPICS: ' , ' }).message).toBe('ROUTER_TOPICS: names no topic. List the shared topics to route, separated by commas, or unset it for the default');
    expect(loadRouterConfig({})).toMatchObject({ maxInFlight: 5000, batchSize: 1000, group: 'router', start: 'earliest' });
  });

  it('control plane: its HTTP server and the metrics server cannot share a port', () => {
    const e = refusal(loadControlPlaneConfig, { CONTROL_PLANE_PORT: '9464' });
    expect(e.variable).toBe('CONTROL_PLANE_PORT');
    expect(e.message).toBe('CONTROL_PLANE_PORT: is 9464, the port of METRICS_PORT too. Give CONTROL_PLANE_PORT and METRICS_PORT different ports (0 picks a free one)');
    const c = loadControlPlaneConfig({ CONTROL_PLANE_PORT: '0', METRICS_PORT: '0' });
    expect(c).toMatchObject({ api: { port: 0, host: '127.0.0.1' }, metrics: { port: 0 }, neo4j: { isolation: 'auto' }, groupSuffix: '' });
    // The lifecycle's own cross-field check still names its variable.
    expect(refusal(loadControlPlaneConfig, { HEARTBEAT_CHECK_INTERVAL_SECONDS: '300', STALE_CLIENT_THRESHOLD_MINUTES: '2' }).variable).toBe('HEARTBEAT_CHECK_INTERVAL_SECONDS');
  });

  it('webhook receiver: its port and the metrics port differ', () => {
    const e = refusal(loadWebhookReceiverConfig, { WEBHOOK_PORT: '9100', METRICS_PORT: '9100' });
    expect(e.variable).toBe('WEBHOOK_PORT');
    expect(e.message).toMatch(/^WEBHOOK_PORT: is 9100, the port of METRICS_PORT too\./);
    expect(loadWebhookReceiverConfig({})).toMatchObject({ webhook: { host: '0.0.0.0', port: 9095, maxBodyBytes: 1024 * 1024 }, metrics: { port: 9464 } });
  });
});
