import { Observable, Subscription } from 'rxjs';
import { settled } from './settle';
import { readNumber } from '../config/env';
import { sourceProblems } from '../kafka/kafkaSource';
import { Logger } from '../log/logger';
import { loadMetricsConfig, startMetricsServer } from '../metrics/metricsServer';

/** What the runner needs to start and stop one component. */
export interface Runnable {
  /** The component's effects; the runner is the one place that subscribes, and acknowledges what they settle. */
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
  /**
   * Longest a stop may take from the signal to the exit, ms (SHUTDOWN_GRACE_SECONDS; the spawners
   * set it to their SIGTERM → SIGKILL grace): the drain is cut 1/3 of it before the end, and a
   * close still hanging then (a Neo4j write that never returns, a flush to a broker that is gone)
   * is abandoned, so the process exits before it is killed. Unset: drain, then at most 30 s to close.
   */
  graceMs?: number;
  /** Signals that start a graceful stop. */
  signals?: NodeJS.Signals[];
  /** Serve /metrics and /healthz on METRICS_PORT (default true). */
  metrics?: boolean;
  /** What /healthz reports while running (default: the problems of the open Kafka sources). */
  problems?: () => readonly string[];
}

/**
 * Subscribes a component and runs it until it completes, fails or is signalled. On SIGTERM or
 * SIGINT: stop intake, let in-flight records drain, close (flush, commit, disconnect), then
 * resolve with exit code 0. A pipeline error resolves with 1 after closing.
 */
export function runPipeline(r: Runnable, log: Logger, opts: RunOptions = {}): Promise<number> {
  const graceMs = opts.graceMs ?? shutdownGraceMs(process.env);
  const drainTimeoutMs = Math.min(opts.drainTimeoutMs ?? 30_000, graceMs === undefined ? Infinity : Math.max(0, graceMs - Math.max(1000, graceMs / 3)));
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
      const closeMs = Math.max(1000, graceMs === undefined ? 30_000 : (signalledAt ?? Date.now()) + graceMs - 500 - Date.now());
      let closeTimer: NodeJS.Timeout | undefined;
      const abandoned = new Promise<'abandoned'>((res) => (closeTimer = setTimeout(() => res('abandoned'), closeMs)));
      try {
        if ((await Promise.race([r.close(), abandoned])) === 'abandoned') log.warn({ closeMs, graceMs }, 'close did not finish in time (a write or flush hangs); exiting without it');
      } catch (err) {
        log.error({ err: (err as Error).message }, 'close failed');
        code = code || 1;
      } finally {
        clearTimeout(closeTimer);
      }
      log.info({ code, why }, 'stopped');
      closed();
      resolve(code);
    };
    let signalledAt: number | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      signalledAt ??= Date.now();
      if (drainTimer) {
        log.warn({ signal }, 'second signal: stopping without drain');
        void finish(0, `${signal} twice`);
        return;
      }
      log.info({ signal, drainTimeoutMs, graceMs }, 'stopping intake and draining');
      r.stopIntake();
      drainTimer = setTimeout(() => {
        log.warn({ drainTimeoutMs }, 'drain timed out; cutting the pipeline');
        void finish(0, 'drain timeout');
      }, drainTimeoutMs);
    };
    for (const s of signals) process.on(s, onSignal);
    if (opts.metrics !== false) {
      startMetricsServer(loadMetricsConfig(process.env), log, () => (finished ? ['stopping'] : (opts.problems ?? sourceProblems)())).then(
        (server) => {
          if (server) void closing.then(() => server.close());
        },
        (err: Error) => log.warn({ err: err.message }, 'metrics server not started; set METRICS_PORT to a free port, 0 for any, -1 for none'),
      );
    }
    // The one place records are acknowledged: each as the effect settling it passes (src/runner/settle.ts).
    sub = r.effects$.pipe(settled()).subscribe({
      error: (err) => {
        log.error({ err: (err as Error)?.message ?? String(err), stack: (err as Error)?.stack }, 'pipeline failed');
        void finish(1, 'pipeline error');
      },
      complete: () => void finish(0, 'completed'),
    });
  });
}

/** SHUTDOWN_GRACE_SECONDS as ms, or undefined when unset. */
export function shutdownGraceMs(env: NodeJS.ProcessEnv): number | undefined {
  if (env.SHUTDOWN_GRACE_SECONDS === undefined || env.SHUTDOWN_GRACE_SECONDS === '') return undefined;
  return readNumber(env, 'SHUTDOWN_GRACE_SECONDS', 10, { min: 1 }) * 1000;
}
