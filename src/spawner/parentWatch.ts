/**
 * Preloaded into every worker process (`node --require parentWatch.js ...`): the control plane
 * holds the write end of a pipe on the worker's fd 3; when the control plane dies, even by
 * SIGKILL, the pipe closes and the worker stops itself with SIGTERM (a graceful drain), then
 * SIGKILL if it is still there after KG_PARENT_GRACE_MS. Linux has prctl(PR_SET_PDEATHSIG) for
 * this; Node does not expose it, a pipe works everywhere.
 */
import { Socket } from 'node:net';

const fd = Number(process.env.KG_PARENT_WATCH_FD ?? '');
if (Number.isInteger(fd) && fd > 2) {
  try {
    const pipe = new Socket({ fd, readable: true, writable: false });
    let gone = false;
    const onGone = () => {
      if (gone) return;
      gone = true;
      process.kill(process.pid, 'SIGTERM');
      const grace = Number(process.env.KG_PARENT_GRACE_MS ?? 10_000);
      setTimeout(() => process.kill(process.pid, 'SIGKILL'), grace).unref();
    };
    pipe.on('end', onGone);
    pipe.on('close', onGone);
    pipe.on('error', onGone);
    pipe.resume();
    pipe.unref();
  } catch {
    // Not started by a control plane with a watch pipe: nothing to watch.
  }
}
