import { ServerResponse } from 'node:http';

/**
 * The one `/healthz` answer of every server of the tree: 200 `{"status":"ok"}`, or 503
 * `{"status":"unhealthy","problems":[...]}` naming what is wrong (a consumer whose pulls keep
 * failing, a component stopping). `extra` adds fields (e.g. the control plane's `caughtUp`).
 */
export function replyHealthz(res: ServerResponse, problems: readonly string[], extra: Record<string, unknown> = {}): void {
  const ok = problems.length === 0;
  const body = JSON.stringify(ok ? { status: 'ok', ...extra } : { status: 'unhealthy', problems, ...extra });
  res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
