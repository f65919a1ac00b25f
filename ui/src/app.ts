import cytoscape from 'cytoscape';

/**
 * The kgroot web UI: clients, a client's incidents, an incident with its ranked causes, the causal
 * graph (cytoscape), the timeline and feedback buttons; live through server-sent events.
 * Routes: #/  ·  #/clients/{client}  ·  #/clients/{client}/incidents/{fingerprint}
 */
type Json = Record<string, any>;

const app = document.getElementById('app') as HTMLElement;
const crumbs = document.getElementById('crumbs') as HTMLElement;
const liveBadge = document.getElementById('live') as HTMLElement;
const tip = document.getElementById('tip') as HTMLElement;
let stream: EventSource | undefined;
let cy: cytoscape.Core | undefined;
(window as unknown as { kgroot: Json }).kgroot = { get cy() { return cy; } };

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const time = (iso: string | null) => (iso ? new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–');
const token = () => localStorage.getItem('kgroot.token') ?? '';

async function api(path: string, init: RequestInit = {}): Promise<Json> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (token()) headers.authorization = `Bearer ${token()}`;
  const res = await fetch(path, { ...init, headers });
  const body = (await res.json().catch(() => ({ error: `HTTP ${res.status}` }))) as Json;
  if (res.status === 401) throw Object.assign(new Error(body.error), { auth: true });
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

function live(path: string, event: string, render: (data: Json) => void): void {
  stream?.close();
  const url = token() ? `${path}?access_token=${encodeURIComponent(token())}` : path;
  stream = new EventSource(url);
  stream.addEventListener(event, (e) => {
    liveBadge.classList.add('on');
    liveBadge.textContent = `live · ${new Date().toLocaleTimeString()}`;
    render(JSON.parse((e as MessageEvent).data));
  });
  stream.onerror = () => liveBadge.classList.remove('on');
}

function setCrumbs(parts: Array<[string, string | null]>): void {
  crumbs.innerHTML = parts.map(([label, href]) => (href ? `<a href="${href}">${esc(label)}</a>` : `<b>${esc(label)}</b>`)).join('<span>/</span>');
}

function showError(err: Error & { auth?: boolean }): void {
  if (err.auth) {
    app.innerHTML = `<h1>Token needed</h1><p class="muted">${esc(err.message)}</p>
      <form id="tok"><input type="password" id="tokv" placeholder="API token (admin or client)"> <button>Use token</button></form>`;
    (document.getElementById('tok') as HTMLFormElement).onsubmit = (e) => {
      e.preventDefault();
      localStorage.setItem('kgroot.token', (document.getElementById('tokv') as HTMLInputElement).value.trim());
      void route();
    };
    return;
  }
  app.innerHTML = `<div class="error" data-testid="error">${esc(err.message)}</div>`;
}

async function clientsPage(): Promise<void> {
  setCrumbs([['clients', null]]);
  const v = await api('/api/v1/clients');
  const rows = (v.clients as Json[])
    .map(
      (c) => `<tr data-client="${esc(c.client)}"><td><a href="#/clients/${esc(c.client)}">${esc(c.client)}</a></td>
        <td><span class="badge ${esc(c.state)}">${esc(c.state)}</span></td>
        <td>${c.lastHeartbeatAgeSeconds === null ? '–' : `${esc(c.lastHeartbeatAgeSeconds)} s ago`}</td>
        <td>${(c.workers as Json[]).map((w) => `<span class="mono">${esc(w.role)}</span> <span class="badge">${esc(w.state)}</span>`).join('<br>') || '<span class="muted">none</span>'}</td></tr>`,
    )
    .join('');
  app.innerHTML = `<h1>Clients</h1><p class="muted">spawner ${esc(v.spawner)} · workers as of ${time(v.workersAsOf)}</p>
    <table data-testid="clients"><tr><th>client</th><th>state</th><th>last heartbeat</th><th>workers</th></tr>${rows || '<tr><td colspan="4" class="muted">no clients yet</td></tr>'}</table>
    <h2>Open a client</h2><form id="go"><input id="goc" placeholder="client id"> <button>incidents</button></form>`;
  (document.getElementById('go') as HTMLFormElement).onsubmit = (e) => {
    e.preventDefault();
    location.hash = `#/clients/${(document.getElementById('goc') as HTMLInputElement).value.trim()}`;
  };
}

function incidentsTable(client: string, list: Json[]): string {
  const rows = list
    .map(
      (i) => `<tr data-fingerprint="${esc(i.fingerprint)}"><td><span class="badge ${esc(i.state)}">${esc(i.state)}</span></td>
        <td><a href="#/clients/${esc(client)}/incidents/${esc(i.fingerprint)}">${esc(i.alertname)}</a><div class="muted mono">${esc(i.resource)}</div></td>
        <td data-testid="top-cause">${i.topCause ? `<b>${esc(i.topCause.reason)}</b><div class="muted mono">${esc(i.topCause.resource)}</div>` : '<span class="muted">none yet</span>'}</td>
        <td>${esc(i.faultType ?? '–')}</td><td class="mono">${time(i.startsAt)}</td><td class="mono">${time(i.endsAt)}</td>
        <td>${i.confirmedCause ? '<span class="confirmed">confirmed</span>' : ''}</td></tr>`,
    )
    .join('');
  return `<table data-testid="incidents"><tr><th>state</th><th>alert</th><th>top cause</th><th>fault type</th><th>started</th><th>resolved</th><th></th></tr>${rows || '<tr><td colspan="7" class="muted">no incidents</td></tr>'}</table>`;
}

async function incidentsPage(client: string): Promise<void> {
  setCrumbs([['clients', '#/'], [client, null]]);
  const v = await api(`/api/v1/clients/${encodeURIComponent(client)}/incidents`);
  const render = (d: Json) => (app.innerHTML = `<h1>Incidents of ${esc(client)}</h1>${incidentsTable(client, d.incidents)}`);
  render(v);
  live(`/api/v1/clients/${encodeURIComponent(client)}/incidents/live`, 'incidents', render);
}

const ROLE_COLOR: Record<string, string> = { root: '#d62728', cause: '#ff9f43', alert: '#6c5ce7', step: '#74b9ff' };

function drawGraph(d: Json): void {
  const el = document.getElementById('cy') as HTMLElement;
  const elements: cytoscape.ElementDefinition[] = [
    ...(d.graph.nodes as Json[]).map((n) => ({ data: { id: n.id, label: `${n.reason}\n${n.resource ?? ''}`, role: n.role }, classes: n.role })),
    ...(d.graph.edges as Json[]).map((e) => ({ data: { id: e.id, source: e.source, target: e.target, rule: e.rule, confidence: e.confidence } })),
  ];
  cy?.destroy();
  cy = cytoscape({
    container: el,
    elements,
    wheelSensitivity: 0.3,
    style: [
      { selector: 'node', style: { 'background-color': (n: cytoscape.NodeSingular) => ROLE_COLOR[n.data('role')] ?? '#999', label: 'data(label)', 'text-wrap': 'wrap', 'font-size': 10, 'text-valign': 'bottom', 'text-margin-y': 4, width: 26, height: 26, color: '#1d2330' } },
      { selector: 'node.root', style: { width: 40, height: 40, 'border-width': 5, 'border-color': '#7f0000', 'font-weight': 'bold', 'font-size': 12 } },
      { selector: 'node.alert', style: { shape: 'diamond', width: 34, height: 34 } },
      { selector: 'edge', style: { width: (e: cytoscape.EdgeSingular) => 1 + 4 * Number(e.data('confidence')), 'line-color': '#b2bccb', 'target-arrow-color': '#b2bccb', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier' } },
      { selector: 'edge.hover', style: { 'line-color': '#1d2330', 'target-arrow-color': '#1d2330' } },
    ],
    layout: { name: 'breadthfirst', directed: true, padding: 30, spacingFactor: 1.1 },
  });
  cy.on('mouseover', 'edge', (e) => {
    e.target.addClass('hover');
    tip.hidden = false;
    tip.textContent = `${e.target.data('rule')} · confidence ${Number(e.target.data('confidence')).toFixed(2)}`;
  });
  cy.on('mousemove', (e) => {
    const oe = e.originalEvent as MouseEvent | undefined;
    if (oe) {
      tip.style.left = `${oe.clientX + 12}px`;
      tip.style.top = `${oe.clientY + 12}px`;
    }
  });
  cy.on('mouseout', 'edge', (e) => {
    e.target.removeClass('hover');
    tip.hidden = true;
  });
}

async function feedback(client: string, fp: string, cause: string, verdict: 'confirmed' | 'rejected'): Promise<void> {
  try {
    await api(`/api/v1/clients/${encodeURIComponent(client)}/incidents/${encodeURIComponent(fp)}/confirm`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cause, verdict }) });
    await route();
  } catch (err) {
    alert((err as Error).message);
  }
}

function renderIncident(client: string, fp: string, d: Json): void {
  const inc = d.incident;
  const causes = (d.causes as Json[])
    .map((c) => {
      const state = inc.confirmedCause === c.eid ? '<span class="confirmed" data-testid="confirmed">✔ confirmed</span>' : (inc.rejectedCauses as string[]).includes(c.eid) ? '<span class="rejected">✘ rejected</span>' : '';
      return `<div class="cause ${c.rank === 1 ? 'top' : ''}" data-eid="${esc(c.eid)}" data-testid="cause">
        <b>#${c.rank} ${esc(c.reason)}</b> <span class="muted">score ${Number(c.score).toFixed(3)} · ${c.hops} hop${c.hops === 1 ? '' : 's'}</span>
        <div class="mono">${esc(c.resource)} · ${time(c.at)}</div>
        <div class="path">${esc(c.reason)} ${(c.path as Json[]).map((s) => `→ <span title="${esc(s.rule)} (${Number(s.confidence).toFixed(2)})">${esc(s.reason)}</span>`).join(' ')}</div>
        <div class="fb"><button class="confirm" data-verdict="confirmed">confirm</button><button class="reject" data-verdict="rejected">reject</button> ${state}</div></div>`;
    })
    .join('');
  const timeline = (d.timeline as Json[])
    .map((t) => `<tr><td class="mono">${time(t.at)}</td><td><b>${esc(t.reason)}</b>${t.count > 1 ? ` ×${t.count}` : ''}</td><td class="mono">${esc(t.resource)}</td><td class="muted">${esc(t.message)}</td></tr>`)
    .join('');
  app.innerHTML = `<h1>${esc(inc.alertname)} <span class="badge ${esc(inc.state)}" data-testid="state">${esc(inc.state)}</span></h1>
    <div class="meta"><div><small>client</small>${esc(client)}</div><div><small>resource</small><span class="mono">${esc(inc.resource)}</span></div>
    <div><small>fault type</small>${esc(d.faultType ?? '–')}</div><div><small>started</small>${time(inc.startsAt)}</div><div><small>resolved</small>${time(inc.endsAt)}</div>
    <div><small>fingerprint</small><span class="mono">${esc(fp)}</span></div></div>
    <div class="grid"><div><h2>Ranked causes</h2>${causes || '<p class="muted">no cause found yet</p>'}</div>
    <div><h2>Causal graph</h2><div class="legend"><span><i style="background:#d62728"></i>root cause</span><span><i style="background:#ff9f43"></i>other causes</span><span><i style="background:#74b9ff"></i>evidence</span><span><i style="background:#6c5ce7"></i>alert</span><span>hover an edge for its rule</span></div><div id="cy" data-testid="graph"></div></div></div>
    <h2>Timeline</h2><table data-testid="timeline"><tr><th>time</th><th>event</th><th>resource</th><th>message</th></tr>${timeline}</table>`;
  for (const b of app.querySelectorAll<HTMLButtonElement>('.cause button')) {
    b.onclick = () => void feedback(client, fp, (b.closest('.cause') as HTMLElement).dataset.eid as string, b.dataset.verdict as 'confirmed' | 'rejected');
  }
  drawGraph(d);
}

async function incidentPage(client: string, fp: string): Promise<void> {
  setCrumbs([['clients', '#/'], [client, `#/clients/${client}`], [fp, null]]);
  const d = await api(`/api/v1/clients/${encodeURIComponent(client)}/incidents/${encodeURIComponent(fp)}`);
  renderIncident(client, fp, d);
  live(`/api/v1/clients/${encodeURIComponent(client)}/incidents/${encodeURIComponent(fp)}/live`, 'incident', (x) => renderIncident(client, fp, x));
}

async function route(): Promise<void> {
  stream?.close();
  liveBadge.classList.remove('on');
  liveBadge.textContent = '';
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === 'clients' && parts[1] && parts[2] === 'incidents' && parts[3]) await incidentPage(parts[1], parts[3]);
    else if (parts[0] === 'clients' && parts[1]) await incidentsPage(parts[1]);
    else await clientsPage();
  } catch (err) {
    showError(err as Error);
  }
}

window.addEventListener('hashchange', () => void route());
void route();
