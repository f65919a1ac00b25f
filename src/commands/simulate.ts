import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { clientIdArg, nonNegativeNumber, parseArgs } from '../config/args';

const atLeastOne = (v: string): number => Math.max(1, nonNegativeNumber(v));
import { KEY_SEPARATOR, formatKey } from '../domain/keys';
import { KafkaSink } from '../kafka/kafkaSink';
import { loadKafkaConnection } from '../kafka/kafkaConfig';
import { OutRecord } from '../kafka/record';
import { TOPICS } from '../kafka/topics';
import { componentLogger } from '../log/logger';
import { BuiltScenario, SCENARIO_NAMES, TimelineItem, buildScenario, noiseItem } from '../simulator/scenarios';
import { K8sObject } from '../simulator/k8sShapes';

export const description = 'simulate a client cluster: registration, heartbeats, resources, an incident scenario and background noise';

export interface SimulateArgs {
  client: string;
  scenario: string;
  /** Background records (normal events, info logs) per second. */
  rate: number;
  heartbeatSeconds: number;
  groundTruth: string;
  /** Seconds to wait after registering before the scenario starts (workers spawning). */
  delaySeconds: number;
  exitAfterScenario: boolean;
  /**
   * Replay speed-up: a scenario spans the 15+ minutes between its first symptom and the alert (the
   * rules' `for:`); records keep their real times, ending now, and are sent `speed` times faster.
   */
  speed: number;
}

/** The options of `kgroot simulate`. */
export function define(cmd: Command): void {
  cmd
    .requiredOption('--client <id>', 'the simulated client (a valid client id)', clientIdArg)
    .addOption(new Option('--scenario <name>', 'the incident to play').choices(SCENARIO_NAMES).default('oom-kill'))
    .option('--rate <n>', 'background records (normal events, info logs) per second', nonNegativeNumber, 20)
    .option('--heartbeat-seconds <n>', 'seconds between heartbeats (0: none)', nonNegativeNumber, 30)
    .option('--ground-truth <file>', 'where the ground truth is written (default ground-truth-<client>.json)')
    .option('--delay-seconds <n>', 'seconds to wait after registering before the scenario starts', nonNegativeNumber, 0)
    .option('--exit-after-scenario', 'exit once the scenario is sent', false)
    .option('--speed <n>', 'replay speed-up of the scenario (its records keep their real, past times)', atLeastOne, 60);
}

export function parseSimulateArgs(args: string[]): SimulateArgs {
  const o = parseArgs('simulate', define, args) as {
    client: string; scenario: string; rate: number; heartbeatSeconds: number; groundTruth?: string; delaySeconds: number; exitAfterScenario: boolean; speed: number;
  };
  return { ...o, speed: Math.max(1, o.speed), groundTruth: o.groundTruth ?? `ground-truth-${o.client}.json` };
}

function resourceKey(client: string, o: K8sObject): string {
  return formatKey(client, o.kind, o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);
}

/** The Kafka record of a timeline item, keyed as DESIGN.md says. */
export function timelineRecord(client: string, item: TimelineItem): OutRecord {
  const value = Buffer.from(JSON.stringify(item.value ?? null));
  switch (item.type) {
    case 'event':
      return { topic: TOPICS.rawEvents.name, key: formatKey(client, 'event', item.uid), value };
    case 'log':
      return { topic: TOPICS.rawLogs.name, key: formatKey(client, 'log', item.uid), value };
    case 'alert':
      return { topic: TOPICS.alertsRaw.name, key: formatKey(client, 'alert', item.fingerprint), value };
    case 'resource':
      return resourceRecord(client, item.object, item.value);
  }
}

/** A state.k8s.resource record: the object (or a tombstone for a deleted one) keyed by kind and name. */
export function resourceRecord(client: string, o: K8sObject, value: K8sObject | null = o): OutRecord {
  return { topic: TOPICS.resources.name, key: resourceKey(client, o), value: value === null ? null : Buffer.from(JSON.stringify(value)) };
}

export function registrationRecord(client: string, secret: string | undefined): OutRecord {
  const body: Record<string, unknown> = { client_id: client, cluster_name: `${client}-cluster`, k8s_version: 'v1.30.4', agent: 'kgroot-simulator' };
  if (secret) body.token = createHmac('sha256', secret).update(client).digest('hex');
  return { topic: TOPICS.registry.name, key: client, value: Buffer.from(JSON.stringify(body)) };
}

export function topologyRecord(client: string, s: BuiltScenario): OutRecord {
  // The edges a client's agent would publish; the topology builder derives the same from the objects.
  const ref = (o: K8sObject) => ({ kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name });
  const edges = s.resources
    .filter((o) => o.kind === 'Pod')
    .map((p) => ({ from: ref(p), to: { kind: 'Node', namespace: '', name: (p.spec as { nodeName: string }).nodeName }, type: 'RUNS_ON' }));
  return { topic: TOPICS.topology.name, key: `${client}${KEY_SEPARATOR}topology`, value: Buffer.from(JSON.stringify({ edges })) };
}

export async function main(argv: string[]): Promise<number> {
  const args = parseSimulateArgs(argv);
  const log = componentLogger('simulator', args.client);
  const sink = await KafkaSink.connect({ connection: loadKafkaConnection(process.env, `kgroot-simulator-${args.client}`) }, log);
  const secret = process.env.REGISTRATION_SECRET || undefined;
  let stopping = false;
  const timers: NodeJS.Timeout[] = [];
  const heartbeat = () =>
    sink
      .send({ topic: TOPICS.heartbeat.name, key: args.client, value: Buffer.from(JSON.stringify({ client_id: args.client, timestamp: new Date().toISOString() })) })
      .then(() => log.debug('heartbeat'), (err: Error) => log.warn({ err: err.message }, 'heartbeat failed'));

  await sink.send(registrationRecord(args.client, secret));
  log.info({ signed: Boolean(secret) }, 'registered');
  await heartbeat();
  if (args.heartbeatSeconds > 0) timers.push(setInterval(() => void heartbeat(), args.heartbeatSeconds * 1000));

  const done = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping: no more heartbeats, the client will go stale');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

  if (args.delaySeconds > 0) await Promise.race([new Promise((r) => setTimeout(r, args.delaySeconds * 1000)), done]);
  // The scenario's history ends about now: its first records are backdated by its span.
  const span = Math.max(...buildScenario(args.scenario, 0).timeline.map((i) => i.atMs));
  const start = Date.now() - span;
  const scenario = buildScenario(args.scenario, start);
  await Promise.all(scenario.resources.map((o) => sink.send(resourceRecord(args.client, o))));
  await sink.send(topologyRecord(args.client, scenario));
  log.info({ resources: scenario.resources.length }, 'published resources and topology');

  const injected = scenario.timeline.map((item) => ({ atMs: item.atMs, type: item.type, key: String(timelineRecord(args.client, item).key) }));
  writeFileSync(
    args.groundTruth,
    JSON.stringify(
      { client: args.client, scenario: scenario.name, description: scenario.description, started_at: new Date(start).toISOString(), speed: args.speed, root_cause: scenario.rootCause, expected_effects: scenario.expectedEffects, injected },
      null,
      2,
    ),
  );
  log.info({ scenario: scenario.name, file: args.groundTruth, rootCause: scenario.rootCause }, 'ground truth written');

  let sent = 0;
  for (const item of scenario.timeline) {
    timers.push(
      setTimeout(() => {
        if (stopping) return;
        void sink.send(timelineRecord(args.client, item)).then(() => {
          sent++;
          log.info({ type: item.type, atMs: item.atMs, reason: (item.value as { reason?: string } | null)?.reason ?? (item.value as { labels?: { alertname?: string } } | null)?.labels?.alertname }, 'injected');
        });
      }, item.atMs / args.speed),
    );
  }
  let n = 0;
  if (args.rate > 0) {
    timers.push(
      setInterval(() => {
        if (stopping) return;
        const now = Date.now();
        const count = Math.max(1, Math.round(args.rate / 10));
        for (let i = 0; i < count; i++) void sink.send(timelineRecord(args.client, noiseItem(scenario.resources, n++, now)));
      }, 100),
    );
  }
  const lastAt = Math.max(...scenario.timeline.map((i) => i.atMs));
  if (args.exitAfterScenario) {
    await Promise.race([new Promise((r) => setTimeout(r, lastAt / args.speed + 1000)), done]);
    stopping = true;
  } else {
    await done;
  }
  for (const t of timers) clearInterval(t);
  await sink.close();
  log.info({ injected: sent, noise: n }, 'simulator stopped');
  return 0;
}
