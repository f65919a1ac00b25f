import pino from 'pino';
import { readInt } from '../config/env';
import { assertClientId } from '../domain/clientId';
import { DEFAULT_ALERT_LOOKBACK_SECONDS, GraphStore } from '../neo4j/graphStore';
import { loadNeo4jConfig } from '../neo4j/neo4jConfig';
import { AnswerOptions, answerAlert, answerEvent, assertKnownClient, confirmCause, RcaNotFound, RcaReader } from '../rca/answer';
import { RcaAnswer } from '../rca/rank';
import { alertList } from '../rca/slice';

/** Reads its own argv (see main). */
export const ownArgs = true;

export const description =
  "rank an alert's root causes: rca --client <id> [--alert FINGERPRINT ...] [--starts-at T] [--limit 10] [--no-fekg] [--json]; rca confirm --client <id> --alert FINGERPRINT --cause EVENT_ID [--fault-type T]";

/** Exit codes: 0 answered; 2 bad usage; 3 unknown client, alert or event. */
export const EXIT_NOT_FOUND = 3;

/** The value after `name` on the command line. */
export function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function argsAll(args: string[], name: string): string[] {
  const out: string[] = [];
  args.forEach((a, i) => a === name && args[i + 1] !== undefined && out.push(args[i + 1]));
  return out;
}

/** The rca answer's options from the command line and ALERT_LOOKBACK_SECONDS. */
export function answerOptions(args: string[], env: NodeJS.ProcessEnv = process.env): AnswerOptions {
  const limitArg = flag(args, '--limit');
  if (limitArg !== undefined && !/^\d+$/.test(limitArg)) throw new UsageError(`--limit must be a whole number, got ${JSON.stringify(limitArg)}`);
  const lookbackMs = readInt(env, 'ALERT_LOOKBACK_SECONDS', DEFAULT_ALERT_LOOKBACK_SECONDS, { min: 1, max: 86_400 }) * 1000;
  const startsAt = flag(args, '--starts-at');
  if (startsAt !== undefined && Number.isNaN(Date.parse(startsAt))) throw new UsageError(`--starts-at must be an RFC 3339 time, got ${JSON.stringify(startsAt)}`);
  return {
    rank: { limit: limitArg === undefined ? 10 : Number(limitArg), fekg: !args.includes('--no-fekg'), alertLookbackMs: lookbackMs },
    slice: { lookbackMs },
    ...(startsAt ? { startsAt } : {}),
  };
}

export class UsageError extends Error {}

/** A store reading through the GraphStore (GRAPH_ISOLATION honoured), logging to stderr so stdout stays the answer. */
export async function connectForRca(): Promise<GraphStore> {
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn', base: { pid: process.pid, component: 'rca' } }, pino.destination(2));
  return GraphStore.connect(loadNeo4jConfig(process.env), log, {}, 10_000);
}

/**
 * Runs `work` with one GraphStore for the whole command: an unknown client, alert or event
 * (RcaNotFound) prints its message and exits {@link EXIT_NOT_FOUND}; the store is closed in any case.
 */
export async function withRcaStore(command: string, work: (store: GraphStore) => Promise<number>): Promise<number> {
  const store = await connectForRca();
  try {
    return await work(store);
  } catch (err) {
    if (!(err instanceof RcaNotFound)) throw err;
    process.stderr.write(`kgroot ${command}: ${err.message}\n`);
    return EXIT_NOT_FOUND;
  } finally {
    await store.close();
  }
}

/** The text form of an answer: one line per cause, its path below it. */
export function formatAnswer(a: RcaAnswer): string {
  const lines = [`root causes of ${a.alert.alertname} (${a.alert.fingerprint}, ${a.alert.status} since ${a.alert.startsAt}) in ${a.client}'s graph — fault type: ${a.faultType ?? 'unknown'}`];
  for (const c of a.causes) {
    lines.push(`${String(c.rank).padStart(3)}. ${c.score.toFixed(3)}  ${c.reason.padEnd(26)} ${String(c.resource ?? '').padEnd(44)} ${c.at}  (${c.hops} hop${c.hops === 1 ? '' : 's'}) ${c.eid}`);
    lines.push(`       ${c.path.map((p) => (p.rule ? `${p.reason} —${p.rule} ${p.confidence?.toFixed(3)}→` : p.reason)).join(' ')}`);
  }
  if (a.causes.length === 0) lines.push('  (no causal path leads to it)');
  return lines.join('\n') + '\n';
}

async function latestAlert(reader: RcaReader, client: string): Promise<string | null> {
  const [row] = await reader.readRca(client, alertList(client, 1));
  return row ? (/^alert:(.+):-?\d+$/.exec(String(row.eid))?.[1] ?? null) : null;
}

/**
 * Prints the ranked, explained root causes of one or more alerts of a client's graph (by their
 * Alertmanager fingerprints; by default the latest alert), or with `--eid` of any event; `confirm`
 * stores the confirmed incident's fault pattern. One GraphStore for all of it.
 */
export async function main(args: string[]): Promise<number> {
  const confirm = args[0] === 'confirm';
  const rest = confirm ? args.slice(1) : args;
  let client: string;
  let opts: AnswerOptions;
  try {
    client = assertClientId(flag(rest, '--client'), '--client');
    opts = answerOptions(rest);
    if (confirm && (!flag(rest, '--alert') || !flag(rest, '--cause'))) throw new UsageError('rca confirm needs --alert FINGERPRINT and --cause EVENT_ID');
  } catch (err) {
    if (!(err instanceof UsageError) && !/client/i.test((err as Error).message)) throw err;
    process.stderr.write(`kgroot rca: ${(err as Error).message}\n`);
    return 2;
  }
  return withRcaStore('rca', async (store) => {
    if (confirm) {
      const r = await confirmCause(store, client, flag(rest, '--alert')!, flag(rest, '--cause')!, flag(rest, '--fault-type'), opts);
      const out = { client, alert: flag(rest, '--alert'), cause: flag(rest, '--cause'), pattern: r.pattern };
      process.stdout.write(rest.includes('--json') ? JSON.stringify(out, null, 2) + '\n' : `stored pattern ${r.pattern.id} (${r.pattern.faultType}, root ${r.pattern.roots.join('/')}, ${r.pattern.edges.length} edges) for ${client}\n`);
      return 0;
    }
    const eid = flag(rest, '--eid');
    let fps = argsAll(rest, '--alert');
    const answers: RcaAnswer[] = [];
    if (eid) answers.push(await answerEvent(store, client, eid, opts));
    else {
      if (fps.length === 0) {
        const latest = await latestAlert(store, client);
        if (!latest) {
          await assertKnownClient(store, client);
          throw new RcaNotFound('alert', `no alert in ${client}'s graph yet`);
        }
        fps = [latest as string];
      }
      for (const fp of fps) answers.push(await answerAlert(store, client, fp, opts));
    }
    if (rest.includes('--json')) process.stdout.write(JSON.stringify(answers.length === 1 ? answers[0] : answers, null, 2) + '\n');
    else for (const a of answers) process.stdout.write(formatAnswer(a));
    return 0;
  });
}
