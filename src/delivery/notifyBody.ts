import { RcaAnswer } from './answer';

/** Outbound notification bodies: a generic JSON document and a Slack incoming-webhook message. */
export type NotifyFormat = 'generic' | 'slack';

/** The incident page of the web UI. */
export function incidentUrl(publicUrl: string, client: string, fingerprint: string): string {
  return `${publicUrl}/#/clients/${encodeURIComponent(client)}/incidents/${encodeURIComponent(fingerprint)}`;
}

/** `OOMKilled (Pod/shop/web-7d9-abc) → BackOff (Pod/shop/web-7d9-abc) → WebUnavailable (Service/shop/web)`. */
export function evidencePathText(a: RcaAnswer): string {
  const top = a.causes[0];
  if (!top) return '';
  const hop = (reason: string, resource: string | null) => (resource ? `${reason} (${resource})` : reason);
  return [hop(top.reason, top.resource), ...top.path.map((s) => hop(s.reason, s.resource))].join(' → ');
}

export function genericBody(client: string, a: RcaAnswer, revision: number, url: string | null): Record<string, unknown> {
  return {
    kind: 'kgroot.alert.enriched',
    version: 1,
    client,
    revision,
    alert: a.alert,
    faultType: a.faultType,
    topCause: a.causes[0] ?? null,
    causes: a.causes,
    evidencePath: evidencePathText(a),
    incidentUrl: url,
  };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A Slack incoming-webhook message: `text` (the notification line) and blocks (alert, top cause, evidence path, link). */
export function slackBody(client: string, a: RcaAnswer, revision: number, url: string | null): Record<string, unknown> {
  const top = a.causes[0];
  const state = a.alert.status === 'resolved' ? 'resolved' : 'firing';
  const headline = `[${client}] ${a.alert.alertname} ${state}${top ? `: root cause ${top.reason} on ${top.resource ?? 'unknown resource'}` : ': no root cause found yet'}`;
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: `${a.alert.alertname} (${state})`.slice(0, 150) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Client*\n${esc(client)}` },
        { type: 'mrkdwn', text: `*Started*\n${a.alert.startsAt}` },
        { type: 'mrkdwn', text: `*Fault type*\n${esc(a.faultType ?? 'unknown')}` },
        { type: 'mrkdwn', text: `*Revision*\n${revision}` },
      ],
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: top ? `*Top cause* ${esc(top.reason)} on \`${esc(top.resource ?? '?')}\` (score ${top.score.toFixed(2)})` : '*Top cause* none found yet' },
    },
  ];
  if (top) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Evidence path*\n${esc(evidencePathText(a))}` } });
  if (url) blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open incident' }, url }] });
  return { text: headline, blocks };
}

export function notificationBody(format: NotifyFormat, client: string, a: RcaAnswer, revision: number, url: string | null): Record<string, unknown> {
  return format === 'slack' ? slackBody(client, a, revision, url) : genericBody(client, a, revision, url);
}
