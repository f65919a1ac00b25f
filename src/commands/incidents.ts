import { assertClientId } from '../domain/clientId';
import { listIncidents } from '../rca/answer';
import { answerOptions, flag, UsageError, withRcaStore } from './rca';

/** Reads its own argv (see main). */
export const ownArgs = true;

export const description = "a client's alerts with state, top cause, fault type and times: incidents --client <id> [--limit 50] [--no-fekg] [--json]";

/** Lists a client's alerts, latest first, each with its top root cause and fault type (one GraphStore for all). */
export async function main(args: string[]): Promise<number> {
  let client: string;
  let limit: number;
  try {
    client = assertClientId(flag(args, '--client'), '--client');
    const l = flag(args, '--limit') ?? '50';
    if (!/^\d+$/.test(l ?? '') || Number(l) < 1) throw new UsageError(`--limit must be a whole number ≥ 1, got ${JSON.stringify(l)}`);
    limit = Number(l);
  } catch (err) {
    process.stderr.write(`kgroot incidents: ${(err as Error).message}\n`);
    return 2;
  }
  const opts = answerOptions(args.filter((a, i) => a !== '--limit' && args[i - 1] !== '--limit'));
  return withRcaStore('incidents', async (store) => {
    const list = await listIncidents(store, client, limit, opts);
    if (args.includes('--json')) {
      process.stdout.write(JSON.stringify({ client, incidents: list }, null, 2) + '\n');
      return 0;
    }
    process.stdout.write(`${list.length} alert${list.length === 1 ? '' : 's'} in ${client}'s graph, latest first:\n`);
    for (const i of list) {
      const top = i.top ? `${i.top.score.toFixed(3)} ${i.top.reason} ${i.top.resource ?? ''} ${i.top.at}` : '(no cause found)';
      process.stdout.write(`  ${i.startsAt}  ${i.status.padEnd(8)} ${i.alertname.padEnd(28)} ${i.fingerprint.padEnd(18)} ${String(i.faultType ?? '-').padEnd(20)} ${top}\n`);
    }
    return 0;
  });
}
