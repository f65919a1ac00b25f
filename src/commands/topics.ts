import { readInt } from '../config/env';
import { ensureTopics } from '../kafka/admin';
import { loadKafkaConnection } from '../kafka/kafkaConfig';
import { componentLogger } from '../log/logger';

export const description = 'create the topics of DESIGN.md and raw.prom.alerts if missing (idempotent)';

export async function main(): Promise<number> {
  const connection = loadKafkaConnection(process.env, 'kgroot-topics');
  const partitions = process.env.TOPIC_PARTITIONS ? readInt(process.env, 'TOPIC_PARTITIONS', 6, { min: 1, max: 1000 }) : undefined;
  const result = await ensureTopics(connection, componentLogger('topics'), undefined, partitions);
  for (const [t, r] of Object.entries(result)) process.stdout.write(`${t.padEnd(20)} ${r}\n`);
  return 0;
}
