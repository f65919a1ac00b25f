import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Kafka from 'node-rdkafka';
import { ensureTopics } from '../../src/kafka/admin';
import { KafkaConnection, librdkafkaBase } from '../../src/kafka/kafkaConfig';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { TOPICS } from '../../src/kafka/topics';
import { rootLogger } from '../../src/log/logger';
import { stackDown, stackUp } from '../../src/stack/localStack';
import { loadStackConfig, StackConfig } from '../../src/stack/stackConfig';
import { tenantTopic } from '../../src/tenancy/tenantTopics';
import { freePort } from '../support/kubeApiServer';
import { ControlPlaneProcess, HeartbeatingClients, until } from '../support/controlPlaneProcess';

/**
 * KAFKA_AUTH=scram on a real broker: a Kafka of its own (so the shared stack's broker is never
 * restarted) with the local stack's SASL_PLAINTEXT listener and the standard authorizer; the real
 * control plane (process spawner) registers two clients, which gets each its SCRAM user, ACLs and
 * quotas; `kgroot clients credentials` hands them out. A producer authenticated as A is refused
 * on B's topic and on the shared raw topic, B's topic stays empty, A's own topic takes its record;
 * after A's deregistration A's credential no longer authenticates, and B still writes.
 */
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');
const run = Date.now().toString(36);
const A = `sc${run}a`;
const B = `sc${run}b`;
const SECRET = `test-secret-${run}-0123456789`;
const log = rootLogger().child({ component: 'scram-test' });

let stack: StackConfig;
let admin: KafkaConnection;
let saslBrokers: string;
let sink: KafkaSink | undefined;
let cp: ControlPlaneProcess | undefined;
let clients: HeartbeatingClients | undefined;

interface Credentials {
  brokers: string;
  username: string;
  password: string;
  mechanism: string;
  topics: string[];
}

function credentialsOf(client: string, env: Record<string, string>): Promise<Credentials> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [CLI, 'clients', 'credentials', client], { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as Credentials),
    ),
  );
}

/**
 * Connects a producer as the given user; resolves with it, or rejects with the broker's SASL error
 * (librdkafka logs it, with `debug: security`; the connect itself only fails as a transport error).
 */
function saslProducer(c: Credentials): Promise<Kafka.Producer> {
  const p = new Kafka.Producer({
    'message.timeout.ms': 15_000,
    ...librdkafkaBase({ brokers: c.brokers, clientId: c.username, maxMessageBytes: 1_000_000, sasl: { mechanism: 'SCRAM-SHA-512', username: c.username, password: c.password } }),
    dr_cb: true,
    event_cb: true,
    debug: 'security',
  } as Kafka.ProducerGlobalConfig);
  let authError: string | undefined;
  p.on('event.log', (e: { message: string }) => {
    const m = /SASL authentication error: (.*)/.exec(e.message);
    if (m) authError ??= m[1];
  });
  return new Promise((resolve, reject) => {
    p.connect({ timeout: 15_000 }, (err) => {
      if (!err && !authError) {
        resolve(p);
        return;
      }
      try {
        p.disconnect();
      } catch {
        /* never connected */
      }
      reject(new Error(authError ? `SASL authentication error: ${authError}` : err.message));
    });
  });
}

/** Produces one record and resolves with the delivery report's error ('' = written). */
function produceOne(p: Kafka.Producer, topic: string, key: string): Promise<string> {
  return new Promise((resolve) => {
    const onReport = (err: Kafka.LibrdKafkaError | null, report: Kafka.DeliveryReport) => {
      if (report.topic !== topic) return;
      p.removeListener('delivery-report', onReport);
      clearInterval(poll);
      resolve(err ? err.message : '');
    };
    p.on('delivery-report', onReport);
    const poll = setInterval(() => p.poll(), 100);
    try {
      p.produce(topic, null, Buffer.from(JSON.stringify({ probe: key })), key);
    } catch (e) {
      clearInterval(poll);
      p.removeListener('delivery-report', onReport);
      resolve((e as Error).message);
    }
  });
}

async function highWatermark(topic: string): Promise<number> {
  const c = new Kafka.KafkaConsumer({ ...librdkafkaBase(admin), 'group.id': `scram-probe-${run}` }, {});
  await new Promise<void>((r, j) => c.connect({ timeout: 15_000 }, (e) => (e ? j(e) : r())));
  try {
    let sum = 0;
    for (const partition of [0, 1, 2]) {
      sum += await new Promise<number>((r, j) => c.queryWatermarkOffsets(topic, partition, 10_000, (e, o) => (e ? j(e) : r(o.highOffset))));
    }
    return sum;
  } finally {
    await new Promise<void>((r) => c.disconnect(() => r()));
  }
}

beforeAll(async () => {
  const [kafkaPort, controllerPort, saslPort] = [await freePort(), await freePort(), await freePort()];
  stack = loadStackConfig({
    ...process.env,
    KGROOT_STACK_DIR: mkdtempSync(join(tmpdir(), 'kgroot-scram-stack-')),
    KGROOT_KAFKA_PORT: String(kafkaPort),
    KGROOT_KAFKA_CONTROLLER_PORT: String(controllerPort),
    KGROOT_KAFKA_SASL_PORT: String(saslPort),
    KGROOT_KAFKA_HEAP: '384m',
  });
  await stackUp(stack, log, ['kafka']);
  admin = { brokers: `127.0.0.1:${kafkaPort}`, clientId: 'scram-test-admin', maxMessageBytes: 1_000_000 };
  saslBrokers = `127.0.0.1:${saslPort}`;
  await ensureTopics(admin, log);
  sink = await KafkaSink.connect({ connection: admin, component: 'scram-test' }, log);
}, 180_000);

afterAll(async () => {
  clients?.stop();
  await cp?.stop();
  await sink?.close();
  if (stack) await stackDown(stack, log, ['kafka']);
}, 120_000);

test('a client authenticated as A cannot write B’s topics or the shared ones; after deregistration A’s credential is refused', async () => {
  const env = {
    KAFKA_BROKERS: admin.brokers,
    TENANCY: 'routed',
    KAFKA_AUTH: 'scram',
    KAFKA_CREDENTIAL_SECRET: SECRET,
    KAFKA_CLIENT_BROKERS: saslBrokers,
    SPAWNER: 'process',
    CONTROL_PLANE_GROUP_SUFFIX: `-${run}`,
    KGROOT_CACHE_DIR: stack.cacheDir,
  };
  cp = new ControlPlaneProcess(env);
  await until('the control plane listening', () => cp!.clients(), 60_000);
  clients = new HeartbeatingClients(sink!);
  await clients.register(A, B);
  const provisioned = await until(
    'credentials, ACLs and quotas of A and B',
    () => {
      const done = new Set(cp!.logged(/credential, ACLs and quotas created/).map((l) => l.client));
      return done.has(A) && done.has(B) ? cp!.logged(/credential, ACLs and quotas created/) : undefined;
    },
    120_000,
    500,
  );
  log.info({ provisionMs: provisioned.map((l) => l.ms) }, 'provisioned');

  const credA = await credentialsOf(A, env);
  const credB = await credentialsOf(B, env);
  expect(credA).toMatchObject({ brokers: saslBrokers, username: `tenant.${A}`, mechanism: 'SCRAM-SHA-512' });
  expect(credA.password).not.toEqual(credB.password);

  const rawA = tenantTopic(TOPICS.rawEvents.name, A);
  const rawB = tenantTopic(TOPICS.rawEvents.name, B);
  const logsB = tenantTopic(TOPICS.rawLogs.name, B);
  const pA = await saslProducer(credA);
  try {
    // node-rdkafka reports TOPIC_AUTHORIZATION_FAILED in the delivery report with code -1 and this message.
    expect(await produceOne(pA, rawB, `${B}::Event::forged-by-${A}`)).toMatch(/topic authorization failed/i);
    expect(await produceOne(pA, logsB, `${B}::Log::forged`)).toMatch(/topic authorization failed/i);
    expect(await produceOne(pA, TOPICS.rawEvents.name, `${B}::Event::forged-shared`)).toMatch(/topic authorization failed/i);
    expect(await produceOne(pA, rawA, `${A}::Event::own`)).toBe('');
  } finally {
    pA.disconnect();
  }
  expect(await highWatermark(rawB)).toBe(0);
  expect(await highWatermark(logsB)).toBe(0);
  expect(await highWatermark(TOPICS.rawEvents.name)).toBe(0);
  expect(await highWatermark(rawA)).toBe(1);

  // A deregisters (a tombstone): its credential, ACLs and quotas go; B keeps its own.
  await sink!.send({ topic: TOPICS.registry.name, key: A, value: null });
  clients.silence(A);
  await until('A revoked', () => (cp!.logged(/credential, ACLs and quotas revoked/).some((l) => l.client === A) ? true : undefined), 120_000, 500);
  await expect(saslProducer(credA)).rejects.toThrow(/SASL authentication error: Authentication failed .*invalid credentials/);
  const pB = await saslProducer(credB);
  try {
    expect(await produceOne(pB, rawB, `${B}::Event::own`)).toBe('');
  } finally {
    pB.disconnect();
  }
  expect(await highWatermark(rawB)).toBe(1);
});
