import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '../log/logger';
import { StackConfig, boltUriOf, kafkaBrokersOf } from './stackConfig';
import { kafkaAnswers, neo4jAnswers } from './readiness';

/**
 * The local stack: Apache Kafka (KRaft, one node) and Neo4j Community, fetched as jars from
 * Maven Central and run as two java processes on loopback. Pids, logs and data live in
 * `stateDir`; `down` stops exactly the processes whose pid files it wrote.
 */
export type Service = 'kafka' | 'neo4j';
export const SERVICES: readonly Service[] = ['kafka', 'neo4j'];

export class StackError extends Error {}

interface Paths {
  lib: string;
  dir: string;
  pid: string;
  log: string;
  data: string;
}

export function servicePaths(c: StackConfig, s: Service): Paths {
  const version = s === 'kafka' ? c.kafkaVersion : c.neo4jVersion;
  const dir = join(c.stateDir, s);
  return {
    // The recipe's hash in the name: a changed pom or launcher fetches into a fresh folder.
    lib: join(c.cacheDir, `${s}-${version}-${recipeHash(c, s)}`),
    dir,
    pid: join(dir, `${s}.pid`),
    log: join(dir, `${s}.log`),
    data: join(dir, 'data'),
  };
}

const recipeHashes = new Map<string, string>();
function recipeHash(c: StackConfig, s: Service): string {
  const key = `${c.recipeDir}/${s}`;
  let h = recipeHashes.get(key);
  if (!h) {
    const hash = createHash('sha256');
    for (const f of readdirSync(join(c.recipeDir, s)).sort()) hash.update(f).update(readFileSync(join(c.recipeDir, s, f)));
    h = hash.digest('hex').slice(0, 8);
    recipeHashes.set(key, h);
  }
  return h;
}

function need(tool: string, fix: string): void {
  const r = spawnSync(tool, ['-version'], { stdio: 'ignore' });
  if (r.error) throw new StackError(`\`${tool}\` was not found on PATH. ${fix}`);
}

const JAVA_FIX = 'Install a JDK 17 or newer (Debian: apt-get install -y openjdk-17-jdk-headless) and make sure `java` and `javac` are on PATH.';
const MVN_FIX = 'Install Apache Maven (Debian: apt-get install -y maven); it fetches Kafka and Neo4j from Maven Central once.';

function run(cmd: string, args: string[], log: Logger, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(
      () => log.info({ what, elapsedS: Math.round((Date.now() - started) / 1000) }, 'still fetching'),
      15_000,
    );
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      clearInterval(timer);
      if (err) reject(new StackError(`${what} failed: ${err.message}\n${stdout.slice(-4000)}${stderr.slice(-4000)}`));
      else resolve();
    });
  });
}

/** Fetches the jars of one service into the cache (once; a `.complete` marker says it is whole). */
export async function fetchService(c: StackConfig, s: Service, log: Logger): Promise<string> {
  const p = servicePaths(c, s);
  const marker = join(p.lib, '.complete');
  if (existsSync(marker)) return p.lib;
  need('java', JAVA_FIX);
  need('mvn', MVN_FIX);
  const started = Date.now();
  log.info({ service: s, into: p.lib }, 'fetching from Maven Central (first time only)');
  rmSync(p.lib, { recursive: true, force: true });
  mkdirSync(p.lib, { recursive: true });
  await run(
    'mvn',
    ['-B', '-q', '-f', join(c.recipeDir, s, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${join(p.lib, 'lib')}`],
    log,
    `mvn fetch of ${s}`,
  );
  if (s === 'neo4j') {
    need('javac', JAVA_FIX);
    await run('javac', ['-cp', join(p.lib, 'lib', '*'), '-d', join(p.lib, 'classes'), join(c.recipeDir, 'neo4j', 'Neo4jLauncher.java')], log, 'compiling the Neo4j launcher');
  }
  writeFileSync(marker, new Date().toISOString());
  const jars = readdirSync(join(p.lib, 'lib')).length;
  log.info({ service: s, jars, seconds: (Date.now() - started) / 1000 }, 'fetched');
  return p.lib;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid from our pid file, if that process is alive and is really our java process. */
export function runningPid(c: StackConfig, s: Service): number | undefined {
  const p = servicePaths(c, s);
  if (!existsSync(p.pid)) return undefined;
  const pid = Number(readFileSync(p.pid, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(`-Dkgroot.stack=${s}`) || !cmdline.includes(p.dir)) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

const KAFKA_LOG4J = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
`;

/**
 * KRaft server.properties. The PLAINTEXT listener serves kgroot's own components (its principal,
 * User:ANONYMOUS, is a super user, so nothing changes for them); with a SASL port the broker also
 * runs a SASL_PLAINTEXT listener with SCRAM-SHA-512 for authenticated clients and the standard
 * authorizer, under which a client principal can do only what its ACLs allow.
 */
export function kafkaProperties(c: StackConfig, data: string): string {
  const sasl = c.kafkaSaslPort > 0;
  const listeners = [`PLAINTEXT://${c.host}:${c.kafkaPort}`, ...(sasl ? [`SASL_PLAINTEXT://${c.host}:${c.kafkaSaslPort}`] : [])];
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${c.host}:${c.kafkaControllerPort}`,
    `listeners=${[...listeners, `CONTROLLER://${c.host}:${c.kafkaControllerPort}`].join(',')}`,
    `advertised.listeners=${listeners.join(',')}`,
    'controller.listener.names=CONTROLLER',
    `listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${sasl ? ',SASL_PLAINTEXT:SASL_PLAINTEXT' : ''}`,
    'inter.broker.listener.name=PLAINTEXT',
    ...(sasl
      ? [
          'sasl.enabled.mechanisms=SCRAM-SHA-512',
          'listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512',
          'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
          'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
          'super.users=User:ANONYMOUS;User:admin',
        ]
      : []),
    `log.dirs=${data}`,
    'num.partitions=3',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'message.max.bytes=10485760',
    'log.retention.check.interval.ms=60000',
    '',
  ].join('\n');
}

function startJava(c: StackConfig, s: Service, args: string[]): number {
  const p = servicePaths(c, s);
  const fd = openSync(p.log, 'a');
  const child = spawn('java', [`-Dkgroot.stack=${s}`, `-Dkgroot.dir=${p.dir}`, ...args], {
    cwd: p.dir,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new StackError(`could not start java for ${s}; see ${p.log}`);
  writeFileSync(p.pid, String(child.pid));
  return child.pid;
}

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding. One in 64 such strings starts
 * with '-', which kafka-storage's argument parser reads as an option ("--cluster-id/-t: expected one
 * argument"); Kafka's own Uuid.randomUuid() draws again in that case, and so do we.
 */
export function kraftClusterId(random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function startKafka(c: StackConfig, log: Logger): Promise<number> {
  const lib = await fetchService(c, 'kafka', log);
  const p = servicePaths(c, 'kafka');
  mkdirSync(p.dir, { recursive: true });
  const props = join(p.dir, 'server.properties');
  writeFileSync(props, kafkaProperties(c, p.data));
  writeFileSync(join(p.dir, 'log4j.properties'), KAFKA_LOG4J);
  const cp = join(lib, 'lib', '*');
  if (!existsSync(join(p.data, 'meta.properties'))) {
    const clusterId = kraftClusterId();
    const r = spawnSync('java', ['-cp', cp, `-Dlog4j.configuration=file:${join(p.dir, 'log4j.properties')}`, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', props, '--ignore-formatted'], { encoding: 'utf8' });
    if (r.status !== 0) throw new StackError(`formatting KRaft storage failed:\n${r.stdout}${r.stderr}`);
    log.info({ service: 'kafka', clusterId }, 'formatted KRaft storage');
  }
  return startJava(c, 'kafka', [
    `-Xmx${c.kafkaHeap}`, `-Xms${c.kafkaHeap}`, '-XX:+UseG1GC',
    `-Dlog4j.configuration=file:${join(p.dir, 'log4j.properties')}`,
    '-cp', cp, 'kafka.Kafka', props,
  ]);
}

async function startNeo4j(c: StackConfig, log: Logger): Promise<number> {
  const lib = await fetchService(c, 'neo4j', log);
  const p = servicePaths(c, 'neo4j');
  mkdirSync(p.data, { recursive: true });
  return startJava(c, 'neo4j', [
    `-Xmx${c.neo4jHeap}`, '-XX:+UseG1GC',
    '--add-opens', 'java.base/java.nio=ALL-UNNAMED',
    '--add-opens', 'java.base/java.io=ALL-UNNAMED',
    '--add-opens', 'java.base/sun.nio.ch=ALL-UNNAMED',
    '--add-opens', 'java.base/java.lang=ALL-UNNAMED',
    '-cp', `${join(lib, 'classes')}:${join(lib, 'lib', '*')}`,
    'Neo4jLauncher', p.data, c.host, String(c.boltPort), c.neo4jPagecache,
  ]);
}

async function waitReady(c: StackConfig, s: Service, pid: number, log: Logger): Promise<void> {
  const started = Date.now();
  let lastReport = started;
  let lastError = '';
  for (;;) {
    if (!pidAlive(pid)) {
      throw new StackError(`${s} exited during start-up; the end of ${servicePaths(c, s).log}:\n${tail(servicePaths(c, s).log)}`);
    }
    try {
      if (s === 'kafka') await kafkaAnswers(kafkaBrokersOf(c), 3000);
      else await neo4jAnswers(boltUriOf(c), 3000);
      log.info({ service: s, pid, seconds: (Date.now() - started) / 1000 }, 'ready');
      return;
    } catch (e) {
      lastError = (e as Error).message;
    }
    if (Date.now() - started > c.readyTimeoutMs) {
      throw new StackError(`${s} did not answer within ${c.readyTimeoutMs} ms (last error: ${lastError}); see ${servicePaths(c, s).log}`);
    }
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      log.info({ service: s, elapsedS: Math.round((Date.now() - started) / 1000), lastError }, 'waiting for service');
    }
    await sleep(500);
  }
}

/** Starts the given services (both by default); a service already running is left alone. Resolves with the services it started. */
export async function stackUp(c: StackConfig, log: Logger, services: readonly Service[] = SERVICES): Promise<Service[]> {
  // Fetch both first: one Maven pass each, before anything starts.
  for (const s of services) await fetchService(c, s, log);
  const started: Array<[Service, number]> = [];
  const startedNow: Service[] = [];
  for (const s of services) {
    const existing = runningPid(c, s);
    if (existing !== undefined) {
      log.info({ service: s, pid: existing }, 'already running');
      started.push([s, existing]);
      continue;
    }
    startedNow.push(s);
    await assertPortFree(c, s);
    const pid = s === 'kafka' ? await startKafka(c, log) : await startNeo4j(c, log);
    log.info({ service: s, pid, log: servicePaths(c, s).log }, 'started');
    started.push([s, pid]);
  }
  await Promise.all(started.map(([s, pid]) => waitReady(c, s, pid, log)));
  return startedNow;
}

async function assertPortFree(c: StackConfig, s: Service): Promise<void> {
  if (s === 'kafka' && c.kafkaSaslPort > 0) await assertOnePortFree(c, c.kafkaSaslPort, 'KGROOT_KAFKA_SASL_PORT (0 = no SASL listener)');
  await assertOnePortFree(c, s === 'kafka' ? c.kafkaPort : c.boltPort, s === 'kafka' ? 'KGROOT_KAFKA_PORT' : 'KGROOT_NEO4J_BOLT_PORT');
}

async function assertOnePortFree(c: StackConfig, port: number, variable: string): Promise<void> {
  const net = await import('node:net');
  const inUse = await new Promise<boolean>((resolve) => {
    const sock = net.connect({ host: c.host, port }, () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
  if (inUse) {
    throw new StackError(
      `port ${c.host}:${port} is in use by a process this stack did not start; stop it, or pick another port with ${variable}`,
    );
  }
}

/** Stops exactly the processes our pid files name: SIGTERM, then SIGKILL after `graceMs`. */
export async function stackDown(c: StackConfig, log: Logger, services: readonly Service[] = SERVICES, graceMs = 30_000): Promise<void> {
  // Reverse start order: Neo4j stops before Kafka.
  for (const s of [...services].reverse()) {
    const pid = runningPid(c, s);
    const p = servicePaths(c, s);
    if (pid === undefined) {
      log.info({ service: s }, 'not running');
      rmSync(p.pid, { force: true });
      continue;
    }
    process.kill(pid, 'SIGTERM');
    const started = Date.now();
    while (pidAlive(pid) && Date.now() - started < graceMs) await sleep(200);
    if (pidAlive(pid)) {
      log.warn({ service: s, pid }, 'did not stop in time, killing');
      process.kill(pid, 'SIGKILL');
      while (pidAlive(pid)) await sleep(100);
    }
    rmSync(p.pid, { force: true });
    log.info({ service: s, pid, seconds: (Date.now() - started) / 1000 }, 'stopped');
  }
}

export interface ServiceStatus {
  service: Service;
  running: boolean;
  pid?: number;
  address: string;
  log: string;
}

export function stackStatus(c: StackConfig): ServiceStatus[] {
  return SERVICES.map((s) => {
    const pid = runningPid(c, s);
    return {
      service: s,
      running: pid !== undefined,
      pid,
      address: s === 'kafka' ? kafkaBrokersOf(c) : boltUriOf(c),
      log: servicePaths(c, s).log,
    };
  });
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The classpath of the cached Kafka jars (its admin tools run from it); fetched on first use. */
export async function kafkaClasspath(c: StackConfig, log: Logger): Promise<string> {
  return join(await fetchService(c, 'kafka', log), 'lib', '*');
}
