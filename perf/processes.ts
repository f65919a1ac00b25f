import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentLogger } from '../src/log/logger';

const log = componentLogger('perf-processes');
export const CLI = join(__dirname, '..', 'src', 'cli.js');
const TICK = 100; // clock ticks per second of /proc/<pid>/stat on Linux

/** utime + stime of a process, seconds. */
export function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICK;
}

/** A memory figure of /proc/<pid>/status in MB: VmRSS by default (RssAnon: what the process allocated, without the shared file pages). */
export function rssMb(pid: number, field = 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** PERF_NODE_ARGS: node flags for the components a benchmark starts (e.g. --cpu-prof). */
const NODE_ARGS = (process.env.PERF_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);

export interface Proc {
  child: ChildProcess;
  ready: Promise<void>;
  /** The process's recent stdout lines (at most 200). */
  lines: string[];
}

/** Children being stopped (their exit is expected). */
const stopping = new WeakSet<ChildProcess>();
/** PERF_READY_TIMEOUT_SECONDS (180): a component not assigned by then fails instead of hanging the run. */
const READY_TIMEOUT_MS = Number(process.env.PERF_READY_TIMEOUT_SECONDS ?? 180) * 1000;

/** Starts `kgroot <role>`; ready once it logged that its partitions are assigned (an unexpected exit is logged with its last lines). */
export function startRole(role: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [...NODE_ARGS, CLI, role], { env: { ...process.env, LOG_LEVEL: 'info', METRICS_PORT: '-1', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let isReady = false;
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const text = d.toString();
      if (!isReady && text.includes('partitions assigned')) {
        isReady = true;
        clearTimeout(timer);
        resolve();
      }
      lines.push(...text.split('\n').filter((l) => l.length > 0).map((l) => l.slice(0, 400)));
      if (lines.length > 200) lines.splice(0, lines.length - 200);
    });
    const timer = setTimeout(() => reject(new Error(`${role} not ready after ${READY_TIMEOUT_MS} ms; last lines: ${lines.slice(-3).join(' | ')}`)), READY_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!stopping.has(child)) log.warn({ role, code, signal, ready: isReady, last: lines.slice(-5) }, 'component exited');
      reject(new Error(`${role} exited with ${code ?? signal} before it was ready`));
    });
  });
  ready.catch(() => undefined);
  return { child, ready, lines };
}

/** SIGTERM to each, resolved when all exited. */
export async function stopAll(procs: Proc[]): Promise<void> {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.child.exitCode !== null) return resolve();
          p.child.once('exit', () => resolve());
          stopping.add(p.child);
          p.child.kill('SIGTERM');
        }),
    ),
  );
}

/** The local stack's Neo4j JVM (its CPU is part of what a graph write costs), or null when none is found. */
export function neo4jPid(): number | null {
  const r = spawnSync('pgrep', ['-f', 'Neo4jLauncher'], { encoding: 'utf8' });
  const pid = Number((r.stdout ?? '').split('\n')[0]);
  return Number.isFinite(pid) && pid > 0 ? pid : null;
}
