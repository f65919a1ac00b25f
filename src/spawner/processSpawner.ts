import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setPriority } from 'node:os';
import { Logger } from '../log/logger';
import { ProcessSpawnerConfig, workerEnv } from './spawnerConfig';
import { MANAGED_BY, Spawner, WorkerInfo, WorkerRole, workerName } from './spawner';
import { backoffMs } from '../domain/backoff';

/** The package root (where package.json is), found from this file whether it runs from src/ or dist/. */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'dist'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package root above ${from}`);
    dir = up;
  }
}

interface Managed {
  name: string;
  client: string;
  role: WorkerRole;
  child: ChildProcess | undefined;
  startedAt: number | null;
  restarts: number;
  /** Consecutive quick deaths, for the backoff. */
  failures: number;
  restartTimer: NodeJS.Timeout | undefined;
  stopping: boolean;
  exited: Promise<void>;
}

/** Env vars that label a worker process the way container labels do (found again through /proc). */
const KG_ENV = { managedBy: 'KG_MANAGED_BY', client: 'KG_CLIENT', role: 'KG_ROLE', name: 'KG_WORKER_NAME', owner: 'KG_OWNER_PID' } as const;

/**
 * Workers as child processes of the control plane (the embedded default): `node --require
 * parentWatch.js <package>/dist/src/cli.js <role>`. A worker that dies is restarted with
 * doubling backoff; `remove` sends SIGTERM, then SIGKILL after the grace period. No orphan
 * survives the control plane: `close()` stops all; if the control plane is SIGKILLed, each worker
 * sees its watch pipe close and stops itself; and `create()` kills leftovers whose owner is dead.
 */
export class ProcessSpawner implements Spawner {
  readonly kind = 'process' as const;
  private readonly workers = new Map<string, Managed>();
  private closed = false;
  private readonly root = packageRoot();
  /** spawn() blocks the event loop (fork+exec); spawns go one per loop turn so heartbeats and HTTP keep flowing. */
  private spawnQueue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly config: ProcessSpawnerConfig,
    private readonly log: Logger,
    private readonly parentEnv: NodeJS.ProcessEnv,
  ) {
    mkdirSync(join(config.stateDir, 'logs'), { recursive: true });
  }

  static async create(config: ProcessSpawnerConfig, log: Logger, parentEnv: NodeJS.ProcessEnv = process.env): Promise<ProcessSpawner> {
    const s = new ProcessSpawner(config, log, parentEnv);
    await s.killLeftovers();
    return s;
  }

  private command(role: WorkerRole): string[] {
    const base = this.config.command ?? [process.execPath, join(this.root, 'dist', 'src', 'cli.js')];
    const watch = join(this.root, 'dist', 'src', 'spawner', 'parentWatch.js');
    const isNode = base[0] === process.execPath || base[0] === 'node';
    const argv = isNode && existsSync(watch) ? [base[0], '--require', watch, ...base.slice(1)] : base;
    return [...argv, role];
  }

  async ensure(client: string, role: WorkerRole): Promise<WorkerInfo> {
    if (this.closed) throw new Error('process spawner is closed');
    const name = workerName(role, client);
    const existing = this.workers.get(name);
    if (existing && !existing.stopping) return this.info(existing, true);
    if (existing) await existing.exited; // being removed: let it finish, then start afresh
    const m: Managed = { name, client, role, child: undefined, startedAt: null, restarts: 0, failures: 0, restartTimer: undefined, stopping: false, exited: Promise.resolve() };
    this.workers.set(name, m);
    const turn = this.spawnQueue.then(() => new Promise<void>((r) => setImmediate(r)));
    this.spawnQueue = turn.then(() => {
      if (!m.stopping && !this.closed) this.start(m);
    });
    await this.spawnQueue;
    return this.info(m, false);
  }

  private start(m: Managed): void {
    const [cmd, ...args] = this.command(m.role);
    const logFd = openSync(join(this.config.stateDir, 'logs', `${m.name}.log`), 'a');
    const env = {
      ...workerEnv(m.client, m.role, this.config.env, this.parentEnv),
      PATH: this.parentEnv.PATH ?? '/usr/bin:/bin',
      [KG_ENV.managedBy]: MANAGED_BY,
      [KG_ENV.client]: m.client,
      [KG_ENV.role]: m.role,
      [KG_ENV.name]: m.name,
      [KG_ENV.owner]: String(process.pid),
      KG_PARENT_WATCH_FD: '3',
      KG_PARENT_GRACE_MS: String(this.config.stopGraceMs),
      // The worker exits within the grace even if a write hangs (runPipeline).
      SHUTDOWN_GRACE_SECONDS: String(this.config.stopGraceMs / 1000),
    };
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { env, stdio: ['ignore', logFd, logFd, 'pipe'], detached: false });
    } finally {
      closeSync(logFd);
    }
    m.child = child;
    m.startedAt = Date.now();
    if (this.config.nice > 0 && child.pid !== undefined) {
      try {
        setPriority(child.pid, this.config.nice);
      } catch (err) {
        this.log.warn({ client: m.client, worker: m.name, nice: this.config.nice, err: (err as Error).message }, 'could not lower the worker priority');
      }
    }
    let resolveExit!: () => void;
    m.exited = new Promise((r) => (resolveExit = r));
    child.on('error', (err) => this.log.error({ client: m.client, worker: m.name, err: err.message }, 'worker failed to start'));
    child.on('exit', (code, signal) => {
      resolveExit();
      if (m.child !== child) return;
      m.child = undefined;
      if (m.stopping || this.closed) return;
      const ranMs = Date.now() - (m.startedAt ?? Date.now());
      m.failures = ranMs > 60_000 ? 1 : m.failures + 1;
      const delay = backoffMs(m.failures, { initialMs: this.config.restartBaseMs, maxMs: this.config.restartMaxMs });
      this.log.warn({ client: m.client, worker: m.name, code, signal, ranMs, restartInMs: delay }, 'worker died; restarting with backoff');
      m.restartTimer = setTimeout(() => {
        m.restartTimer = undefined;
        if (m.stopping || this.closed) return;
        m.restarts++;
        this.start(m);
      }, delay);
    });
  }

  async remove(client: string, role: WorkerRole): Promise<WorkerInfo | null> {
    const name = workerName(role, client);
    const m = this.workers.get(name);
    if (!m) return null;
    const info = this.info(m, false);
    await this.stop(m);
    if (this.workers.get(name) === m) this.workers.delete(name);
    return { ...info, state: 'removed' };
  }

  private async stop(m: Managed): Promise<void> {
    m.stopping = true;
    if (m.restartTimer) clearTimeout(m.restartTimer);
    const child = m.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => {
      this.log.warn({ client: m.client, worker: m.name, graceMs: this.config.stopGraceMs }, 'worker ignored SIGTERM; SIGKILL');
      child.kill('SIGKILL');
    }, this.config.stopGraceMs);
    await m.exited;
    clearTimeout(killer);
  }

  async list(): Promise<WorkerInfo[]> {
    return [...this.workers.values()].map((m) => this.info(m, false));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.workers.values()].map((m) => this.stop(m)));
    this.workers.clear();
  }

  private info(m: Managed, adopted: boolean): WorkerInfo {
    return {
      name: m.name,
      client: m.client,
      role: m.role,
      id: m.child?.pid !== undefined ? String(m.child.pid) : '',
      state: m.child ? 'running' : m.stopping ? 'stopping' : 'restarting',
      startedAt: m.startedAt,
      adopted,
      restarts: m.restarts,
    };
  }

  /**
   * Worker processes labelled KG_MANAGED_BY whose owning control plane is gone (it was
   * SIGKILLed before their watch pipe could act): SIGTERM, then SIGKILL. Linux only (/proc).
   */
  private async killLeftovers(): Promise<void> {
    const leftovers = findLeftoverWorkers();
    if (leftovers.length === 0) return;
    this.log.warn({ leftovers: leftovers.map((l) => ({ pid: l.pid, worker: l.name, owner: l.owner })) }, 'cleaning up worker processes left by a dead control plane');
    for (const l of leftovers) tryKill(l.pid, 'SIGTERM');
    const deadline = Date.now() + this.config.stopGraceMs;
    while (Date.now() < deadline && leftovers.some((l) => alive(l.pid))) await new Promise((r) => setTimeout(r, 100));
    for (const l of leftovers) if (alive(l.pid)) tryKill(l.pid, 'SIGKILL');
  }
}

export interface LeftoverWorker {
  pid: number;
  name: string;
  client: string;
  owner: number;
}

/** Scans /proc for processes carrying our labels whose owner pid is no longer alive. */
export function findLeftoverWorkers(): LeftoverWorker[] {
  if (!existsSync('/proc')) return [];
  const out: LeftoverWorker[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue;
    }
    if (!environ.includes(`${KG_ENV.managedBy}=${MANAGED_BY}`)) continue;
    const vars = new Map(environ.split('\0').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
    const owner = Number(vars.get(KG_ENV.owner));
    if (!Number.isInteger(owner) || alive(owner)) continue;
    out.push({ pid, name: vars.get(KG_ENV.name) ?? '?', client: vars.get(KG_ENV.client) ?? '?', owner });
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie is not alive for our purposes.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

function tryKill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

