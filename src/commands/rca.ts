import { Command } from 'commander';
import neo4j from 'neo4j-driver';
import { assertClientId } from '../domain/clientId';
import { rootCauses } from '../graph/cypher';
import { loadNeo4jConfig } from '../neo4j/neo4jConfig';

export const description = "rank root causes in a client's graph: rca --client <id> [--eid <event id>] [--limit 10] [--json]";

export interface RankedCause {
  rank: number;
  score: number;
  reason: string;
  category: string | null;
  resource: string | null;
  at: string | null;
  hops: number;
  eid: string;
}

/** The flags of `kgroot rca` for the CLI's usage and checks; `main` reads them from its args. */
export function define(cmd: Command): void {
  cmd
    .requiredOption('--client <id>', 'the client whose graph is read')
    .option('--eid <event id>', 'the event to explain (default: the latest alert, else the latest event with causes)')
    .option('--limit <n>', 'most causes listed', '10')
    .option('--json', 'print the ranking as JSON');
}

function arg(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

const num = (v: unknown): number => (neo4j.isInt(v) ? (v as { toNumber(): number }).toNumber() : Number(v));

/**
 * Prints the ranked root causes of one event of a client's graph: by default the latest alert,
 * else the latest event that has causes. Reads only that client's nodes.
 */
export async function main(args: string[]): Promise<number> {
  const client = assertClientId(arg(args, '--client'), '--client');
  const limit = Number(arg(args, '--limit') ?? 10);
  const config = loadNeo4jConfig(process.env);
  const database = config.isolation === 'database' ? (config.database ?? client) : config.sharedDatabase;
  const driver = neo4j.driver(config.uri, config.auth ? neo4j.auth.basic(config.auth.user, config.auth.password) : undefined);
  try {
    let eid = arg(args, '--eid');
    let target = '';
    if (!eid) {
      const r = await driver.executeQuery(
        `MATCH (t:Event {client: $client}) WHERE t.source = 'alert' OR EXISTS { (t)<-[:POTENTIAL_CAUSE]-(:Event) }
         RETURN t.eid AS eid, t.reason AS reason, t.source AS source ORDER BY (t.source = 'alert') DESC, t.ts DESC LIMIT 1`,
        { client },
        { database },
      );
      if (r.records.length === 0) {
        process.stderr.write(`no alert or explained event in ${client}'s graph yet\n`);
        return 3;
      }
      eid = r.records[0].get('eid') as string;
      target = `${r.records[0].get('source')} ${r.records[0].get('reason')}`;
    }
    const stmt = rootCauses(client, eid, limit);
    const res = await driver.executeQuery(stmt.text, stmt.params, { database });
    const ranked: RankedCause[] = res.records.map((rec, i) => ({
      rank: i + 1,
      score: num(rec.get('score')),
      reason: rec.get('reason') as string,
      category: rec.get('category') as string | null,
      resource: rec.get('rid') as string | null,
      at: rec.get('ts') === null ? null : new Date(num(rec.get('ts'))).toISOString(),
      hops: num(rec.get('hops')),
      eid: rec.get('eid') as string,
    }));
    if (args.includes('--json')) {
      process.stdout.write(JSON.stringify({ client, target: { eid, what: target }, causes: ranked }, null, 2) + '\n');
    } else {
      process.stdout.write(`root causes of ${target || 'event'} ${eid} in ${client}'s graph:\n`);
      for (const c of ranked) {
        process.stdout.write(`${String(c.rank).padStart(3)}. ${c.score.toFixed(3)}  ${c.reason.padEnd(22)} ${String(c.resource ?? '').padEnd(48)} ${c.at ?? ''}  (${c.hops} hop${c.hops === 1 ? '' : 's'})\n`);
      }
      if (ranked.length === 0) process.stdout.write('  (no POTENTIAL_CAUSE path leads to it)\n');
    }
    return 0;
  } finally {
    await driver.close();
  }
}
