import { Command } from 'commander';
import { request } from 'node:http';
import { readInt, readString } from '../config/env';

export const description = 'list the clients of the running control plane: state, last heartbeat age, workers (--json)';

interface ClientsView {
  spawner: string;
  clients: Array<{ client: string; state: string; lastHeartbeatAgeSeconds: number | null; workers: Array<{ name: string; role: string; state: string }> }>;
  rejected: Record<string, number>;
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url} answered ${res.statusCode}: ${body}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${url} did not answer within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** The options of `kgroot status`. */
export function define(cmd: Command): void {
  cmd.option('--json', 'print the control plane\'s view as JSON');
}

export async function main(_args: string[], opts: { json?: boolean } = {}): Promise<number> {
  const host = readString(process.env, 'CONTROL_PLANE_HOST', '127.0.0.1');
  const port = readInt(process.env, 'CONTROL_PLANE_PORT', 7070, { min: 1, max: 65535 });
  const url = `http://${host}:${port}/clients`;
  let body: string;
  try {
    body = await get(url);
  } catch (err) {
    process.stderr.write(`kgroot status: no control plane answers at ${url} (${(err as Error).message}); start one with \`kgroot control-plane\` or set CONTROL_PLANE_PORT\n`);
    return 1;
  }
  if (opts.json) {
    process.stdout.write(body + '\n');
    return 0;
  }
  const v = JSON.parse(body) as ClientsView;
  const rows = v.clients.map((c) => [
    c.client,
    c.state,
    c.lastHeartbeatAgeSeconds === null ? '-' : `${c.lastHeartbeatAgeSeconds}s`,
    `${c.workers.filter((w) => w.state === 'running').length}/${c.workers.length}`,
    c.workers.map((w) => `${w.role}:${w.state}`).join(' '),
  ]);
  const head = ['CLIENT', 'STATE', 'HEARTBEAT AGE', 'RUNNING', 'WORKERS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  process.stdout.write(`spawner: ${v.spawner}   clients: ${v.clients.length}   rejected: ${JSON.stringify(v.rejected)}\n`);
  process.stdout.write([line(head), ...rows.map(line)].join('\n') + '\n');
  return 0;
}
