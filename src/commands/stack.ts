import { Argument, Command } from 'commander';
import { componentLogger } from '../log/logger';
import { SERVICES, Service, StackError, fetchService, stackDown, stackStatus, stackUp } from '../stack/localStack';
import { loadStackConfig } from '../stack/stackConfig';

export const description = 'local Kafka + Neo4j: stack fetch|up|down|status [kafka|neo4j]';

const VERBS = ['fetch', 'up', 'down', 'status'] as const;

/** The arguments of `kgroot stack`. */
export function define(cmd: Command): void {
  cmd
    .addArgument(new Argument('<verb>', 'fetch (download once), up (start; harmless if running), down (stop what up started), status').choices(VERBS))
    .addArgument(new Argument('[services...]', 'only these (default: all)').choices(SERVICES));
}

export async function main(args: string[]): Promise<number> {
  const [verb, ...names] = args;
  const services = (names.length > 0 ? names : SERVICES) as Service[];
  const config = loadStackConfig();
  const log = componentLogger('stack');
  try {
    switch (verb) {
      case 'fetch':
        for (const s of services) await fetchService(config, s, log);
        return 0;
      case 'up':
        await stackUp(config, log, services);
        return 0;
      case 'down':
        await stackDown(config, log, services);
        return 0;
      case 'status': {
        const status = stackStatus(config);
        for (const s of status) process.stdout.write(`${s.service.padEnd(6)} ${s.running ? `running  pid ${s.pid}` : 'stopped      '}  ${s.address}  log ${s.log}\n`);
        return status.every((s) => s.running) ? 0 : 3;
      }
      default:
        process.stderr.write(`kgroot stack: unknown verb ${JSON.stringify(verb)}; use fetch, up, down or status\n`);
        return 2;
    }
  } catch (err) {
    if (err instanceof StackError) {
      log.error(err.message);
      process.stderr.write(`kgroot stack: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
