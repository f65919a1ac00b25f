/**
 * Reading configuration from environment variables (12-factor). Every reader validates and
 * throws a ConfigError that names the variable, what was wrong and how to fix it.
 */
export type Env = Record<string, string | undefined>;

/**
 * Cross-field check: an in-flight bound below the batch size means no batch ever fills (each one
 * waits out its time bound): a ConfigError naming the variable and the fix.
 */
export function atLeastBatch(variable: string, value: number, batchVariable: string, batchSize: number): void {
  if (value < batchSize) throw new ConfigError(variable, `${value} is below ${batchVariable} (${batchSize}), so no batch can ever fill`, `Set ${variable} to at least ${batchVariable}, or unset it for the default`);
}

/** A mistake in how a command was called (a flag's value): the CLI prints one line and exits 2. */
export class UsageError extends Error {}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
    fix: string,
  ) {
    super(`${variable}: ${problem}. ${fix}`);
    this.name = 'ConfigError';
  }
}

function raw(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export function readString(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

export function readOptional(env: Env, name: string): string | undefined {
  return raw(env, name);
}

export function readRequired(env: Env, name: string, fix: string): string {
  const v = raw(env, name);
  if (v === undefined) throw new ConfigError(name, 'is not set', fix);
  return v;
}

export function readInt(env: Env, name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
  const v = raw(env, name);
  if (v === undefined) return fallback;
  if (!/^-?\d+$/.test(v)) throw new ConfigError(name, `must be an integer, got ${JSON.stringify(v)}`, `Set ${name} to a whole number or unset it for the default ${fallback}`);
  const n = Number(v);
  if (range.min !== undefined && n < range.min) throw new ConfigError(name, `must be at least ${range.min}, got ${n}`, `Raise ${name} or unset it for the default ${fallback}`);
  if (range.max !== undefined && n > range.max) throw new ConfigError(name, `must be at most ${range.max}, got ${n}`, `Lower ${name} or unset it for the default ${fallback}`);
  return n;
}

export function readNumber(env: Env, name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
  const v = raw(env, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ConfigError(name, `must be a number, got ${JSON.stringify(v)}`, `Set ${name} to a number or unset it for the default ${fallback}`);
  if (range.min !== undefined && n < range.min) throw new ConfigError(name, `must be at least ${range.min}, got ${n}`, `Raise ${name} or unset it for the default ${fallback}`);
  if (range.max !== undefined && n > range.max) throw new ConfigError(name, `must be at most ${range.max}, got ${n}`, `Lower ${name} or unset it for the default ${fallback}`);
  return n;
}

export function readBool(env: Env, name: string, fallback: boolean): boolean {
  const v = raw(env, name);
  if (v === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(name, `must be true or false, got ${JSON.stringify(v)}`, `Set ${name}=true or ${name}=false`);
}

export function readEnum<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const v = raw(env, name);
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`, `Set ${name} to one of those or unset it for ${fallback}`);
  }
  return v as T;
}

export function readList(env: Env, name: string, fallback: string[] = []): string[] {
  const v = raw(env, name);
  if (v === undefined) return fallback;
  return v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Cross-field check: an in-flight bound that cannot hold `count` full batches at once means the
 * batches in flight beyond the first ones never fill (each waits out its time bound).
 */
export function holdsBatches(variable: string, value: number, batchVariable: string, batchSize: number, countVariable: string, count: number): void {
  if (value < batchSize * count) {
    throw new ConfigError(
      variable,
      `${value} cannot hold ${countVariable} (${count}) full batches of ${batchVariable} (${batchSize}), ${batchSize * count} records`,
      `Set ${variable} to at least ${batchVariable} × ${countVariable}, lower ${countVariable}, or unset ${variable} for the default`,
    );
  }
}

/** Cross-field check: two servers of one process cannot listen on the same fixed port. */
export function distinctPorts(variable: string, port: number, otherVariable: string, otherPort: number): void {
  if (port > 0 && port === otherPort) throw new ConfigError(variable, `is ${port}, the port of ${otherVariable} too`, `Give ${variable} and ${otherVariable} different ports (0 picks a free one)`);
}
