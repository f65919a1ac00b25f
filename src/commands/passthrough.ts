import { Env, readInt, readRequired, readString } from '../config/env';
import { KafkaSink } from '../kafka/kafkaSink';
import { KafkaSource } from '../kafka/kafkaSource';
import { loadKafkaConnection } from '../kafka/kafkaConfig';
import { componentLogger } from '../log/logger';
import { runPipeline, sourced } from '../runner/runPipeline';
import { passthrough } from '../../pipelines/passthrough/passthrough';
import { tap } from 'rxjs';

export const description = 'copy PASSTHROUGH_FROM to PASSTHROUGH_TO (adapter benchmark and drain test)';

export interface PassthroughCommandConfig {
  from: string;
  to: string;
  group: string;
  maxInFlight: number;
  progressEvery: number;
}

export function loadPassthroughConfig(env: Env): PassthroughCommandConfig {
  const fix = 'Set it to the topic name';
  const from = readRequired(env, 'PASSTHROUGH_FROM', fix);
  return {
    from,
    to: readRequired(env, 'PASSTHROUGH_TO', fix),
    group: readString(env, 'PASSTHROUGH_GROUP', `passthrough-${from}`),
    maxInFlight: readInt(env, 'MAX_IN_FLIGHT', 5000, { min: 1 }),
    progressEvery: readInt(env, 'PROGRESS_EVERY', 100_000, { min: 1 }),
  };
}

export async function main(): Promise<number> {
  const config = loadPassthroughConfig(process.env);
  const log = componentLogger('passthrough');
  const connection = loadKafkaConnection(process.env, 'kgroot-passthrough');
  const source = new KafkaSource({ connection, groupId: config.group, topics: [config.from], maxInFlight: config.maxInFlight, batchSize: 1000 }, log);
  const sink = await KafkaSink.connect({ connection }, log);
  let copied = 0;
  const started = Date.now();
  const effects$ = passthrough({ batches$: source.batches$ }, { sendBatch: (o) => sink.sendBatch$(o) }, { to: config.to, concurrency: 64 }).pipe(
    tap((c) => {
      const before = copied;
      copied += c.count;
      if (Math.floor(copied / config.progressEvery) > Math.floor(before / config.progressEvery)) {
        log.info({ copied, ratePerS: Math.round(copied / ((Date.now() - started) / 1000)) }, 'progress');
      }
    }),
  );
  return runPipeline(
    sourced(effects$, source, () => sink.close(), () => log.info({ copied }, 'passthrough finished')),
    log,
  );
}
