import pino, { Logger } from 'pino';

/**
 * One pino logger per process; components derive children carrying `component` and, for
 * per-client workers, `client`. LOG_LEVEL sets the level (default info).
 */
export type { Logger };

let root: Logger | undefined;

export function rootLogger(): Logger {
  if (!root) {
    root = pino({
      level: process.env.LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    });
  }
  return root;
}

export function componentLogger(component: string, client?: string): Logger {
  return rootLogger().child(client ? { component, client } : { component });
}
