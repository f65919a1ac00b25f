import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Env, readOptional } from '../config/env';
import { KafkaConnection } from '../kafka/kafkaConfig';
import { Logger } from '../log/logger';
import { kafkaClasspath } from '../stack/localStack';
import { loadStackConfig } from '../stack/stackConfig';
import { ClientAuthSettings, clientUsername, provisionCommands, revokeCommands } from './clientAuth';

/** Gives a client its Kafka user, ACLs and quotas, and takes them back. */
export interface ClientAuthAdmin {
  provision(client: string): Promise<void>;
  revoke(client: string): Promise<void>;
}

/**
 * node-rdkafka's admin client cannot create SCRAM credentials, ACLs or quotas, so this runs Kafka's
 * own admin tools (kafka.admin.ConfigCommand, kafka.admin.AclCommand) with java, from
 * KAFKA_TOOLS_CLASSPATH or else the local stack's cached Kafka jars, against KAFKA_BROKERS with
 * the process's own connection settings. The three runs of one client go in parallel (each JVM
 * start costs seconds); nothing here blocks the lifecycle reducer, it runs in the effects stage.
 */
export function kafkaToolsAuthAdmin(connection: KafkaConnection, settings: ClientAuthSettings, env: Env, log: Logger): ClientAuthAdmin {
  let classpath: Promise<string> | undefined;
  const cp = () => (classpath ??= Promise.resolve(readOptional(env, 'KAFKA_TOOLS_CLASSPATH') ?? kafkaClasspath(loadStackConfig(env), log)));
  const dir = mkdtempSync(join(tmpdir(), 'kgroot-kafka-tools-'));
  const log4j = join(dir, 'log4j.properties');
  writeFileSync(log4j, 'log4j.rootLogger=ERROR, stderr\nlog4j.appender.stderr=org.apache.log4j.ConsoleAppender\nlog4j.appender.stderr.Target=System.err\nlog4j.appender.stderr.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stderr.layout.ConversionPattern=%p %m%n\n');
  const connectArgs = ['--bootstrap-server', connection.brokers];
  if (connection.sasl) {
    const file = join(dir, 'admin.properties');
    const q = (v: string) => JSON.stringify(v);
    writeFileSync(
      file,
      `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=${connection.sasl.mechanism}\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=${q(connection.sasl.username)} password=${q(connection.sasl.password)};\n`,
      { mode: 0o600 },
    );
    connectArgs.push('--command-config', file);
  }
  const tool = async (what: string, args: string[], tolerate?: RegExp): Promise<void> => {
    const [main, ...rest] = args;
    const javaArgs = ['-Xmx128m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', `-Dlog4j.configuration=file:${log4j}`, '-cp', await cp(), main, ...connectArgs, ...rest];
    await new Promise<void>((resolve, reject) =>
      execFile('java', javaArgs, { maxBuffer: 4 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
        const out = `${stdout}${stderr}`;
        if (!err && !/^Error while executing/m.test(out)) resolve();
        else if (tolerate?.test(out)) resolve();
        else reject(new Error(`${what} failed (${main}): ${(err?.message ?? '').split('\n')[0]} ${out.replace(/\s+/g, ' ').trim().slice(-600)}`));
      }),
    );
  };
  const all = async (client: string, action: string, cmds: Record<string, string[]>, tolerate?: RegExp) => {
    const started = Date.now();
    await Promise.all(Object.entries(cmds).map(([what, args]) => tool(`${action} ${what} of ${client}`, args, tolerate)));
    return Date.now() - started;
  };
  return {
    provision: async (client) => {
      const ms = await all(client, 'provisioning', provisionCommands(client, settings));
      log.info({ client, user: clientUsername(client), ms }, 'client Kafka credential, ACLs and quotas created');
    },
    revoke: async (client) => {
      // What is already gone (a second deregistration) is not an error: the credential's
      // ResourceNotFoundException, the quotas' "Invalid config(s)"; removing absent ACLs succeeds.
      const ms = await all(client, 'revoking', revokeCommands(client), /ResourceNotFoundException|Invalid config\(s\): producer_byte_rate/);
      log.info({ client, user: clientUsername(client), ms }, 'client Kafka credential, ACLs and quotas revoked');
    },
  };
}
