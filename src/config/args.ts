import { Command, InvalidArgumentError } from 'commander';
import { validateClientId, CLIENT_ID_RULE } from '../domain/clientId';

/**
 * Value parsers for command-line options (commander): a bad value is a usage error naming the
 * option (one line, exit 2), never a stack trace.
 */
export function clientIdArg(value: string): string {
  const check = validateClientId(value);
  if (!check.ok) throw new InvalidArgumentError(`${check.reason} (rule: ${CLIENT_ID_RULE})`);
  return check.clientId;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`must be a non-negative number, got ${JSON.stringify(value)}`);
  return n;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be a whole number of at least 1, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Parses `args` with the options `define` declares, outside the CLI (tests, other callers):
 * errors are thrown (CommanderError, its message the one line the CLI prints), nothing written.
 */
export function parseArgs(name: string, define: (cmd: Command) => void, args: string[]): Record<string, unknown> {
  const cmd = new Command(name).exitOverride().allowExcessArguments(false).configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  define(cmd);
  cmd.parse(args, { from: 'user' });
  return cmd.opts();
}
