import pino, { DestinationStream, Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * One pino logger per process; components derive children carrying `component` and, for
 * per-client workers, `client`. LOG_LEVEL sets the level (default info). LOG_FORMAT: `json`,
 * `pretty` (pino-pretty, colours) or `auto` (default: pretty on a terminal, JSON otherwise, so
 * files, pipes and log collectors get one JSON line per thing that happened).
 */
export type { Logger };

let root: Logger | undefined;

/** Whether logs go out pretty-printed: LOG_FORMAT, or for `auto` whether stdout is a terminal. */
export function prettyLogs(env: Record<string, string | undefined> = process.env, isTty: boolean = process.stdout.isTTY === true): boolean {
  const format = (env.LOG_FORMAT ?? 'auto').trim().toLowerCase();
  if (format !== 'auto' && format !== 'json' && format !== 'pretty' && format !== '') {
    throw new Error(`LOG_FORMAT: must be one of auto, json, pretty, got ${JSON.stringify(env.LOG_FORMAT)}. Set LOG_FORMAT to one of those or unset it for auto`);
  }
  return format === 'pretty' || ((format === 'auto' || format === '') && isTty);
}

export function rootLogger(): Logger {
  if (!root) {
    const options = { level: process.env.LOG_LEVEL ?? 'info', base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
    // pino-pretty as a stream in this thread (sync), so nothing is lost when the process exits.
    const dest: DestinationStream | undefined = prettyLogs() ? pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : undefined;
    root = dest ? pino(options, dest) : pino(options);
  }
  return root;
}

export function componentLogger(component: string, client?: string): Logger {
  return rootLogger().child(client ? { component, client } : { component });
}
