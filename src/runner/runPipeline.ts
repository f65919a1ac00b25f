import { Observable, Subscription } from 'rxjs';
import { Logger } from '../log/logger';
import { loadMetricsConfig, startMetricsServer } from '../metrics/metricsServer';

/** What the runner needs to start and stop one component. */
export interface Runnable {
  /** The component's effects; the runner is the one place that subscribes. */
  effects$: Observable<unknown>;
  /** Stops intake: sources stop pulling, so `effects$` completes once in-flight work drains. */
  stopIntake(): void;
  /** Flushes sinks, commits and disconnects. Called once, after effects$ ended or the drain timed out. */
  close(): Promise<void>;
}

/** A source as the runner stops it: `stop()` ends intake; `closed` resolves once it drained and committed. */
export interface DrainableSource {
  stop(): void;
  readonly closed: Promise<unknown>;
}

/**
 * The Runnable of a pipeline fed by one source, with the shutdown order every component shares:
 * stop the source, wait until it drained (in-flight records acked, offsets committed: acks need
 * deliveries, so sinks must still accept retries meanwhile), then close the rest in the order given.
 *
 * @example runPipeline(sourced(effects$, source, () => sink.close(), () => store.close()), log)
 */
export function sourced(effects$: Observable<unknown>, source: DrainableSource, ...thenClose: Array<() => Promise<unknown> | void>): Runnable {
  return {
    effects$,
    stopIntake: () => source.stop(),
    close: async () => {
      await source.closed;
      for (const close of thenClose) await close();
    },
  };
}

export interface RunOptions {
  /** How long a graceful stop may drain before the pipeline is cut, ms. */
  drainTimeoutMs?: number;
  /** Signals that start a graceful stop. */
  signals?: NodeJS.Signals[];
  /** Serve /metrics and /healthz on METRICS_PORT (default true). */
  metrics?: boolean;
}

/**
 * Subscribes a component and runs it until it completes, fails or is signalled. On SIGTERM or
 * SIGINT: stop intake, let in-flight records drain, close (flush, commit, disconnect), then
 * resolve with exit code 0. A pipeline error resolves with 1 after closing.
 */
export function runPipeline(r: Runnable, log: Logger, opts: RunOptions = {}): Promise<number> {
  const drainTimeoutMs = opts.drainTimeoutMs ?? 30_000;
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  let closed!: () => void;
  const closing = new Promise<void>((r) => (closed = r));
  return new Promise<number>((resolve) => {
    let sub: Subscription | undefined;
    let finished = false;
    let drainTimer: NodeJS.Timeout | undefined;
    const finish = async (code: number, why: string) => {
      if (finished) return;
      finished = true;
      if (drainTimer) clearTimeout(drainTimer);
      for (const s of signals) process.off(s, onSignal);
      sub?.unsubscribe();
      try {
        await r.close();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'close failed');
        code = code || 1;
      }
      log.info({ code, why }, 'stopped');
      closed();
      resolve(code);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      if (drainTimer) {
        log.warn({ signal }, 'second signal: stopping without drain');
        void finish(0, `${signal} twice`);
        return;
      }
      log.info({ signal, drainTimeoutMs }, 'stopping intake and draining');
      r.stopIntake();
      drainTimer = setTimeout(() => {
        log.warn({ drainTimeoutMs }, 'drain timed out; cutting the pipeline');
        void finish(0, 'drain timeout');
      }, drainTimeoutMs);
    };
    for (const s of signals) process.on(s, onSignal);
    if (opts.metrics !== false) {
      startMetricsServer(loadMetricsConfig(process.env), log, () => !finished).then(
        (server) => {
          if (server) void closing.then(() => server.close());
        },
        (err: Error) => log.warn({ err: err.message }, 'metrics server not started; set METRICS_PORT to a free port, 0 for any, -1 for none'),
      );
    }
    sub = r.effects$.subscribe({
      error: (err) => {
        log.error({ err: (err as Error)?.message ?? String(err), stack: (err as Error)?.stack }, 'pipeline failed');
        void finish(1, 'pipeline error');
      },
      complete: () => void finish(0, 'completed'),
    });
  });
}
