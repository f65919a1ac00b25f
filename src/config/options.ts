/**
 * Option checks for adapters' constructors, run before an option is used, with kafkajs-style
 * messages (`maxInFlight must be at least 1, got 0`). Undefined means "the default": not checked.
 */
export function checkAtLeast(name: string, value: number | undefined, min: number, integer = true): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || Number.isNaN(value) || (integer && !Number.isInteger(value))) throw new Error(`${name} must be ${integer ? 'a whole number' : 'a number'}, got ${String(value)}`);
  if (value < min) throw new Error(`${name} must be at least ${min}, got ${value}`);
}

/** As {@link checkAtLeast}, with an upper bound too. */
export function checkBetween(name: string, value: number | undefined, min: number, max: number, integer = true): void {
  checkAtLeast(name, value, min, integer);
  if (value !== undefined && value > max) throw new Error(`${name} must be at most ${max}, got ${value}`);
}

/** A list option that must name at least one thing. */
export function checkNonEmpty(name: string, value: readonly unknown[] | undefined): void {
  if (!Array.isArray(value) || value.length === 0) throw new Error(`${name} must name at least one, got ${JSON.stringify(value)}`);
}
