#!/usr/bin/env node
import { Command as Commander, CommanderError } from 'commander';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, UsageError } from './config/env';
import { rootLogger } from './log/logger';

/**
 * `kgroot <command> [args]`. Each command is a module in src/commands/ exporting `description`,
 * optionally `define(cmd)` declaring its arguments and options on its commander Command (none
 * declared: it takes none), and `main(args, opts)`: `args` is the command's own argv, already
 * checked against what it declared, `opts` what commander parsed. Components plug in by adding one.
 * `kgroot <command> --help` prints the command's usage; a usage error prints one line and exits 2,
 * as does an unknown command.
 */
export interface Command {
  description: string;
  define?(cmd: Commander): void;
  /** True for a command that reads its own argv (its own usage errors, exit 2). */
  ownArgs?: boolean;
  main(args: string[], opts: Record<string, unknown>): Promise<number>;
}

const COMMANDS_DIR = join(__dirname, 'commands');
const USAGE_EXIT = 2;

function commandNames(): string[] {
  return readdirSync(COMMANDS_DIR)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function load(name: string): Command {
  return require(join(COMMANDS_DIR, name)) as Command;
}

/**
 * The program with the commands `names` (all of them for help and unknown commands; only the one
 * asked for otherwise, so a worker does not load every command's dependencies). `run` receives
 * the command chosen and what it parsed.
 */
function program(names: string[], run: (cmd: Command, opts: Record<string, unknown>) => void): Commander {
  const p = new Commander('kgroot')
    .usage('<command> [args]')
    .description('the server side of kgroot: components, local stack and tools')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.split('\n')[0] + '\n') })
    .helpCommand('help [command]', 'usage of a command');
  for (const name of names) {
    const mod = load(name);
    const sub = p.command(name).description(mod.description).allowExcessArguments(false).exitOverride();
    mod.define?.(sub);
    // A command that parses its own argv (rca, incidents, corpus) takes what commander does not know.
    if (mod.ownArgs) sub.allowUnknownOption(true).allowExcessArguments(true);
    sub.action(() => run(mod, sub.opts()));
  }
  return p;
}

async function main(argv: string[]): Promise<number> {
  const [name] = argv;
  const names = commandNames();
  if (!name) {
    process.stderr.write(program(names, () => undefined).helpInformation());
    return USAGE_EXIT;
  }
  let chosen: { cmd: Command; opts: Record<string, unknown> } | undefined;
  const p = program(names.includes(name) ? [name] : names, (cmd, opts) => (chosen = { cmd, opts }));
  try {
    p.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_EXIT;
    throw err;
  }
  if (!chosen) return USAGE_EXIT;
  return chosen.cmd.main(argv.slice(1), chosen.opts);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`kgroot: ${err.message}\n`);
      process.exit(USAGE_EXIT);
    }
    if (err instanceof ConfigError) {
      rootLogger().fatal({ variable: err.variable }, err.message);
      process.stderr.write(`kgroot: configuration error: ${err.message}\n`);
    } else {
      rootLogger().fatal({ err: (err as Error)?.message, stack: (err as Error)?.stack }, 'failed');
    }
    process.exit(1);
  },
);
