import { request } from 'node:http';
import { readInt } from '../config/env';

export const description = 'exit 0 if this container\'s component answers GET /healthz on METRICS_PORT (Docker HEALTHCHECK)';

export function main(): Promise<number> {
  const port = readInt(process.env, 'METRICS_PORT', 9464, { min: 1, max: 65535 });
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', timeout: 4000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? 0 : 1);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => {
      process.stderr.write(`healthcheck: ${err.message}\n`);
      resolve(1);
    });
    req.end();
  });
}
