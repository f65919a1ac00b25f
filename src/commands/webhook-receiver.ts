import { ensureTopics } from '../kafka/admin';
import { loadKafkaConnection } from '../kafka/kafkaConfig';
import { KafkaSink } from '../kafka/kafkaSink';
import { componentLogger } from '../log/logger';
import { loadWebhookReceiverConfig } from '../http/webhookConfig';
import { nodeHttpService } from '../http/server';
import { createWebhookServer } from '../http/webhookServer';
import { runPipeline } from '../runner/runPipeline';
import { Observable } from 'rxjs';

export const description = 'Alertmanager webhook receiver: POST /webhooks/alertmanager/{client} → alerts.raw (WEBHOOK_TOKENS, WEBHOOK_PORT)';

/**
 * The webhook receiver under the runner, like every component: a signal stops intake (no new
 * requests; those under way are answered once their records are delivered), then the sink flushes
 * and disconnects. /metrics and /healthz on METRICS_PORT come from the runner.
 */
export async function main(): Promise<number> {
  const { webhook: config } = loadWebhookReceiverConfig(process.env);
  const log = componentLogger('webhook-receiver');
  if (config.tokens.size === 0) log.warn('no tokens configured (WEBHOOK_TOKENS / WEBHOOK_TOKENS_FILE): every request will be refused with 403');
  const connection = loadKafkaConnection(process.env, 'kg-webhook-receiver');
  await ensureTopics(connection, log);
  const sink = await KafkaSink.connect({ connection }, log);
  const receiver = nodeHttpService(createWebhookServer(config, { send: (r) => sink.send(r), log }), config.port, config.host);
  await receiver.start();
  log.info({ address: receiver.address(), clients: [...config.tokens.keys()], maxBodyBytes: config.maxBodyBytes }, 'listening');
  // The receiver's "effects" end when it stopped serving: the runner then closes the sink.
  const served$ = new Observable<never>((subscriber) => void receiver.stopped.then(() => subscriber.complete()));
  return runPipeline(
    {
      effects$: served$,
      stopIntake: () => void receiver.shutdown(),
      close: async () => {
        await receiver.shutdown();
        await sink.shutdown();
      },
    },
    log,
    { problems: () => (receiver.listening ? [] : ['webhook server not listening']) },
  );
}
