/**
 * Joins multi-line stack traces that arrive one line per record (Vector and Fluent Bit send each
 * CRI line alone): a line that continues an error of the same container (indented frames, `Caused
 * by:`, `... N more`, Go's `goroutine N [running]:` and function frames) within `maxGapMs` of the
 * previous line of that trace takes the error's class and template, so the graph builder counts
 * the whole trace as one event of the line that opened it. Bounded: at most `maxOpen` containers
 * have an open trace (the least recently touched are closed first); a trace holds no lines, only
 * the head's class and template. Deterministic for a given order of lines per container.
 *
 * @example
 *   j.observe('shop/api-1/api', t, 'Exception in thread "main" java.lang.IllegalStateException: boom', head)
 *   j.continues('shop/api-1/api', t + 1, '\tat com.shop.Main.main(Main.java:12)') // head
 */
export interface TraceHead {
  errorClass: string;
  templateId: string;
  template: string;
}

export interface TraceJoinerOptions {
  /** Longest pause between two lines of one trace, ms. */
  maxGapMs?: number;
  /** Most containers with an open trace. */
  maxOpen?: number;
}

const CONTINUATION = [
  /^\s+\S/, // indented: "\tat x.y(Z.java:1)", '  File "app.py", line 3', "\t/app/main.go:12 +0x1d", "    at f (/app/x.js:1:2)"
  /^\s*$/, // Go separates "panic: x" from its goroutines by an empty line
  /^Caused by: /,
  /^\s*\.\.\. \d+ (?:more|common frames omitted)/,
  /^goroutine \d+ \[[^\]]+\]:$/,
  /^created by \S+/,
  /^\[signal \w+/,
  /^[\w.$/*()[\]{}-]+\(.*\)$/, // a Go function frame: "main.main()", "net/http.(*conn).serve(0xc000)"
  /^exit status \d+$/,
];

export function isContinuationLine(line: string): boolean {
  for (const p of CONTINUATION) if (p.test(line)) return true;
  return false;
}

export class TraceJoiner {
  private readonly open = new Map<string, { head: TraceHead; last: number }>();
  private readonly maxGapMs: number;
  private readonly maxOpen: number;

  constructor(opts: TraceJoinerOptions = {}) {
    this.maxGapMs = opts.maxGapMs ?? 2000;
    this.maxOpen = opts.maxOpen ?? 10_000;
  }

  /** The head of the trace `line` continues in container `key` at `ts` (ms), or null (and the container's trace, if any, is left to `observe`). */
  continues(key: string, ts: number, line: string): TraceHead | null {
    const t = this.open.get(key);
    if (!t) return null;
    if (ts - t.last > this.maxGapMs || ts < t.last - this.maxGapMs || !isContinuationLine(line)) return null;
    t.last = Math.max(t.last, ts);
    // Most recently touched last, so the first entry is the one to close when full.
    this.open.delete(key);
    this.open.set(key, t);
    return t.head;
  }

  /** A line that continued nothing: an error line opens a trace for its container, any other line closes it. */
  observe(key: string, ts: number, head: TraceHead | null): void {
    this.open.delete(key);
    if (!head) return;
    this.open.set(key, { head, last: ts });
    if (this.open.size > this.maxOpen) this.open.delete(this.open.keys().next().value as string);
  }

  /** Containers with an open trace (tests, logs). */
  size(): number {
    return this.open.size;
  }
}
