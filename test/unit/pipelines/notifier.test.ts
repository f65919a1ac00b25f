import { TestScheduler } from 'rxjs/testing';
import { Notification, notifier, NotifierEffect } from '../../../pipelines/notifier/notifier';

const n = (fp: string): Notification => ({ fingerprint: fp, revision: 1, body: { text: fp } });
const show = (e: NotifierEffect) =>
  e.kind === 'notified' ? `ok ${e.fingerprint} after ${e.attempts}` : e.kind === 'notify-retry' ? `retry ${e.fingerprint} #${e.attempt} in ${e.delayMs}` : `${e.kind} ${e.fingerprint}: ${e.reason}`;

describe('notifier (outbound webhook with bounded retries)', () => {
  const run = (posts: Record<string, string[]>, cfg = {}) => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    const out: Array<[number, string]> = [];
    const dead: string[] = [];
    ts.run(({ cold, flush }) => {
      const tries: Record<string, number> = {};
      const deps = {
        // Each post answers after 10 ms: the marble of this try (ok, or #: fails).
        post: (body: Record<string, unknown>) => {
          const fp = String(body.text);
          const k = (tries[fp] = (tries[fp] ?? 0) + 1);
          const outcome = posts[fp][Math.min(k - 1, posts[fp].length - 1)];
          return outcome === 'ok' ? cold('10ms (a|)', { a: 1 }) : cold('10ms #', undefined, outcome === 'refused' ? { message: 'HTTP 404', permanent: true } : { message: 'connect ECONNREFUSED' });
        },
        deadLetter: (x: Notification, reason: string) => {
          dead.push(`${x.fingerprint}: ${reason}`);
          return cold('(a|)', { a: 1 });
        },
      };
      notifier({ notifications$: cold('a b|', { a: n('fa'), b: n('fb') }) }, deps, { maxAttempts: 3, initialBackoffMs: 100, maxBackoffMs: 150, ...cfg }, ts).subscribe((e) => out.push([ts.now(), show(e)]));
      flush();
    });
    return { out, dead };
  };

  it('retries with bounded backoff, then delivers', () => {
    const { out, dead } = run({ fa: ['down', 'down', 'ok'], fb: ['ok'] });
    expect(out).toEqual([
      [10, 'retry fa #1 in 100'],
      [11, 'ok fb after 1'],
      [120, 'retry fa #2 in 150'],
      [280, 'ok fa after 3'],
    ]);
    expect(dead).toEqual([]);
  });

  it('dead-letters with the reason, once, after the last try or at once when refused', () => {
    const { out, dead } = run({ fa: ['down'], fb: ['refused'] });
    expect(out.map((o) => o[1])).toEqual([
      'retry fa #1 in 100',
      'notify-dead-lettered fb: webhook refused the notification: HTTP 404',
      'retry fa #2 in 150',
      'notify-dead-lettered fa: webhook unreachable after 3 attempts: connect ECONNREFUSED',
    ]);
    expect(dead).toEqual(['fb: webhook refused the notification: HTTP 404', 'fa: webhook unreachable after 3 attempts: connect ECONNREFUSED']);
  });
});
