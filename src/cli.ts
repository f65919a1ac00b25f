#!/usr/bin/env node
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config/env';
import { rootLogger } from './log/logger';

/**
 * `kgroot <command> [args]`. Each command is a module in src/commands/ exporting
 * `description` and `main(args): Promise<number>` (the exit code); components plug in by adding one.
 */
export interface Command {
  description: string;
  main(args: string[]): Promise<number>;
}

const COMMANDS_DIR = join(__dirname, 'commands');

function commandNames(): string[] {
  return readdirSync(COMMANDS_DIR)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function usage(): string {
  const lines = commandNames().map((n) => {
    const cmd = require(join(COMMANDS_DIR, n)) as Command;
    return `  ${n.padEnd(18)} ${cmd.description}`;
  });
  return `usage: kgroot <command> [args]\n\ncommands:\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const file = join(COMMANDS_DIR, `${name}.js`);
  if (!/^[a-z][a-z-]*$/.test(name) || !existsSync(file)) {
    process.stderr.write(`kgroot: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  const cmd = require(file) as Command;
  return cmd.main(args);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) {
      rootLogger().fatal({ variable: err.variable }, err.message);
      process.stderr.write(`kgroot: configuration error: ${err.message}\n`);
    } else {
      rootLogger().fatal({ err: (err as Error)?.message, stack: (err as Error)?.stack }, 'failed');
    }
    process.exit(1);
  },
);
