import { ensureTopics } from '../kafka/admin';
import { loadKafkaConnection } from '../kafka/kafkaConfig';
import { KafkaSink } from '../kafka/kafkaSink';
import { componentLogger } from '../log/logger';
import { loadWebhookConfig } from '../http/webhookConfig';
import { createWebhookServer } from '../http/webhookServer';
import { loadMetricsConfig, startMetricsServer } from '../metrics/metricsServer';

export const description = 'Alertmanager webhook receiver: POST /webhooks/alertmanager/{client} → alerts.raw (WEBHOOK_TOKENS, WEBHOOK_PORT)';

export async function main(): Promise<number> {
  const config = loadWebhookConfig(process.env);
  const log = componentLogger('webhook-receiver');
  if (config.tokens.size === 0) log.warn('no tokens configured (WEBHOOK_TOKENS / WEBHOOK_TOKENS_FILE): every request will be refused with 403');
  const connection = loadKafkaConnection(process.env, 'kg-webhook-receiver');
  await ensureTopics(connection, log);
  const sink = await KafkaSink.connect({ connection }, log);
  const server = createWebhookServer(config, { send: (r) => sink.send(r), log });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  log.info({ address, clients: [...config.tokens.keys()], maxBodyBytes: config.maxBodyBytes }, 'listening');
  // /metrics and /healthz on METRICS_PORT, like every other component (the Docker HEALTHCHECK asks it).
  const metrics = await startMetricsServer(loadMetricsConfig(process.env), log, () => (server.listening ? [] : ['webhook server not listening'])).catch((err: Error) => {
    log.warn({ err: err.message }, 'metrics server not started; set METRICS_PORT to a free port, 0 for any, -1 for none');
    return undefined;
  });
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'stopping: no new requests, finishing the ones under way');
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      metrics?.close();
      server.close(() => {
        void sink.close().then(() => resolve(0));
      });
      server.closeIdleConnections();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
